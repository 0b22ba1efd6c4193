#include "gateway/observability/log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tracegate::log {
namespace {

TEST(LogTest, LineIsOneJsonObjectWithFields) {
  std::string line = FormatLine(Level::kWarn, "export failed",
                                {{"route", "default"}, {"event_id", "e\"1\n"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "export failed");
  EXPECT_EQ(j["event_id"], "e\"1\n");
  EXPECT_TRUE(j.contains("ts"));
}

TEST(LogTest, InvalidUtf8DoesNotBreakTheLine) {
  std::string line = FormatLine(Level::kInfo, "x", {{"v", "\xff\xfe"}});
  EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
}

TEST(LogTest, RedactSecretsRemovesCredentials) {
  std::string text =
      "auth Basic cGstbGYtMTIzOnNrLWxmLTQ1Ng== and Bearer tg_live_abc123 key sk-lf-9f8e pk-lf-1a2b";
  std::string out = RedactSecrets(text);
  EXPECT_EQ(out.find("cGstbGYt"), std::string::npos);
  EXPECT_EQ(out.find("tg_live_abc123"), std::string::npos);
  EXPECT_EQ(out.find("sk-lf-9f8e"), std::string::npos);
  EXPECT_EQ(out.find("pk-lf-1a2b"), std::string::npos);
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos);
}

TEST(LogTest, LevelFiltering) {
  Level l;
  ASSERT_TRUE(ParseLevel("warn", &l));
  SetLevel(l);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  EXPECT_FALSE(ParseLevel("loud", &l));
  SetLevel(Level::kInfo);
}

}  // namespace
}  // namespace tracegate::log
