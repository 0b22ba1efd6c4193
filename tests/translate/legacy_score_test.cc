// score-create events (legacy_translator.h), including scores for OTLP routes.
#include <string>

#include "gateway/translate/id_mapping.h"
#include "gateway/translate/legacy_translator.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/translate/test_events.h"

namespace tracegate::translate {
namespace {

using nlohmann::json;
using translate_testing::Options;
using translate_testing::Translate;

TEST(LegacyScoreTest, ScoreValues) {
  json numeric = Translate(R"pb(event_id: "e"
                                timestamp { seconds: 1767225600 }
                                score {
                                  id: "sc"
                                  trace_id: "trace-1"
                                  observation_id: "obs-gen"
                                  name: "faithfulness"
                                  numeric_value: 0.75
                                  comment: "ok"
                                  config_id: "cfg"
                                  dataset_run_id: "run"
                                  metadata {
                                    fields {
                                      key: "by"
                                      value { string_value: "judge" }
                                    }
                                  }
                                })pb");
  EXPECT_EQ(numeric["type"], "score-create");
  EXPECT_EQ(numeric["body"], json::parse(R"({
    "id": "sc", "traceId": "trace-1", "observationId": "obs-gen", "name": "faithfulness",
    "value": 0.75, "dataType": "NUMERIC", "comment": "ok", "metadata": {"by": "judge"},
    "environment": "production", "configId": "cfg", "datasetRunId": "run",
    "timestamp": "2026-01-01T00:00:00.000000Z"})"));

  json categorical = Translate(R"pb(event_id: "e"
                                    timestamp { seconds: 1767225600 }
                                    score {
                                      id: "sc"
                                      session_id: "s-1"
                                      name: "tone"
                                      categorical_value: "polite"
                                      data_type: SCORE_DATA_TYPE_CATEGORICAL
                                      timestamp { seconds: 1767225000 }
                                    })pb");
  EXPECT_EQ(categorical["body"], json::parse(R"({
    "id": "sc", "sessionId": "s-1", "name": "tone", "value": "polite",
    "dataType": "CATEGORICAL", "environment": "production",
    "timestamp": "2025-12-31T23:50:00.000000Z"})"));

  json yes =
      Translate(R"pb(event_id: "e"
                     timestamp { seconds: 1767225600 }
                     score { id: "sc" trace_id: "t" name: "correct" boolean_value: true })pb");
  EXPECT_EQ(yes["body"]["value"], 1);
  EXPECT_TRUE(yes["body"]["value"].is_number());
  EXPECT_EQ(yes["body"]["dataType"], "BOOLEAN");
  json no =
      Translate(R"pb(event_id: "e"
                     timestamp { seconds: 1767225600 }
                     score { id: "sc" trace_id: "t" name: "correct" boolean_value: false })pb");
  EXPECT_EQ(no["body"]["value"], 0);
  json numeric_bool = Translate(R"pb(event_id: "e"
                                     timestamp { seconds: 1767225600 }
                                     score {
                                       id: "sc"
                                       trace_id: "t"
                                       name: "c"
                                       numeric_value: 1
                                       data_type: SCORE_DATA_TYPE_BOOLEAN
                                     })pb");
  EXPECT_EQ(numeric_bool["body"]["dataType"], "BOOLEAN");
}

TEST(LegacyScoreTest, ScoreOnOtlpRouteGetsMappedIds) {
  const char* score = R"pb(event_id: "e"
                           timestamp { seconds: 1767225600 }
                           score {
                             id: "sc"
                             trace_id: "trace-1"
                             observation_id: "obs-gen"
                             session_id: "s-1"
                             name: "n"
                             numeric_value: 1
                           })pb";
  json mapped = Translate(score, Options(/*otlp_ids=*/true));
  EXPECT_EQ(mapped["body"]["traceId"], "17fe6f303311c0b164b937e419518c1f");
  EXPECT_EQ(mapped["body"]["traceId"], LangfuseTraceIdForOtlp("trace-1"));
  EXPECT_EQ(mapped["body"]["observationId"], "74e9076f052686f4");
  EXPECT_EQ(mapped["body"]["sessionId"], "s-1");
  EXPECT_EQ(mapped["body"]["id"], "sc");
  json plain = Translate(score, Options(/*otlp_ids=*/false));
  EXPECT_EQ(plain["body"]["traceId"], "trace-1");
  EXPECT_EQ(plain["body"]["observationId"], "obs-gen");
}

}  // namespace
}  // namespace tracegate::translate
