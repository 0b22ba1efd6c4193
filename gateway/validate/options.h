// Builds ValidateOptions from the config file's `limits` section. Fields left at 0 / empty
// keep the ValidateOptions defaults; an unparsable max_future_skew (config/ rejects it
// earlier) keeps the default too. Pure function.
#pragma once

#include "gateway/validate/validator.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::validate {

ValidateOptions OptionsFromLimits(const tracegate::config::v1::Limits& limits);

}  // namespace tracegate::validate
