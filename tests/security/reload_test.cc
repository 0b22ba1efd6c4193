// Hot reload against the real gateway in-process: revoked keys are refused right after the
// reload (unary and on an open stream), new keys work, changed Langfuse keys are used for
// new exports while a request in flight finishes, routes come and go, an invalid config is
// refused with its reason while the old one keeps serving, and POST /admin/reload is
// protected by the admin key.
#include <httplib.h>

#include "absl/strings/escaping.h"
#include "absl/synchronization/notification.h"
#include "gateway/admin/admin_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/gateway_fixture.h"

namespace tracegate::security_testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string BasicFor(const std::string& pk, const std::string& sk) {
  return "Basic " + absl::Base64Escape(pk + ":" + sk);
}

TEST(ReloadTest, RevokedKeyIsRefusedRightAfterReloadAndNewKeyWorks) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  auto channel = gw.InsecureChannel();
  tracegate::v1::IngestResponse r;
  ASSERT_TRUE(Ingest(channel, kAlphaKey, OneTrace("a1"), &r).ok());

  const std::string carol = "tg_sec_carol_0123456789abcdef";
  gw.SetYaml(BaseYaml("", KeyYaml("bravo", kBravoKey) + KeyYaml("carol", carol)));
  auto result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->version, 2u);
  EXPECT_THAT(result->changes, Contains("api_keys: removed \"alpha\""));
  EXPECT_THAT(result->changes, Contains("api_keys: added \"carol\""));

  grpc::Status st = Ingest(channel, kAlphaKey, OneTrace("a2"), &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Ingest(channel, kBravoKey, OneTrace("b1"), &r).ok());
  EXPECT_TRUE(Ingest(channel, carol, OneTrace("c1"), &r).ok());
  EXPECT_EQ(r.accepted(), 1u);
}

TEST(ReloadTest, OpenStreamOfARevokedKeyEndsUnauthenticated) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  auto stub = tracegate::v1::IngestService::NewStub(gw.InsecureChannel());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + kAlphaKey);
  auto stream = stub->IngestStream(&ctx);
  tracegate::v1::IngestResponse r;
  auto first = OneTrace("s1");
  first.set_batch_id(1);
  ASSERT_TRUE(stream->Write(first));
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.accepted(), 1u);

  gw.SetYaml(BaseYaml("", KeyYaml("bravo", kBravoKey)));
  ASSERT_TRUE(gw.gateway().Reload().ok());
  auto second = OneTrace("s2");
  second.set_batch_id(2);
  ASSERT_TRUE(stream->Write(second));
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.batch_id(), 2u);
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_EQ(r.results(0).status(), tracegate::v1::EVENT_STATUS_REJECTED);
  EXPECT_EQ(r.results(0).code(), static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(r.results(0).reason(), "unknown API key");
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&r));
  grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(), "the API key of this stream is no longer valid");
}

TEST(ReloadTest, InvalidConfigIsRefusedWithTheReasonAndTheOldOneKeepsServing) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  gw.SetYaml(BaseYaml("export:\n  gzip_level: 12\n"));  // a second `export:` key
  auto result = gw.gateway().Reload();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("test.yaml: "));

  std::string yaml = BaseYaml();
  yaml.replace(yaml.find("linger: 10ms"), 12, "gzip_level: 12");
  gw.SetYaml(yaml);
  result = gw.gateway().Reload();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "test.yaml: export.gzip_level: must be between 1 and 9");

  tracegate::v1::IngestResponse r;
  EXPECT_TRUE(Ingest(gw.InsecureChannel(), kAlphaKey, OneTrace("still"), &r).ok());
  EXPECT_EQ(r.accepted(), 1u);
  gw.SetYaml(BaseYaml());
  auto ok = gw.gateway().Reload();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->version, 2u);  // refused reloads do not use up a version
  EXPECT_TRUE(ok->changes.empty());
}

TEST(ReloadTest, ChangedLangfuseKeysAreUsedWhileTheRequestInFlightFinishes) {
  absl::Notification first_posted, release;
  std::atomic<int> posts{0};
  TestGateway gw(BaseYaml());  // declared last: destroyed first
  gw.transport().SetHandler(
      [&](const exporter::HttpRequest&) -> absl::StatusOr<exporter::HttpResponse> {
        if (posts.fetch_add(1) == 0) {
          first_posted.Notify();
          release.WaitForNotification();  // the old exporter's request is in flight at reload
        }
        return exporter::testing::Response(200);
      });
  ASSERT_TRUE(gw.Start());
  auto channel = gw.InsecureChannel();
  tracegate::v1::IngestResponse r;
  ASSERT_TRUE(Ingest(channel, kAlphaKey, OneTrace("before"), &r).ok());
  ASSERT_EQ(r.accepted(), 1u);
  first_posted.WaitForNotification();

  std::string yaml = BaseYaml();
  yaml.replace(yaml.find(kLangfuseSecret), strlen(kLangfuseSecret), "sk-lf-rotated-secret");
  gw.SetYaml(yaml);
  auto result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->changes, Contains("route \"main\": target changed, new exporter"));
  ASSERT_TRUE(Ingest(channel, kAlphaKey, OneTrace("after"), &r).ok());
  ASSERT_EQ(r.accepted(), 1u);
  release.Notify();

  gw.gateway().Shutdown(absl::Seconds(10));  // drains everything that was accepted
  std::vector<std::string> auths;
  std::string bodies;
  for (const auto& req : gw.transport().requests()) {
    const std::string* a = exporter::FindHeader(req.headers, "Authorization");
    auths.push_back(a != nullptr ? *a : "");
  }
  ASSERT_GE(auths.size(), 2u);
  EXPECT_EQ(auths.front(), BasicFor("pk-lf-sec-test", kLangfuseSecret));  // in flight, finished
  EXPECT_EQ(auths.back(), BasicFor("pk-lf-sec-test", "sk-lf-rotated-secret"));
}

TEST(ReloadTest, RoutesAddedAndRemoved) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  std::string yaml = BaseYaml();
  yaml.replace(yaml.find("export:"), 0,
               "  - name: team-b\n    workspaces: [team-b]\n    langfuse: {base_url: "
               "\"http://127.0.0.1:8\", public_key: pk-b, secret_key: sk-b}\n");
  gw.SetYaml(yaml);
  auto result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->changes, Contains("route \"team-b\": added"));
  auto req = OneTrace("tb1");
  req.set_default_workspace("team-b");
  tracegate::v1::IngestResponse r;
  ASSERT_TRUE(Ingest(gw.InsecureChannel(), kAlphaKey, req, &r).ok());
  EXPECT_EQ(r.accepted(), 1u);

  gw.SetYaml(BaseYaml());
  result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->changes,
              Contains("route \"team-b\": removed (its queued events are still delivered)"));
  gw.gateway().Shutdown(absl::Seconds(10));
  bool delivered_to_b = false;
  for (const auto& q : gw.transport().requests()) {
    delivered_to_b |= q.url.rfind("http://127.0.0.1:8/", 0) == 0;
  }
  EXPECT_TRUE(delivered_to_b);
}

TEST(ReloadTest, SettingsThatNeedARestartAreReported) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  std::string yaml = BaseYaml("dedupe:\n  window: 1h\n");
  gw.SetYaml(yaml);
  auto result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->warnings, Contains("dedupe.window: changed; takes effect after a restart"));
}

TEST(ReloadTest, PrivacyChangesApplyWithoutNewExporters) {
  TestGateway gw(BaseYaml());
  ASSERT_TRUE(gw.Start());
  std::string yaml = BaseYaml("privacy:\n  user_id: drop\n");
  yaml.replace(yaml.find("export:"), 0, "    privacy: {user_id: keep}\n");
  gw.SetYaml(yaml);
  auto result = gw.gateway().Reload();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->changes, Contains("privacy: changed"));
  EXPECT_THAT(result->changes, Contains("route \"main\": privacy changed"));
  EXPECT_THAT(result->changes,
              ::testing::Not(Contains("route \"main\": target changed, new exporter")));
  for (const std::string& w : result->warnings) {
    EXPECT_THAT(w, ::testing::Not(HasSubstr("privacy"))) << w;
  }
}

class AdminReloadTest : public ::testing::Test {
 protected:
  static std::string AdminYaml() {
    return BaseYaml(
        absl::StrCat("security:\n  admin_key_sha256: ", auth::Sha256Hex(kAdminKey), "\n"));
  }
};

TEST_F(AdminReloadTest, NeedsTheAdminKeyWhenOneIsConfigured) {
  TestGateway gw(AdminYaml());
  ASSERT_TRUE(gw.Start());
  httplib::Client admin("127.0.0.1", gw.admin_port());
  auto none = admin.Post("/admin/reload");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = admin.Post("/admin/reload", {{"Authorization", std::string("Bearer ") + kAlphaKey}},
                          "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_THAT(wrong->body, ::testing::Not(HasSubstr(kAlphaKey)));
  auto right = admin.Post("/admin/reload", {{"Authorization", std::string("Bearer ") + kAdminKey}},
                          "", "text/plain");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_THAT(right->body, HasSubstr("\"version\":2"));
  // Reading dead letters (whole events) needs the key as well; health and metrics do not.
  auto letters = admin.Get("/admin/dead-letters?route=main");
  ASSERT_TRUE(letters);
  EXPECT_EQ(letters->status, 401);
  letters = admin.Get("/admin/dead-letters?route=main",
                      {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(letters);
  EXPECT_EQ(letters->status, 200);
  EXPECT_EQ(letters->body, "[]");
  auto metrics = admin.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

TEST_F(AdminReloadTest, RefusedConfigAnswers400WithTheReason) {
  TestGateway gw(AdminYaml());
  ASSERT_TRUE(gw.Start());
  std::string yaml = AdminYaml();
  yaml.replace(yaml.find("linger: 10ms"), 12, "linger: soon");
  gw.SetYaml(yaml);
  httplib::Client admin("127.0.0.1", gw.admin_port());
  auto res = admin.Post("/admin/reload", {{"Authorization", std::string("Bearer ") + kAdminKey}},
                        "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body,
            "{\"error\":\"test.yaml: export.linger: must be a duration like \\\"250ms\\\", "
            "\\\"5s\\\" or \\\"24h\\\"\"}\n");
}

TEST_F(AdminReloadTest, WithoutAdminKeyOnlyALoopbackListenerAllowsReload) {
  TestGateway gw(BaseYaml());  // admin_listen is 127.0.0.1:0
  ASSERT_TRUE(gw.Start());
  httplib::Client admin("127.0.0.1", gw.admin_port());
  auto res = admin.Post("/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(tracegate::admin::IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(tracegate::admin::IsLoopbackHost("::1"));
  EXPECT_FALSE(tracegate::admin::IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(tracegate::admin::IsLoopbackHost("10.0.0.7"));
}

}  // namespace
}  // namespace tracegate::security_testing
