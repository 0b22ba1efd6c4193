// Observation and score rules, each checking the exact reason text.
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/validate/validator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/validate/events.h"

namespace tracegate::validate {
namespace {

using testing::kNow;
using testing::Nested;
using testing::Reason;
using testing::Ts;
using testing::ValidObservation;
using testing::ValidScore;
using testing::ValidTrace;
using v1::TraceEvent;

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
  (*e.mutable_observation()->mutable_model_parameters()->mutable_fields())["t"].set_number_value(
      std::nan(""));
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
  (*e.mutable_score()->mutable_metadata()->mutable_fields())["x"].set_number_value(std::nan(""));
  EXPECT_EQ(Reason(e), "score.metadata.x: not a finite number");
  e = ValidScore();
  *e.mutable_score()->mutable_timestamp() = Ts(-1);
  EXPECT_EQ(Reason(e), "score.timestamp: before 1970-01-01");
}

}  // namespace
}  // namespace tracegate::validate
