// Rules for Observation payloads and their TraceAttributes (see validator.h).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "gateway/core/status_macros.h"
#include "gateway/validate/rules.h"

namespace tracegate::validate::internal {
namespace {

constexpr char kObs[] = "observation";

absl::Status CheckTimes(const Context& ctx, const v1::Observation& obs) {
  if (!obs.has_start_time()) return Fail(kObs, "start_time", "required");
  TG_RETURN_IF_ERROR(CheckTimestamp(ctx, obs.start_time(), kObs, "start_time"));
  if (obs.has_end_time()) {
    TG_RETURN_IF_ERROR(CheckTimestamp(ctx, obs.end_time(), kObs, "end_time"));
    const int order = CompareTimestamps(obs.end_time(), obs.start_time());
    if (order < 0) return Fail(kObs, "end_time", "before start_time");
    if (obs.type() == v1::OBSERVATION_TYPE_EVENT && order != 0) {
      return Fail(kObs, "end_time", "must be empty or equal start_time for an EVENT");
    }
  }
  if (obs.has_completion_start_time()) {
    TG_RETURN_IF_ERROR(
        CheckTimestamp(ctx, obs.completion_start_time(), kObs, "completion_start_time"));
    if (CompareTimestamps(obs.completion_start_time(), obs.start_time()) < 0) {
      return Fail(kObs, "completion_start_time", "before start_time");
    }
    if (obs.has_end_time() && CompareTimestamps(obs.completion_start_time(), obs.end_time()) > 0) {
      return Fail(kObs, "completion_start_time", "after end_time");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUsageAndCost(const v1::Observation& obs) {
  for (const auto& [kind, count] : obs.usage_details()) {
    if (kind.empty()) return Fail(kObs, "usage_details", "empty key");
    if (count < 0) return Fail(kObs, absl::StrCat("usage_details.", kind), "negative");
  }
  for (const auto& [kind, cost] : obs.cost_details()) {
    if (kind.empty()) return Fail(kObs, "cost_details", "empty key");
    if (!std::isfinite(cost)) {
      return Fail(kObs, absl::StrCat("cost_details.", kind), "not a finite number");
    }
    if (cost < 0) return Fail(kObs, absl::StrCat("cost_details.", kind), "negative");
  }
  return absl::OkStatus();
}

absl::Status CheckPrompt(const Context& ctx, const v1::Observation& obs) {
  if (obs.prompt_version() < 0) return Fail(kObs, "prompt_version", "must be > 0");
  if (!obs.prompt_name().empty() && obs.prompt_version() == 0) {
    return Fail(kObs, "prompt_version", "required with prompt_name");
  }
  if (obs.prompt_name().empty() && obs.prompt_version() != 0) {
    return Fail(kObs, "prompt_name", "required with prompt_version");
  }
  return CheckName(ctx, obs.prompt_name(), kObs, "prompt_name", false);
}

}  // namespace

absl::Status CheckTraceAttributes(const Context& ctx, const v1::TraceAttributes& t,
                                  absl::string_view prefix) {
  TG_RETURN_IF_ERROR(CheckName(ctx, t.name(), prefix, "name", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, t.user_id(), prefix, "user_id", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, t.session_id(), prefix, "session_id", false));
  TG_RETURN_IF_ERROR(CheckTags(ctx, t.tags(), prefix));
  if (t.has_metadata()) TG_RETURN_IF_ERROR(CheckStruct(ctx, t.metadata(), prefix, "metadata"));
  if (t.has_input()) TG_RETURN_IF_ERROR(CheckPayload(ctx, t.input(), prefix, "input"));
  if (t.has_output()) TG_RETURN_IF_ERROR(CheckPayload(ctx, t.output(), prefix, "output"));
  return absl::OkStatus();
}

absl::Status CheckObservation(const Context& ctx, const v1::Observation& obs) {
  TG_RETURN_IF_ERROR(CheckId(ctx, obs.id(), kObs, "id", true));
  TG_RETURN_IF_ERROR(CheckId(ctx, obs.trace_id(), kObs, "trace_id", true));
  TG_RETURN_IF_ERROR(
      CheckId(ctx, obs.parent_observation_id(), kObs, "parent_observation_id", false));
  if (obs.type() == v1::OBSERVATION_TYPE_UNSPECIFIED) return Fail(kObs, "type", "required");
  if (!v1::ObservationType_IsValid(obs.type())) {
    return Fail(kObs, "type", absl::StrCat("unknown value ", static_cast<int>(obs.type())));
  }
  TG_RETURN_IF_ERROR(CheckName(ctx, obs.name(), kObs, "name", true));
  TG_RETURN_IF_ERROR(CheckTimes(ctx, obs));
  if (!v1::Level_IsValid(obs.level())) {
    return Fail(kObs, "level", absl::StrCat("unknown value ", static_cast<int>(obs.level())));
  }
  TG_RETURN_IF_ERROR(CheckEnvironment(obs.environment(), kObs));
  if (obs.has_input()) TG_RETURN_IF_ERROR(CheckPayload(ctx, obs.input(), kObs, "input"));
  if (obs.has_output()) TG_RETURN_IF_ERROR(CheckPayload(ctx, obs.output(), kObs, "output"));
  if (obs.has_metadata()) TG_RETURN_IF_ERROR(CheckStruct(ctx, obs.metadata(), kObs, "metadata"));
  if (obs.has_model_parameters()) {
    TG_RETURN_IF_ERROR(CheckModelParameters(ctx, obs.model_parameters(), kObs));
  }
  TG_RETURN_IF_ERROR(CheckUsageAndCost(obs));
  TG_RETURN_IF_ERROR(CheckPrompt(ctx, obs));
  if (obs.has_trace())
    TG_RETURN_IF_ERROR(CheckTraceAttributes(ctx, obs.trace(), "observation.trace"));
  return absl::OkStatus();
}

}  // namespace tracegate::validate::internal
