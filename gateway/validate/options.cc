#include "gateway/validate/options.h"

namespace tracegate::validate {

ValidateOptions OptionsFromLimits(const config::v1::Limits& limits) {
  ValidateOptions options;
  if (limits.max_id_chars() > 0) options.max_id_chars = limits.max_id_chars();
  if (limits.max_event_bytes() > 0) options.max_event_bytes = limits.max_event_bytes();
  if (limits.max_name_chars() > 0) options.max_name_chars = limits.max_name_chars();
  if (limits.max_tags() > 0) options.max_tags = limits.max_tags();
  absl::Duration skew;
  if (!limits.max_future_skew().empty() && absl::ParseDuration(limits.max_future_skew(), &skew) &&
      skew > absl::ZeroDuration() && skew != absl::InfiniteDuration()) {
    options.max_future_skew = skew;
  }
  return options;
}

}  // namespace tracegate::validate
