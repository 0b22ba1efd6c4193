#include "gateway/auth/authenticator.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDevKey[] = "tg_dev_key_change_me";
constexpr char kTeamKey[] = "tg_team_a_0123456789";

google::protobuf::RepeatedPtrField<config::v1::ApiKey> Keys() {
  google::protobuf::RepeatedPtrField<config::v1::ApiKey> keys;
  config::v1::ApiKey* dev = keys.Add();
  dev->set_name("dev");
  dev->set_sha256(Sha256Hex(kDevKey));
  dev->add_workspaces("*");
  config::v1::ApiKey* team = keys.Add();
  team->set_name("team-a");
  team->set_sha256(Sha256Hex(kTeamKey));
  team->add_workspaces("team-a");
  team->add_workspaces("shared");
  return keys;
}

std::unique_ptr<Authenticator> Make() {
  absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(Keys());
  EXPECT_TRUE(auth.ok()) << auth.status();
  return std::move(auth).value();
}

void ExpectUnauthenticated(const Authenticator& auth, absl::string_view header,
                           absl::string_view message) {
  absl::StatusOr<std::shared_ptr<const core::Principal>> p = auth.Authenticate(header);
  ASSERT_FALSE(p.ok()) << header;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), message);
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // The digest stored in examples/tracegate.yaml.
  EXPECT_EQ(Sha256Hex(kDevKey), "9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c");
  Digest d;
  EXPECT_TRUE(ParseDigestHex(Sha256Hex("abc"), &d));
  EXPECT_EQ(d, Sha256("abc"));
  EXPECT_FALSE(
      ParseDigestHex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &d));
  EXPECT_FALSE(ParseDigestHex("abc", &d));
}

TEST(AuthenticatorTest, GoodKeyYieldsItsPrincipal) {
  auto auth = Make();
  EXPECT_EQ(auth->key_count(), 2u);
  auto p = auth->Authenticate(std::string("Bearer ") + kTeamKey);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->key_name, "team-a");
  EXPECT_FALSE((*p)->any_workspace);
  p = auth->Authenticate(std::string("Bearer ") + kDevKey);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->key_name, "dev");
  EXPECT_TRUE((*p)->any_workspace);
}

TEST(AuthenticatorTest, SchemeIsCaseInsensitiveAndSpacesAreTolerated) {
  auto auth = Make();
  for (const std::string& header :
       {std::string("bearer ") + kDevKey, std::string("BEARER ") + kDevKey,
        std::string("  Bearer   ") + kDevKey + "  ", std::string("Bearer\t") + kDevKey}) {
    auto p = auth->Authenticate(header);
    ASSERT_TRUE(p.ok()) << header << ": " << p.status();
    EXPECT_EQ((*p)->key_name, "dev");
  }
}

TEST(AuthenticatorTest, ReturnsTheSamePrincipalEveryTime) {
  auto auth = Make();
  auto a = auth->Authenticate(std::string("Bearer ") + kDevKey);
  auto b = auth->Authenticate(std::string("Bearer ") + kDevKey);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
}

TEST(AuthenticatorTest, WrongKeyIsUnauthenticatedAndNotEchoed) {
  auto auth = Make();
  const std::string wrong = "tg_dev_key_change_mE";
  auto p = auth->Authenticate("Bearer " + wrong);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "unknown API key");
  EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr(wrong)));
  // The digest itself is not a key.
  ExpectUnauthenticated(*auth, "Bearer " + Sha256Hex(kDevKey), "unknown API key");
}

TEST(AuthenticatorTest, MissingOrMalformedHeader) {
  auto auth = Make();
  ExpectUnauthenticated(*auth, "", "missing authorization header (expected \"Bearer <api key>\")");
  ExpectUnauthenticated(*auth, "   ",
                        "missing authorization header (expected \"Bearer <api key>\")");
  ExpectUnauthenticated(*auth, "Bearer", "missing API key after \"Bearer\"");
  ExpectUnauthenticated(*auth, "Bearer   ", "missing API key after \"Bearer\"");
  ExpectUnauthenticated(*auth, std::string("Bearer a b"), "malformed API key");
  ExpectUnauthenticated(*auth, "Bearer " + std::string(2000, 'k'), "malformed API key");
  ExpectUnauthenticated(*auth, std::string("Bearer ") + kDevKey + "\x01", "malformed API key");
}

TEST(AuthenticatorTest, WrongSchemeIsRejectedWithoutEchoingTheKey) {
  auto auth = Make();
  for (const std::string& header :
       {std::string("Basic ") + kDevKey, std::string(kDevKey), std::string("Bearer:") + kDevKey,
        std::string("Bearerx ") + kDevKey, std::string("Token ") + kDevKey}) {
    auto p = auth->Authenticate(header);
    ASSERT_FALSE(p.ok()) << header;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(p.status().message(), "authorization scheme must be Bearer");
    EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr(kDevKey)));
  }
}

TEST(AuthenticatorTest, Permissions) {
  auto auth = Make();
  auto team = auth->Authenticate(std::string("Bearer ") + kTeamKey);
  auto dev = auth->Authenticate(std::string("Bearer ") + kDevKey);
  ASSERT_TRUE(team.ok() && dev.ok());
  EXPECT_TRUE((*team)->MayWrite("team-a"));
  EXPECT_TRUE((*team)->MayWrite("shared"));
  EXPECT_FALSE((*team)->MayWrite("team-b"));
  EXPECT_FALSE((*team)->MayWrite("*"));
  EXPECT_TRUE((*dev)->MayWrite("anything"));

  EXPECT_TRUE(Authorize(**team, "team-a").ok());
  absl::Status denied = Authorize(**team, "team-b");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "api key 'team-a' may not write workspace 'team-b'");
  EXPECT_TRUE(Authorize(**dev, "team-b").ok());
}

TEST(AuthenticatorTest, CreateRejectsBadKeys) {
  auto keys = Keys();
  keys.Mutable(1)->set_sha256("not-a-digest");
  auto auth = Authenticator::Create(keys);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(auth.status().message(),
            "api_keys[1].sha256: must be 64 lower-case hex characters (key 'team-a')");

  keys = Keys();
  keys.Mutable(1)->set_sha256(Sha256Hex(kDevKey));
  auth = Authenticator::Create(keys);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().message(), "api_keys[1].sha256: same key as key 'dev'");

  keys = Keys();
  keys.Mutable(0)->clear_workspaces();
  EXPECT_EQ(Authenticator::Create(keys).status().code(), absl::StatusCode::kInvalidArgument);
  keys = Keys();
  keys.Mutable(0)->clear_name();
  EXPECT_EQ(Authenticator::Create(keys).status().message(), "api_keys[0].name: required");
}

TEST(AuthenticatorTest, NoKeysAuthenticatesNobody) {
  google::protobuf::RepeatedPtrField<config::v1::ApiKey> none;
  auto auth = Authenticator::Create(none);
  ASSERT_TRUE(auth.ok());
  ExpectUnauthenticated(**auth, std::string("Bearer ") + kDevKey, "unknown API key");
}

}  // namespace
}  // namespace tracegate::auth
