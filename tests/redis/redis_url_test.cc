#include "gateway/redis/redis_url.h"

#include "gtest/gtest.h"

namespace tracegate::redis {
namespace {

TEST(RedisUrlTest, HostOnlyGetsDefaults) {
  auto ep = ParseRedisUrl("redis://redis");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "redis");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  EXPECT_TRUE(ep->password.empty());
  EXPECT_TRUE(ep->username.empty());
}

TEST(RedisUrlTest, PasswordPortAndDatabase) {
  auto ep = ParseRedisUrl("redis://:s3cret@10.0.0.5:6380/2");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "10.0.0.5");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_TRUE(ep->username.empty());
}

TEST(RedisUrlTest, AclUserAndPercentEncodedPassword) {
  auto ep = ParseRedisUrl("redis://app:p%40ss%3Aw0rd@cache:6379/0");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->username, "app");
  EXPECT_EQ(ep->password, "p@ss:w0rd");
  EXPECT_EQ(ep->host, "cache");
}

TEST(RedisUrlTest, PasswordWithoutColonIsThePassword) {
  auto ep = ParseRedisUrl("redis://s3cret@cache");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_TRUE(ep->username.empty());
}

TEST(RedisUrlTest, Ipv6Literal) {
  auto ep = ParseRedisUrl("redis://[::1]:6390/1");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6390);
  EXPECT_EQ(ep->db, 1);
  EXPECT_EQ(ep->Redacted(), "redis://[::1]:6390/1");
}

TEST(RedisUrlTest, RedactedNeverShowsThePassword) {
  auto ep = ParseRedisUrl("redis://app:topsecret@cache:6379/3");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->Redacted(), "redis://app:***@cache:6379/3");
}

TEST(RedisUrlTest, BadUrlsAreRefusedWithoutEchoingSecrets) {
  for (const char* url :
       {"http://cache:6379", "redis://", "redis://:pw@", "redis://cache:0", "redis://cache:99999",
        "redis://cache:6379/x", "redis://cache:abc", "redis://:bad%zzpw@cache",
        "redis://cache?db=1", "rediss://cache", "redis://ca che", "redis://[::1:6379"}) {
    auto ep = ParseRedisUrl(url);
    EXPECT_EQ(ep.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(ep.status().message().find("pw"), absl::string_view::npos) << url;
  }
}

}  // namespace
}  // namespace tracegate::redis
