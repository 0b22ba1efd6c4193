// Authenticate() of a good key must not allocate (it runs once per request).
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gateway/auth/authenticator.h"
#include "gtest/gtest.h"
#include "tests/testing/alloc_counter.h"

using tracegate::testing::g_allocations;
using tracegate::testing::g_counting;

namespace tracegate::auth {
namespace {

TEST(AuthenticatorAllocTest, GoodKeyDoesNotAllocate) {
  google::protobuf::RepeatedPtrField<config::v1::ApiKey> keys;
  for (int i = 0; i < 50; ++i) {
    config::v1::ApiKey* key = keys.Add();
    key->set_name("key" + std::to_string(i));
    key->set_sha256(Sha256Hex("tg_key_" + std::to_string(i)));
    key->add_workspaces("ws" + std::to_string(i));
  }
  auto auth = Authenticator::Create(keys);
  ASSERT_TRUE(auth.ok());
  const std::string header = "Bearer tg_key_17";

  g_allocations = 0;
  g_counting = true;
  bool ok = true;
  for (int i = 0; i < 100; ++i) {
    auto principal = (*auth)->Authenticate(header);
    ok = ok && principal.ok() && (*principal)->key_name == "key17";
  }
  g_counting = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(g_allocations.load(), 0);

  // The counter works: a failure allocates its message.
  g_counting = true;
  auto denied = (*auth)->Authenticate("Bearer nope");
  g_counting = false;
  EXPECT_FALSE(denied.ok());
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace tracegate::auth
