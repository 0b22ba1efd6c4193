// One test per rule, each checking the exact reason text.
#include "gateway/validate/validator.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/validate/options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/validate/events.h"

namespace tracegate::validate {
namespace {

using testing::kNow;
using testing::ValidObservation;
using testing::ValidScore;
using testing::ValidTrace;
using v1::TraceEvent;

std::string Reason(const TraceEvent& event, ValidateOptions options = {},
                   absl::Time now = kNow) {
  absl::Status s = Validator(options).Validate(event, now);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

// A Struct nested `levels` deep: {"a": {"a": ... {"leaf": 1}}}.
google::protobuf::Struct Nested(int levels) {
  google::protobuf::Struct root;
  google::protobuf::Struct* s = &root;
  for (int i = 1; i < levels; ++i) {
    s = (*s->mutable_fields())["a"].mutable_struct_value();
  }
  (*s->mutable_fields())["leaf"].set_number_value(1);
  return root;
}

TEST(ValidatorTest, ValidEventsPass) {
  ASSERT_TRUE(ValidTrace().has_trace());
  ASSERT_TRUE(ValidObservation().has_observation());
  ASSERT_TRUE(ValidScore().has_score());
  EXPECT_EQ(Reason(ValidTrace()), "OK");
  EXPECT_EQ(Reason(ValidObservation()), "OK");
  EXPECT_EQ(Reason(ValidScore()), "OK");
}

// --- envelope ---

TEST(ValidatorTest, EventIdRequired) {
  TraceEvent e = ValidTrace();
  e.clear_event_id();
  EXPECT_EQ(Reason(e), "event_id: required");
}

TEST(ValidatorTest, IdLengthCountsCharacters) {
  TraceEvent e = ValidTrace();
  e.set_event_id(std::string(800, 'a'));
  EXPECT_EQ(Reason(e), "OK");
  e.set_event_id(std::string(801, 'a'));
  EXPECT_EQ(Reason(e), "event_id: longer than 800 characters");
  std::string accents;
  for (int i = 0; i < 800; ++i) accents += "\xC3\xA9";  // é, 2 bytes each
  e.set_event_id(accents);
  EXPECT_EQ(Reason(e), "OK");
  e.set_event_id(accents + "\xC3\xA9");
  EXPECT_EQ(Reason(e), "event_id: longer than 800 characters");
}

TEST(ValidatorTest, IdsRejectControlCharacters) {
  TraceEvent e = ValidTrace();
  e.set_event_id("a\rb");
  EXPECT_EQ(Reason(e), "event_id: contains control characters");
  e.set_event_id("a\x7f");
  EXPECT_EQ(Reason(e), "event_id: contains control characters");
  e.set_event_id("a\xC2\x85");  // U+0085 NEXT LINE
  EXPECT_EQ(Reason(e), "event_id: contains control characters");
  e = ValidTrace();
  e.set_workspace("team\n");
  EXPECT_EQ(Reason(e), "workspace: contains control characters");
}

TEST(ValidatorTest, PayloadRequired) {
  TraceEvent e;
  e.set_event_id("x");
  EXPECT_EQ(Reason(e), "payload: required (one of trace, observation, score)");
}

TEST(ValidatorTest, EventSizeLimit) {
  TraceEvent e = ValidTrace();
  ValidateOptions options;
  options.max_event_bytes = e.ByteSizeLong();
  EXPECT_EQ(Reason(e, options), "OK");
  options.max_event_bytes = e.ByteSizeLong() - 1;
  EXPECT_EQ(Reason(e, options), absl::StrCat("event: ", e.ByteSizeLong(),
                                             " bytes, more than the limit of ",
                                             e.ByteSizeLong() - 1));
}

TEST(ValidatorTest, TimestampRange) {
  TraceEvent e = ValidTrace();
  *e.mutable_timestamp() = Ts(-1);
  EXPECT_EQ(Reason(e), "timestamp: before 1970-01-01");
  *e.mutable_timestamp() = Ts(0);
  EXPECT_EQ(Reason(e), "OK");
  *e.mutable_timestamp() = Ts(absl::ToUnixSeconds(kNow + absl::Hours(24)));
  EXPECT_EQ(Reason(e), "OK");
  *e.mutable_timestamp() = Ts(absl::ToUnixSeconds(kNow + absl::Hours(24)), 1);
  EXPECT_EQ(Reason(e), "timestamp: more than 24h in the future");
  *e.mutable_timestamp() = Ts(1767225500, 1000000000);
  EXPECT_EQ(Reason(e), "timestamp: nanos out of range");
  *e.mutable_timestamp() = Ts(1767225500, -1);
  EXPECT_EQ(Reason(e), "timestamp: nanos out of range");
  ValidateOptions options;
  options.max_future_skew = absl::Minutes(5);
  *e.mutable_timestamp() = Ts(absl::ToUnixSeconds(kNow) + 301);
  EXPECT_EQ(Reason(e, options), "timestamp: more than 5m in the future");
}

// --- trace ---

TEST(ValidatorTest, TraceIdRequired) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->clear_id();
  EXPECT_EQ(Reason(e), "trace.id: required");
}

TEST(ValidatorTest, TraceOptionalIds) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->set_user_id(std::string(801, 'u'));
  EXPECT_EQ(Reason(e), "trace.user_id: longer than 800 characters");
  e = ValidTrace();
  e.mutable_trace()->set_session_id("s\x01");
  EXPECT_EQ(Reason(e), "trace.session_id: contains control characters");
}

TEST(ValidatorTest, TraceNameLength) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->set_name(std::string(1000, 'n'));
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_trace()->set_name(std::string(1001, 'n'));
  EXPECT_EQ(Reason(e), "trace.name: longer than 1000 characters");
  e.mutable_trace()->clear_name();
  EXPECT_EQ(Reason(e), "OK");  // optional on traces
}

TEST(ValidatorTest, Environment) {
  const std::string reason =
      "trace.environment: must match [a-z0-9_-]{1,40} and not start with \"langfuse\"";
  TraceEvent e = ValidTrace();
  for (const std::string& bad : {std::string("Production"), std::string("langfuse-prod"),
                                 std::string(41, 'e'), std::string("prod env")}) {
    e.mutable_trace()->set_environment(bad);
    EXPECT_EQ(Reason(e), reason) << bad;
  }
  for (const std::string& good : {std::string(""), std::string(40, 'e'),
                                  std::string("staging_eu-2")}) {
    e.mutable_trace()->set_environment(good);
    EXPECT_EQ(Reason(e), "OK") << good;
  }
}

TEST(ValidatorTest, Tags) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->clear_tags();
  for (int i = 0; i < 100; ++i) e.mutable_trace()->add_tags(absl::StrCat("t", i));
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_trace()->add_tags("one-too-many");
  EXPECT_EQ(Reason(e), "trace.tags: more than 100 tags");
  e = ValidTrace();
  e.mutable_trace()->set_tags(1, "");
  EXPECT_EQ(Reason(e), "trace.tags[1]: empty");
  e.mutable_trace()->set_tags(1, std::string(201, 't'));
  EXPECT_EQ(Reason(e), "trace.tags[1]: longer than 200 characters");
  e.mutable_trace()->set_tags(1, std::string(200, 't'));
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, StructNumbersMustBeFinite) {
  TraceEvent e = ValidTrace();
  (*e.mutable_trace()->mutable_metadata()->mutable_fields())["bad"].set_number_value(
      std::nan(""));
  EXPECT_EQ(Reason(e), "trace.metadata.bad: not a finite number");
  e = ValidTrace();
  auto* list = (*e.mutable_trace()->mutable_metadata()->mutable_fields())["l"]
                   .mutable_list_value();
  list->add_values()->set_string_value("ok");
  list->add_values()->set_number_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(Reason(e), "trace.metadata.l[1]: not a finite number");
}

TEST(ValidatorTest, StructValueMustBeSet) {
  TraceEvent e = ValidTrace();
  (*e.mutable_trace()->mutable_metadata()->mutable_fields())["empty"];
  EXPECT_EQ(Reason(e), "trace.metadata.empty: value not set");
}

TEST(ValidatorTest, StructDepth) {
  TraceEvent e = ValidTrace();
  *e.mutable_trace()->mutable_metadata() = Nested(32);
  EXPECT_EQ(Reason(e), "OK");
  *e.mutable_trace()->mutable_metadata() = Nested(33);
  EXPECT_EQ(Reason(e), absl::StrCat("trace.metadata", [] {
              std::string p;
              for (int i = 1; i < 33; ++i) p += ".a";
              return p;
            }(), ": nested deeper than 32 levels"));
  ValidateOptions options;
  options.max_json_depth = 2;
  *e.mutable_trace()->mutable_metadata() = Nested(3);
  EXPECT_EQ(Reason(e, options), "trace.metadata.a.a: nested deeper than 2 levels");
}

TEST(ValidatorTest, PayloadJsonMustParse) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->mutable_input()->set_json("{\"a\": 1,}");
  EXPECT_EQ(Reason(e), "trace.input.json: invalid JSON");
  e.mutable_trace()->mutable_input()->set_json("");
  EXPECT_EQ(Reason(e), "trace.input.json: invalid JSON");
  e.mutable_trace()->mutable_input()->set_json("{} {}");
  EXPECT_EQ(Reason(e), "trace.input.json: invalid JSON");
  e.mutable_trace()->mutable_input()->set_json("\"just a string\"");
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_trace()->mutable_output()->set_json("[1e400]");
  EXPECT_EQ(Reason(e), "trace.output.json: number out of range");
}

TEST(ValidatorTest, PayloadJsonDepth) {
  TraceEvent e = ValidTrace();
  e.mutable_trace()->mutable_input()->set_json(std::string(32, '[') + std::string(32, ']'));
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_trace()->mutable_input()->set_json(std::string(33, '[') + std::string(33, ']'));
  EXPECT_EQ(Reason(e), "trace.input.json: nested deeper than 32 levels");
  std::string objects;
  for (int i = 0; i < 33; ++i) objects += "{\"k\":";
  objects += "1" + std::string(33, '}');
  e.mutable_trace()->mutable_input()->set_json(objects);
  EXPECT_EQ(Reason(e), "trace.input.json: nested deeper than 32 levels");
}

TEST(ValidatorTest, PayloadValue) {
  TraceEvent e = ValidTrace();
  auto* value = e.mutable_trace()->mutable_input()->mutable_value();
  auto& a = (*value->mutable_struct_value()->mutable_fields())["a"];
  a.mutable_list_value()->add_values()->set_number_value(1);
  a.mutable_list_value()->add_values()->set_number_value(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(Reason(e), "trace.input.value.a[1]: not a finite number");
  e.mutable_trace()->mutable_input()->mutable_value()->Clear();
  EXPECT_EQ(Reason(e), "trace.input.value: value not set");
}

TEST(ValidatorTest, TraceTimestamp) {
  TraceEvent e = ValidTrace();
  *e.mutable_trace()->mutable_timestamp() = Ts(absl::ToUnixSeconds(kNow) + 90000);
  EXPECT_EQ(Reason(e), "trace.timestamp: more than 24h in the future");
}

// --- observation ---

TEST(ValidatorTest, ObservationIds) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->clear_id();
  EXPECT_EQ(Reason(e), "observation.id: required");
  e = ValidObservation();
  e.mutable_observation()->clear_trace_id();
  EXPECT_EQ(Reason(e), "observation.trace_id: required");
  e.mutable_observation()->set_trace_id(std::string(801, 't'));
  EXPECT_EQ(Reason(e), "observation.trace_id: longer than 800 characters");
  e = ValidObservation();
  e.mutable_observation()->set_parent_observation_id("p\r");
  EXPECT_EQ(Reason(e), "observation.parent_observation_id: contains control characters");
  e.mutable_observation()->clear_parent_observation_id();
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, ObservationType) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->set_type(v1::OBSERVATION_TYPE_UNSPECIFIED);
  EXPECT_EQ(Reason(e), "observation.type: required");
  e.mutable_observation()->set_type(static_cast<v1::ObservationType>(42));
  EXPECT_EQ(Reason(e), "observation.type: unknown value 42");
  for (int t = 1; t <= 10; ++t) {
    e.mutable_observation()->set_type(static_cast<v1::ObservationType>(t));
    if (t == v1::OBSERVATION_TYPE_EVENT) e.mutable_observation()->clear_end_time();
    EXPECT_EQ(Reason(e), "OK") << t;
  }
}

TEST(ValidatorTest, ObservationLevel) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->set_level(static_cast<v1::Level>(9));
  EXPECT_EQ(Reason(e), "observation.level: unknown value 9");
  e.mutable_observation()->set_level(v1::LEVEL_UNSPECIFIED);
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, ObservationName) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->clear_name();
  EXPECT_EQ(Reason(e), "observation.name: required");
  e.mutable_observation()->set_name(std::string(1001, 'n'));
  EXPECT_EQ(Reason(e), "observation.name: longer than 1000 characters");
}

TEST(ValidatorTest, ObservationStartTime) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->clear_start_time();
  EXPECT_EQ(Reason(e), "observation.start_time: required");
  *e.mutable_observation()->mutable_start_time() = Ts(1767225580, 2000000000);
  EXPECT_EQ(Reason(e), "observation.start_time: nanos out of range");
  *e.mutable_observation()->mutable_start_time() = Ts(-5);
  EXPECT_EQ(Reason(e), "observation.start_time: before 1970-01-01");
}

TEST(ValidatorTest, ObservationEndTime) {
  TraceEvent e = ValidObservation();
  *e.mutable_observation()->mutable_end_time() = Ts(1767225579, 999999999);
  EXPECT_EQ(Reason(e), "observation.end_time: before start_time");
  *e.mutable_observation()->mutable_end_time() = Ts(absl::ToUnixSeconds(kNow) + 86401);
  EXPECT_EQ(Reason(e), "observation.end_time: more than 24h in the future");
  e.mutable_observation()->clear_end_time();
  EXPECT_EQ(Reason(e), "OK");  // still running
}

TEST(ValidatorTest, EventObservationEndsAtStart) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->set_type(v1::OBSERVATION_TYPE_EVENT);
  e.mutable_observation()->clear_completion_start_time();
  EXPECT_EQ(Reason(e), "observation.end_time: must be empty or equal start_time for an EVENT");
  *e.mutable_observation()->mutable_end_time() = e.observation().start_time();
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_observation()->clear_end_time();
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, CompletionStartWithinStartAndEnd) {
  TraceEvent e = ValidObservation();
  *e.mutable_observation()->mutable_completion_start_time() = Ts(1767225579);
  EXPECT_EQ(Reason(e), "observation.completion_start_time: before start_time");
  *e.mutable_observation()->mutable_completion_start_time() = Ts(1767225590);
  EXPECT_EQ(Reason(e), "observation.completion_start_time: after end_time");
  *e.mutable_observation()->mutable_completion_start_time() = Ts(1767225589, 999999999);
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_observation()->clear_end_time();
  *e.mutable_observation()->mutable_completion_start_time() = Ts(1767225599);
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, UsageAndCost) {
  TraceEvent e = ValidObservation();
  (*e.mutable_observation()->mutable_usage_details())["input"] = -1;
  EXPECT_EQ(Reason(e), "observation.usage_details.input: negative");
  e = ValidObservation();
  (*e.mutable_observation()->mutable_usage_details())[""] = 1;
  EXPECT_EQ(Reason(e), "observation.usage_details: empty key");
  e = ValidObservation();
  (*e.mutable_observation()->mutable_cost_details())["total"] = std::nan("");
  EXPECT_EQ(Reason(e), "observation.cost_details.total: not a finite number");
  (*e.mutable_observation()->mutable_cost_details())["total"] =
      std::numeric_limits<double>::infinity();
  EXPECT_EQ(Reason(e), "observation.cost_details.total: not a finite number");
  (*e.mutable_observation()->mutable_cost_details())["total"] = -0.01;
  EXPECT_EQ(Reason(e), "observation.cost_details.total: negative");
  (*e.mutable_observation()->mutable_cost_details())["total"] = 0;
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, PromptNameAndVersionTogether) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->set_prompt_version(0);
  EXPECT_EQ(Reason(e), "observation.prompt_version: required with prompt_name");
  e = ValidObservation();
  e.mutable_observation()->clear_prompt_name();
  EXPECT_EQ(Reason(e), "observation.prompt_name: required with prompt_version");
  e.mutable_observation()->set_prompt_version(0);
  EXPECT_EQ(Reason(e), "OK");
  e = ValidObservation();
  e.mutable_observation()->set_prompt_version(-2);
  EXPECT_EQ(Reason(e), "observation.prompt_version: must be > 0");
}

TEST(ValidatorTest, ObservationEnvironment) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->set_environment("langfuse");
  EXPECT_EQ(Reason(e),
            "observation.environment: must match [a-z0-9_-]{1,40} and not start with "
            "\"langfuse\"");
}

TEST(ValidatorTest, ChatMessageRoleRequired) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->mutable_input()->mutable_messages()->mutable_messages(1)->clear_role();
  EXPECT_EQ(Reason(e), "observation.input.messages[1].role: required");
}

TEST(ValidatorTest, DocumentMetadata) {
  TraceEvent e = ValidObservation();
  auto* doc = e.mutable_observation()->mutable_output()->mutable_documents()->mutable_documents(0);
  (*doc->mutable_metadata()->mutable_fields())["score"].set_number_value(std::nan(""));
  EXPECT_EQ(Reason(e), "observation.output.documents[0].metadata.score: not a finite number");
}

TEST(ValidatorTest, ObservationMetadata) {
  TraceEvent e = ValidObservation();
  (*e.mutable_observation()->mutable_metadata()->mutable_fields())["k"]
      .mutable_list_value()
      ->add_values()
      ->set_number_value(std::nan(""));
  EXPECT_EQ(Reason(e), "observation.metadata.k[1]: not a finite number");
}

TEST(ValidatorTest, ModelParametersShape) {
  const std::string reason =
      ": must be a string, number, bool, list of strings or object of strings";
  TraceEvent e = ValidObservation();
  auto& stop = (*e.mutable_observation()->mutable_model_parameters()->mutable_fields())["stop"];
  stop.mutable_list_value()->add_values()->set_number_value(1);
  EXPECT_EQ(Reason(e), "observation.model_parameters.stop" + reason);
  e = ValidObservation();
  auto& extra = (*e.mutable_observation()->mutable_model_parameters()->mutable_fields())["extra"];
  (*extra.mutable_struct_value()->mutable_fields())["n"].set_number_value(1);
  EXPECT_EQ(Reason(e), "observation.model_parameters.extra" + reason);
  e = ValidObservation();
  (*e.mutable_observation()->mutable_model_parameters()->mutable_fields())["t"]
      .set_number_value(std::nan(""));
  EXPECT_EQ(Reason(e), "observation.model_parameters.t" + reason);
}

TEST(ValidatorTest, ObservationTraceAttributes) {
  TraceEvent e = ValidObservation();
  e.mutable_observation()->mutable_trace()->set_tags(0, "");
  EXPECT_EQ(Reason(e), "observation.trace.tags[0]: empty");
  e = ValidObservation();
  e.mutable_observation()->mutable_trace()->set_user_id(std::string(801, 'u'));
  EXPECT_EQ(Reason(e), "observation.trace.user_id: longer than 800 characters");
  e = ValidObservation();
  e.mutable_observation()->mutable_trace()->set_name(std::string(1001, 'n'));
  EXPECT_EQ(Reason(e), "observation.trace.name: longer than 1000 characters");
  e = ValidObservation();
  e.mutable_observation()->mutable_trace()->mutable_output()->set_json("nope");
  EXPECT_EQ(Reason(e), "observation.trace.output.json: invalid JSON");
}

// --- score ---

TEST(ValidatorTest, ScoreIdAndTarget) {
  TraceEvent e = ValidScore();
  e.mutable_score()->clear_id();
  EXPECT_EQ(Reason(e), "score.id: required");
  e = ValidScore();
  e.mutable_score()->clear_trace_id();
  EXPECT_EQ(Reason(e), "score.trace_id: trace_id or session_id required");
  e.mutable_score()->clear_observation_id();
  e.mutable_score()->set_session_id("session-1");
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_score()->set_dataset_run_id("r\n");
  EXPECT_EQ(Reason(e), "score.dataset_run_id: contains control characters");
}

TEST(ValidatorTest, ScoreName) {
  TraceEvent e = ValidScore();
  e.mutable_score()->clear_name();
  EXPECT_EQ(Reason(e), "score.name: required");
  e.mutable_score()->set_name(std::string(1001, 'n'));
  EXPECT_EQ(Reason(e), "score.name: longer than 1000 characters");
}

TEST(ValidatorTest, ScoreValueRequired) {
  TraceEvent e = ValidScore();
  e.mutable_score()->clear_value();
  EXPECT_EQ(Reason(e), "score.value: required");
}

TEST(ValidatorTest, ScoreDataType) {
  TraceEvent e = ValidScore();
  e.mutable_score()->set_data_type(static_cast<v1::ScoreDataType>(7));
  EXPECT_EQ(Reason(e), "score.data_type: unknown value 7");
  e.mutable_score()->set_data_type(v1::SCORE_DATA_TYPE_CATEGORICAL);
  EXPECT_EQ(Reason(e),
            "score.data_type: SCORE_DATA_TYPE_CATEGORICAL needs categorical_value, got "
            "numeric_value");
  e.mutable_score()->set_boolean_value(true);
  e.mutable_score()->set_data_type(v1::SCORE_DATA_TYPE_NUMERIC);
  EXPECT_EQ(Reason(e),
            "score.data_type: SCORE_DATA_TYPE_NUMERIC needs numeric_value, got boolean_value");
  e.mutable_score()->set_data_type(v1::SCORE_DATA_TYPE_BOOLEAN);
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_score()->set_data_type(v1::SCORE_DATA_TYPE_UNSPECIFIED);
  EXPECT_EQ(Reason(e), "OK");  // inferred
  e.mutable_score()->set_categorical_value("good");
  EXPECT_EQ(Reason(e), "OK");
}

TEST(ValidatorTest, ScoreNumericFinite) {
  TraceEvent e = ValidScore();
  e.mutable_score()->set_numeric_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(Reason(e), "score.numeric_value: not a finite number");
  e.mutable_score()->set_numeric_value(std::nan(""));
  EXPECT_EQ(Reason(e), "score.numeric_value: not a finite number");
}

TEST(ValidatorTest, ScoreCategoricalLength) {
  TraceEvent e = ValidScore();
  e.mutable_score()->set_data_type(v1::SCORE_DATA_TYPE_CATEGORICAL);
  e.mutable_score()->set_categorical_value("");
  EXPECT_EQ(Reason(e), "score.categorical_value: empty");
  e.mutable_score()->set_categorical_value(std::string(500, 'c'));
  EXPECT_EQ(Reason(e), "OK");
  e.mutable_score()->set_categorical_value(std::string(501, 'c'));
  EXPECT_EQ(Reason(e), "score.categorical_value: longer than 500 characters");
}

TEST(ValidatorTest, ScoreEnvironmentMetadataTimestamp) {
  TraceEvent e = ValidScore();
  e.mutable_score()->set_environment("PROD");
  EXPECT_EQ(Reason(e),
            "score.environment: must match [a-z0-9_-]{1,40} and not start with \"langfuse\"");
  e = ValidScore();
  (*e.mutable_score()->mutable_metadata()->mutable_fields())["x"].set_number_value(
      std::nan(""));
  EXPECT_EQ(Reason(e), "score.metadata.x: not a finite number");
  e = ValidScore();
  *e.mutable_score()->mutable_timestamp() = Ts(-1);
  EXPECT_EQ(Reason(e), "score.timestamp: before 1970-01-01");
}

// --- options ---

TEST(ValidatorTest, CustomLimits) {
  ValidateOptions options;
  options.max_id_chars = 5;
  options.max_tags = 1;
  options.max_tag_chars = 3;
  options.max_name_chars = 3;
  TraceEvent e = ValidTrace();
  EXPECT_EQ(Reason(e, options), "event_id: longer than 5 characters");
  e.set_event_id("e1");
  EXPECT_EQ(Reason(e, options), "workspace: longer than 5 characters");
  e.set_workspace("ws");
  e.set_event_id("e1");
  e.mutable_trace()->set_id("t1");
  e.mutable_trace()->set_user_id("u1");
  e.mutable_trace()->set_session_id("s1");
  EXPECT_EQ(Reason(e, options), "trace.name: longer than 3 characters");
  e.mutable_trace()->set_name("n");
  EXPECT_EQ(Reason(e, options), "trace.tags: more than 1 tags");
  e.mutable_trace()->clear_tags();
  e.mutable_trace()->add_tags("abcd");
  EXPECT_EQ(Reason(e, options), "trace.tags[0]: longer than 3 characters");
}

TEST(OptionsFromLimitsTest, MapsConfigLimits) {
  config::v1::Limits limits;
  ValidateOptions defaults = OptionsFromLimits(limits);
  EXPECT_EQ(defaults.max_id_chars, 800u);
  EXPECT_EQ(defaults.max_event_bytes, 1000000u);
  EXPECT_EQ(defaults.max_future_skew, absl::Hours(24));
  limits.set_max_id_chars(100);
  limits.set_max_event_bytes(5000);
  limits.set_max_name_chars(50);
  limits.set_max_tags(7);
  limits.set_max_future_skew("90m");
  ValidateOptions o = OptionsFromLimits(limits);
  EXPECT_EQ(o.max_id_chars, 100u);
  EXPECT_EQ(o.max_event_bytes, 5000u);
  EXPECT_EQ(o.max_name_chars, 50u);
  EXPECT_EQ(o.max_tags, 7u);
  EXPECT_EQ(o.max_future_skew, absl::Minutes(90));
  EXPECT_EQ(o.max_tag_chars, 200u);
  EXPECT_EQ(o.max_json_depth, 32);
}

}  // namespace
}  // namespace tracegate::validate
