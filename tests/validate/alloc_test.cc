// Validate() of a valid event must not allocate (it runs per event on the hot path).
#include <atomic>
#include <cstdlib>
#include <new>

#include "gateway/validate/validator.h"
#include "gtest/gtest.h"
#include "tests/testing/alloc_counter.h"
#include "tests/validate/events.h"

using tracegate::testing::g_allocations;
using tracegate::testing::g_counting;

namespace tracegate::validate {
namespace {

// Events reach the validator parsed from the wire; a round trip gives the same in-memory
// form (text-format parsing leaves map fields in their reflection form, which the first
// access converts with allocations).
v1::TraceEvent FromWire(const v1::TraceEvent& event) {
  v1::TraceEvent parsed;
  EXPECT_TRUE(parsed.ParseFromString(event.SerializeAsString()));
  return parsed;
}

long AllocationsOf(const Validator& validator, const v1::TraceEvent& in) {
  const v1::TraceEvent event = FromWire(in);
  g_allocations = 0;
  g_counting = true;
  absl::Status s = validator.Validate(event, testing::kNow);
  g_counting = false;
  EXPECT_TRUE(s.ok()) << s;
  return g_allocations.load();
}

TEST(ValidatorAllocTest, ValidEventsWithoutJsonTextDoNotAllocate) {
  Validator validator;
  v1::TraceEvent trace = testing::ValidTrace();
  trace.mutable_trace()->mutable_output()->set_text("plain");
  ASSERT_TRUE(trace.has_trace());
  EXPECT_EQ(AllocationsOf(validator, trace), 0);
  v1::TraceEvent observation = testing::ValidObservation();
  ASSERT_TRUE(observation.has_observation());
  EXPECT_EQ(AllocationsOf(validator, observation), 0);
  v1::TraceEvent score = testing::ValidScore();
  ASSERT_TRUE(score.has_score());
  EXPECT_EQ(AllocationsOf(validator, score), 0);
}

TEST(ValidatorAllocTest, CounterSeesFailures) {
  Validator validator;
  v1::TraceEvent event = testing::ValidScore();
  event.clear_event_id();
  g_allocations = 0;
  g_counting = true;
  absl::Status s = validator.Validate(event, testing::kNow);
  g_counting = false;
  EXPECT_FALSE(s.ok());
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace tracegate::validate
