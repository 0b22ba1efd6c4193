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
using testing::Nested;
using testing::Reason;
using testing::Ts;
using testing::ValidObservation;
using testing::ValidScore;
using testing::ValidTrace;
using v1::TraceEvent;

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
  EXPECT_EQ(Reason(e, options),
            absl::StrCat("event: ", e.ByteSizeLong(), " bytes, more than the limit of ",
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
  for (const std::string& good :
       {std::string(""), std::string(40, 'e'), std::string("staging_eu-2")}) {
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
  (*e.mutable_trace()->mutable_metadata()->mutable_fields())["bad"].set_number_value(std::nan(""));
  EXPECT_EQ(Reason(e), "trace.metadata.bad: not a finite number");
  e = ValidTrace();
  auto* list = (*e.mutable_trace()->mutable_metadata()->mutable_fields())["l"].mutable_list_value();
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
  EXPECT_EQ(Reason(e), absl::StrCat(
                           "trace.metadata",
                           [] {
                             std::string p;
                             for (int i = 1; i < 33; ++i) p += ".a";
                             return p;
                           }(),
                           ": nested deeper than 32 levels"));
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
