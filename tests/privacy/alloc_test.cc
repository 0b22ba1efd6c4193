// The hot path stays allocation-light: masking text without PII allocates nothing, and a
// chat generation without PII goes through the policy (enrichment off) without allocating.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gateway/privacy/pii_scanner.h"
#include "gateway/privacy/policy.h"
#include "gtest/gtest.h"
#include "tests/testing/alloc_counter.h"

using tracegate::testing::g_allocations;
using tracegate::testing::g_counting;

namespace tracegate::privacy {
namespace {

std::string Prose(size_t bytes) {
  std::string s;
  const char* words[] = {
      "the ",     "gateway ", "forwards ", "traces ",      "to ",    "Langfuse, ",
      "version ", "4.16 ",    "since ",    "2024-01-15; ", "retry ", "in ",
      "30s. ",    "Basic ",   "ideas: ",   "std::map ",    "at ",    "12:30:45 "};
  for (size_t i = 0; s.size() < bytes; ++i) s += words[i % (sizeof(words) / sizeof(words[0]))];
  return s;
}

TEST(PrivacyAllocTest, RedactWithoutMatchesDoesNotAllocate) {
  auto scanner = PiiScanner::Create({});
  ASSERT_TRUE(scanner.ok());
  const std::string text = Prose(4096);
  std::string out;
  g_allocations = 0;
  g_counting = true;
  const bool changed = (*scanner)->Redact(text, PiiScanner::kAll, &out);
  g_counting = false;
  EXPECT_FALSE(changed) << out;
  EXPECT_EQ(g_allocations.load(), 0);
}

TEST(PrivacyAllocTest, ChatGenerationWithoutPiiDoesNotAllocate) {
  PolicyOptions options;
  options.hmac_secret = "alloc-test-secret-0123456789";
  options.enrich = false;
  auto policy = Policy::Create(options);
  ASSERT_TRUE(policy.ok());
  v1::TraceEvent event;
  v1::Observation* o = event.mutable_observation();
  o->set_trace_id("t");
  auto* messages = o->mutable_input()->mutable_messages();
  for (const char* role : {"system", "user", "assistant", "user"}) {
    auto* m = messages->add_messages();
    m->set_role(role);
    m->set_content(Prose(900));
  }
  o->mutable_output()->mutable_messages()->add_messages()->set_content(Prose(400));
  g_allocations = 0;
  g_counting = true;
  absl::StatusOr<bool> keep = (*policy)->Apply(event, {});
  g_counting = false;
  ASSERT_TRUE(keep.ok() && *keep);
  EXPECT_EQ(g_allocations.load(), 0);
}

}  // namespace
}  // namespace tracegate::privacy
