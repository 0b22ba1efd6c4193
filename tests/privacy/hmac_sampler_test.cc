// HMAC-SHA256 against RFC 4231, and trace sampling (deterministic, whole traces, rate).
#include <cstdio>
#include <random>
#include <string>

#include "gateway/privacy/hmac_hasher.h"
#include "gateway/privacy/policy.h"
#include "gateway/privacy/sampler.h"
#include "gtest/gtest.h"

namespace tracegate::privacy {
namespace {

TEST(HmacHasherTest, Rfc4231Vectors) {
  EXPECT_EQ(HmacHasher(std::string(20, '\x0b')).Hex("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacHasher("Jefe").Hex("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Key longer than the block: hashed first.
  EXPECT_EQ(HmacHasher(std::string(131, '\xaa'))
                .Hex("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacHasherTest, SameInputSameHashOtherKeyOtherHash) {
  HmacHasher a("key-a-0123456789abcdef"), a2("key-a-0123456789abcdef"), b("key-b-0123456789abcdef");
  EXPECT_EQ(a.Hex("user-42"), a2.Hex("user-42"));
  EXPECT_NE(a.Hex("user-42"), b.Hex("user-42"));
  EXPECT_NE(a.Hex("user-42"), a.Hex("user-43"));
  std::string out = "prefix:";
  a.AppendHex("user-42", &out);
  EXPECT_EQ(out, "prefix:" + a.Hex("user-42"));
}

TEST(SamplerTest, LowBitsOfTheOtlpTraceId) {
  EXPECT_EQ(TraceIdLow64("4bf92f3577b34da6a3ce929d0e0e4736"), 0xa3ce929d0e0e4736ull);
  EXPECT_EQ(TraceIdLow64("4BF92F3577B34DA6A3CE929D0E0E4736"), 0xa3ce929d0e0e4736ull);
  EXPECT_EQ(TraceIdLow64("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), 0xa3ce929d0e0e4736ull);
  // Other ids: SHA-256 based, stable.
  EXPECT_EQ(TraceIdLow64("order-run-7"), TraceIdLow64("order-run-7"));
  EXPECT_NE(TraceIdLow64("order-run-7"), TraceIdLow64("order-run-8"));
}

TEST(SamplerTest, RateBoundsAndTheOtelRule) {
  EXPECT_TRUE(KeepTrace("anything", 1.0));
  EXPECT_FALSE(KeepTrace("anything", 0.0));
  // Lower 64 bits 0x4000... = 0.25 * 2^64: kept at 0.26, dropped at 0.25.
  EXPECT_TRUE(KeepTrace("00000000000000004000000000000000", 0.26));
  EXPECT_FALSE(KeepTrace("00000000000000004000000000000000", 0.25));
}

std::string RandomHexId(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

TEST(SamplerTest, ThirtyPercentOfTenThousandTracesKeepsWholeTraces) {
  PolicyOptions options;
  options.hmac_secret = "sampling-test-secret-0123";
  options.sample_rate = 0.3;
  auto policy = Policy::Create(options);
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::mt19937_64 rng(20260101);
  int kept = 0;
  const int kTraces = 10000;
  for (int i = 0; i < kTraces; ++i) {
    // Half OTel ids, half free-form ids (hashed to an OTLP id first).
    const std::string id = i % 2 == 0 ? RandomHexId(rng) : "run-" + std::to_string(rng());
    v1::TraceEvent trace, span, score, session_score;
    trace.mutable_trace()->set_id(id);
    span.mutable_observation()->set_trace_id(id);
    score.mutable_score()->set_trace_id(id);
    session_score.mutable_score()->set_session_id("s-1");
    const bool keep = (*policy)->Keep(trace);
    ASSERT_EQ((*policy)->Keep(span), keep) << id;
    ASSERT_EQ((*policy)->Keep(score), keep) << id;
    ASSERT_TRUE((*policy)->Keep(session_score));  // not tied to a trace
    absl::StatusOr<bool> applied = (*policy)->Apply(span, {});
    ASSERT_TRUE(applied.ok());
    ASSERT_EQ(*applied, keep);
    kept += keep;
  }
  const double fraction = static_cast<double>(kept) / kTraces;
  EXPECT_NEAR(fraction, 0.3, 0.015) << kept << " of " << kTraces;
}

}  // namespace
}  // namespace tracegate::privacy
