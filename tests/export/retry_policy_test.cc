#include "gateway/export/retry_policy.h"

#include <cmath>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace tracegate::exporter {
namespace {

RetryPolicy PolicyWith(double r) {
  return RetryPolicy(RetryPolicyOptions{.initial_backoff = absl::Milliseconds(500),
                                        .max_backoff = absl::Seconds(30),
                                        .max_wait = absl::Minutes(10),
                                        .random = [r] { return r; }});
}

HttpResponse WithRetryAfter(int status, std::string value) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}, {"retry-after", std::move(value)}};
  return r;
}

TEST(ClassifyTest, StatusClasses) {
  EXPECT_EQ(ClassifyStatus(200), ExportOutcome::kDelivered);
  EXPECT_EQ(ClassifyStatus(201), ExportOutcome::kDelivered);
  EXPECT_EQ(ClassifyStatus(207), ExportOutcome::kDelivered);
  for (int s : {408, 429, 500, 502, 503, 504, 401, 403, 404}) {
    EXPECT_EQ(ClassifyStatus(s), ExportOutcome::kRetryable) << s;
  }
  EXPECT_EQ(ClassifyStatus(413), ExportOutcome::kSplit);
  for (int s : {400, 405, 409, 422, 301, 100, 0, 999}) {
    EXPECT_EQ(ClassifyStatus(s), ExportOutcome::kPermanent) << s;
  }
}

TEST(ClassifyTest, TransportErrorsAreRetryable) {
  EXPECT_EQ(Classify(absl::UnavailableError("reset")), ExportOutcome::kRetryable);
  EXPECT_EQ(Classify(absl::DeadlineExceededError("slow")), ExportOutcome::kRetryable);
  HttpResponse ok;
  ok.status = 204;
  EXPECT_EQ(Classify(ok), ExportOutcome::kDelivered);
}

TEST(RetryAfterTest, DeltaSeconds) {
  absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(ParseRetryAfter("7", now), absl::Seconds(7));
  EXPECT_EQ(ParseRetryAfter("  0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now), absl::Hours(24 * 365));
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter(std::string(10000, '9'), now), std::nullopt);
}

TEST(RetryAfterTest, HttpDates) {
  // 1994-11-06T08:49:37Z
  absl::Time when = absl::FromUnixSeconds(784111777);
  absl::Time now = when - absl::Seconds(30);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994", now), absl::Seconds(30));
  // In the past: no wait.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", when + absl::Hours(1)),
            absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Sun, 32 Nov 1994 08:49:37 GMT", now), std::nullopt);
}

TEST(RetryPolicyTest, BackoffGrowsWithinBoundsAndIsCapped) {
  // r = 1 gives the top of each window: 1s, 2s, 4s, ... capped at 30s.
  RetryPolicy top = PolicyWith(0.999999999);
  EXPECT_NEAR(absl::ToDoubleSeconds(top.Backoff(0)), 1.0, 1e-3);
  EXPECT_NEAR(absl::ToDoubleSeconds(top.Backoff(1)), 2.0, 1e-3);
  EXPECT_NEAR(absl::ToDoubleSeconds(top.Backoff(2)), 4.0, 1e-3);
  EXPECT_NEAR(absl::ToDoubleSeconds(top.Backoff(5)), 30.0, 1e-3);
  EXPECT_NEAR(absl::ToDoubleSeconds(top.Backoff(1000)), 30.0, 1e-3);
  // r = 0 gives the floor, the initial backoff.
  RetryPolicy bottom = PolicyWith(0.0);
  for (int retry : {0, 3, 60, 100000}) EXPECT_EQ(bottom.Backoff(retry), absl::Milliseconds(500));
  // Jitter spreads values between the floor and the window's top.
  RetryPolicy mid = PolicyWith(0.5);
  EXPECT_EQ(mid.Backoff(2),
            absl::Milliseconds(500) + (absl::Seconds(4) - absl::Milliseconds(500)) / 2);
}

TEST(RetryPolicyTest, BrokenRandomSourceStaysInBounds) {
  for (double r : {-3.0, 7.0, std::nan("")}) {
    absl::Duration d = PolicyWith(r).Backoff(3);
    EXPECT_GE(d, absl::Milliseconds(500));
    EXPECT_LE(d, absl::Seconds(8));
  }
}

TEST(RetryPolicyTest, DefaultRandomIsWithinWindow) {
  RetryPolicy policy(RetryPolicyOptions{});
  for (int i = 0; i < 200; ++i) {
    absl::Duration d = policy.Backoff(2);
    ASSERT_GE(d, absl::Milliseconds(500));
    ASSERT_LE(d, absl::Seconds(4));
  }
}

TEST(RetryPolicyTest, RetryAfterWinsWhenLongerAndIsCapped) {
  RetryPolicy policy = PolicyWith(0.0);
  absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(policy.NextWait(0, WithRetryAfter(429, "7"), now), absl::Seconds(7));
  // Shorter than the backoff: the backoff stays.
  EXPECT_EQ(policy.NextWait(0, WithRetryAfter(503, "0"), now), absl::Milliseconds(500));
  // A server cannot park us for a day.
  EXPECT_EQ(policy.NextWait(0, WithRetryAfter(429, "86400"), now), absl::Minutes(10));
  // Garbage is ignored.
  EXPECT_EQ(policy.NextWait(0, WithRetryAfter(429, "later"), now), absl::Milliseconds(500));
  // Transport errors have no headers.
  EXPECT_EQ(policy.NextWait(0, absl::UnavailableError("x"), now), absl::Milliseconds(500));
}

TEST(RetryPolicyTest, InconsistentOptionsAreRepaired) {
  RetryPolicy policy(RetryPolicyOptions{.initial_backoff = absl::Seconds(5),
                                        .max_backoff = absl::Seconds(1),
                                        .random = [] { return 0.9; }});
  EXPECT_EQ(policy.Backoff(4), absl::Seconds(5));
}

}  // namespace
}  // namespace tracegate::exporter
