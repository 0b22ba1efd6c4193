// Secrets never reach the logs: the whole request path runs with debug logging while stderr
// is captured — valid and invalid keys (unary, stream, wrong scheme), Langfuse answering 401,
// 500 and a 207 that echo the credentials back, reloads with rotated Langfuse keys and an
// invalid config, admin calls with a wrong admin key, shutdown — and the captured output must
// hold no API key, admin key, Langfuse secret or Authorization value.
#include <httplib.h>

#include <regex>

#include "absl/strings/escaping.h"
#include "gateway/observability/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/gateway_fixture.h"

namespace tracegate::security_testing {
namespace {

constexpr char kRotatedSecret[] = "sk-lf-rotated-5ecret-abcdef987654";
constexpr char kUnknownKey[] = "tg_leak_probe_unknown_key_0123456789";
constexpr char kHmacSecret[] = "hmac-leak-probe-0123456789abcdef";

std::string Yaml(const std::string& secret) {
  std::string yaml = BaseYaml(
      absl::StrCat("security:\n  admin_key_sha256: ", auth::Sha256Hex(kAdminKey),
                   "\nlogging:\n  level: debug\nprivacy:\n  hmac_secret: ", kHmacSecret, "\n"));
  yaml.replace(yaml.find(kLangfuseSecret), strlen(kLangfuseSecret), secret);
  return yaml;
}

// Every line of `text` that carries one of the secrets or an Authorization value.
std::vector<std::string> Leaks(const std::string& text) {
  const std::string basic = absl::Base64Escape(std::string("pk-lf-sec-test:") + kLangfuseSecret);
  const std::vector<std::string> secrets = {kAlphaKey,       kBravoKey,      kAdminKey,
                                            kLangfuseSecret, kRotatedSecret, kUnknownKey,
                                            kHmacSecret,     basic};
  const std::regex authorization("(Bearer|Basic)\\s+[A-Za-z0-9._~+/=-]{12,}", std::regex::icase);
  std::vector<std::string> leaks;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    bool leak = std::regex_search(line, authorization);
    for (const std::string& s : secrets) leak |= line.find(s) != std::string::npos;
    if (leak) leaks.push_back(line);
  }
  return leaks;
}

TEST(LogScanTest, NoSecretInAnyLogLineOfTheRequestPath) {
  std::atomic<int> posts{0};
  TestGateway gw(Yaml(kLangfuseSecret));
  const std::string echoed =
      "Basic " + absl::Base64Escape(std::string("pk-lf-sec-test:") + kLangfuseSecret);
  gw.transport().SetHandler(
      [&](const exporter::HttpRequest& req) -> absl::StatusOr<exporter::HttpResponse> {
        const std::string* auth = exporter::FindHeader(req.headers, "Authorization");
        const std::string echo = auth != nullptr ? *auth : "";
        switch (posts.fetch_add(1)) {
          case 0:
            return exporter::testing::Response(
                401, absl::StrCat("{\"message\":\"Invalid credentials\",\"authorization\":\"", echo,
                                  "\",\"secret\":\"", kLangfuseSecret, "\"}"));
          case 1:
            return exporter::testing::Response(
                500, absl::StrCat("internal error for ", echo, " with ", kLangfuseSecret));
          default:
            return exporter::testing::Response(200, "{}");
        }
      });
  log::SetLevel(log::Level::kDebug);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(gw.Start());
  auto channel = gw.InsecureChannel();
  tracegate::v1::IngestResponse r;
  EXPECT_TRUE(Ingest(channel, kAlphaKey, OneTrace("ok-1"), &r).ok());
  EXPECT_FALSE(Ingest(channel, kUnknownKey, OneTrace("bad-1"), &r).ok());
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", echoed);
    ctx.AddMetadata("x-request-id", "leak-probe");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stub = tracegate::v1::IngestService::NewStub(channel);
    EXPECT_FALSE(stub->Ingest(&ctx, OneTrace("bad-2"), &r).ok());
  }
  {
    auto stub = tracegate::v1::IngestService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kBravoKey);
    auto stream = stub->IngestStream(&ctx);
    auto batch = OneTrace("stream-1");
    stream->Write(batch);
    stream->Read(&r);
    stream->WritesDone();
    (void)stream->Finish();
  }
  // Reloads: rotated Langfuse secret, then an invalid file.
  gw.SetYaml(Yaml(kRotatedSecret));
  EXPECT_TRUE(gw.gateway().Reload().ok());
  std::string broken = Yaml(kRotatedSecret);
  broken.replace(broken.find("linger: 10ms"), 12, "linger: whenever");
  gw.SetYaml(broken);
  EXPECT_FALSE(gw.gateway().Reload().ok());
  EXPECT_TRUE(Ingest(channel, kAlphaKey, OneTrace("ok-2"), &r).ok());
  httplib::Client admin("127.0.0.1", gw.admin_port());
  auto wrong = admin.Post("/admin/reload", {{"Authorization", std::string("Bearer ") + kAlphaKey}},
                          "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find(kAlphaKey), std::string::npos);
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  gw.gateway().Shutdown(absl::Seconds(5));
  const std::string logs = ::testing::internal::GetCapturedStderr();
  log::SetLevel(log::Level::kInfo);

  EXPECT_GE(posts.load(), 3) << "the 401 / 500 answers were not exercised";
  EXPECT_THAT(logs, ::testing::HasSubstr("\"request_id\":\"leak-probe\""));
  EXPECT_THAT(logs, ::testing::HasSubstr("config reload refused"));
  EXPECT_THAT(Leaks(logs), ::testing::IsEmpty());
  EXPECT_THAT(Leaks(metrics->body), ::testing::IsEmpty());
}

TEST(LogScanTest, TheScannerFindsPlantedSecrets) {
  EXPECT_THAT(Leaks(std::string("x ") + kLangfuseSecret), ::testing::SizeIs(1));
  EXPECT_THAT(Leaks("{\"h\":\"Bearer abcdefgh12345678\"}"), ::testing::SizeIs(1));
  EXPECT_THAT(Leaks("{\"h\":\"basic dXNlcjpwYXNz\"}"), ::testing::SizeIs(1));
  EXPECT_THAT(Leaks("{\"msg\":\"Bearer scheme required\"}"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace tracegate::security_testing
