// Authenticate() of a good key must not allocate (it runs once per request).
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gateway/auth/authenticator.h"
#include "gtest/gtest.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
