#include "gateway/validate/validator.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "gateway/core/status_macros.h"
#include "gateway/validate/rules.h"

namespace tracegate::validate {
namespace {

using internal::CheckEnvironment;
using internal::CheckId;
using internal::CheckName;
using internal::CheckPayload;
using internal::CheckStruct;
using internal::CheckTags;
using internal::CheckTimestamp;
using internal::Context;
using internal::Fail;

constexpr char kTrace[] = "trace";
constexpr char kScore[] = "score";
constexpr size_t kMaxCategoricalChars = 500;

absl::Status CheckTrace(const Context& ctx, const v1::Trace& trace) {
  TG_RETURN_IF_ERROR(CheckId(ctx, trace.id(), kTrace, "id", true));
  TG_RETURN_IF_ERROR(CheckName(ctx, trace.name(), kTrace, "name", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, trace.user_id(), kTrace, "user_id", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, trace.session_id(), kTrace, "session_id", false));
  TG_RETURN_IF_ERROR(CheckEnvironment(trace.environment(), kTrace));
  TG_RETURN_IF_ERROR(CheckTags(ctx, trace.tags(), kTrace));
  if (trace.has_metadata()) {
    TG_RETURN_IF_ERROR(CheckStruct(ctx, trace.metadata(), kTrace, "metadata"));
  }
  if (trace.has_input()) TG_RETURN_IF_ERROR(CheckPayload(ctx, trace.input(), kTrace, "input"));
  if (trace.has_output()) {
    TG_RETURN_IF_ERROR(CheckPayload(ctx, trace.output(), kTrace, "output"));
  }
  if (trace.has_timestamp()) {
    TG_RETURN_IF_ERROR(CheckTimestamp(ctx, trace.timestamp(), kTrace, "timestamp"));
  }
  return absl::OkStatus();
}

const char* ValueFieldName(v1::Score::ValueCase value) {
  switch (value) {
    case v1::Score::kNumericValue:
      return "numeric_value";
    case v1::Score::kCategoricalValue:
      return "categorical_value";
    case v1::Score::kBooleanValue:
      return "boolean_value";
    default:
      return "no value";
  }
}

absl::Status CheckScoreValue(const v1::Score& score) {
  const v1::Score::ValueCase value = score.value_case();
  if (value == v1::Score::VALUE_NOT_SET) return Fail(kScore, "value", "required");
  if (!v1::ScoreDataType_IsValid(score.data_type())) {
    return Fail(kScore, "data_type",
                absl::StrCat("unknown value ", static_cast<int>(score.data_type())));
  }
  v1::Score::ValueCase expected = value;
  switch (score.data_type()) {
    case v1::SCORE_DATA_TYPE_NUMERIC:
      expected = v1::Score::kNumericValue;
      break;
    case v1::SCORE_DATA_TYPE_CATEGORICAL:
      expected = v1::Score::kCategoricalValue;
      break;
    case v1::SCORE_DATA_TYPE_BOOLEAN:
      expected = v1::Score::kBooleanValue;
      break;
    default:
      break;
  }
  if (expected != value) {
    return Fail(kScore, "data_type",
                absl::StrCat(v1::ScoreDataType_Name(score.data_type()), " needs ",
                             ValueFieldName(expected), ", got ", ValueFieldName(value)));
  }
  if (value == v1::Score::kNumericValue && !std::isfinite(score.numeric_value())) {
    return Fail(kScore, "numeric_value", "not a finite number");
  }
  if (value == v1::Score::kCategoricalValue) {
    const std::string& category = score.categorical_value();
    if (category.empty()) return Fail(kScore, "categorical_value", "empty");
    if (category.size() > kMaxCategoricalChars &&
        internal::CountChars(category) > kMaxCategoricalChars) {
      return Fail(kScore, "categorical_value",
                  absl::StrCat("longer than ", kMaxCategoricalChars, " characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckScore(const Context& ctx, const v1::Score& score) {
  TG_RETURN_IF_ERROR(CheckId(ctx, score.id(), kScore, "id", true));
  TG_RETURN_IF_ERROR(CheckId(ctx, score.trace_id(), kScore, "trace_id", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, score.observation_id(), kScore, "observation_id", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, score.session_id(), kScore, "session_id", false));
  if (score.trace_id().empty() && score.session_id().empty()) {
    return Fail(kScore, "trace_id", "trace_id or session_id required");
  }
  TG_RETURN_IF_ERROR(CheckId(ctx, score.dataset_run_id(), kScore, "dataset_run_id", false));
  TG_RETURN_IF_ERROR(CheckId(ctx, score.config_id(), kScore, "config_id", false));
  TG_RETURN_IF_ERROR(CheckName(ctx, score.name(), kScore, "name", true));
  TG_RETURN_IF_ERROR(CheckScoreValue(score));
  TG_RETURN_IF_ERROR(CheckEnvironment(score.environment(), kScore));
  if (score.has_metadata()) {
    TG_RETURN_IF_ERROR(CheckStruct(ctx, score.metadata(), kScore, "metadata"));
  }
  if (score.has_timestamp()) {
    TG_RETURN_IF_ERROR(CheckTimestamp(ctx, score.timestamp(), kScore, "timestamp"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validator::Validate(const v1::TraceEvent& event, absl::Time now) const {
  const Context ctx{options_, now + options_.max_future_skew};
  TG_RETURN_IF_ERROR(CheckId(ctx, event.event_id(), "", "event_id", true));
  TG_RETURN_IF_ERROR(CheckId(ctx, event.workspace(), "", "workspace", false));
  const size_t bytes = event.ByteSizeLong();
  if (bytes > options_.max_event_bytes) {
    return Fail("", "event",
                absl::StrCat(bytes, " bytes, more than the limit of ", options_.max_event_bytes));
  }
  if (event.has_timestamp()) {
    TG_RETURN_IF_ERROR(CheckTimestamp(ctx, event.timestamp(), "", "timestamp"));
  }
  switch (event.payload_case()) {
    case v1::TraceEvent::kTrace:
      return CheckTrace(ctx, event.trace());
    case v1::TraceEvent::kObservation:
      return internal::CheckObservation(ctx, event.observation());
    case v1::TraceEvent::kScore:
      return CheckScore(ctx, event.score());
    default:
      return Fail("", "payload", "required (one of trace, observation, score)");
  }
}

}  // namespace tracegate::validate
