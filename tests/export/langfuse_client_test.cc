#include "gateway/export/langfuse_client.h"

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gateway/export/gzip.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/export/fake_transport.h"

namespace tracegate::exporter {
namespace {

using ::tracegate::exporter::testing::FakeTransport;
using ::tracegate::exporter::testing::Response;

std::shared_ptr<const core::RouteTarget> Target() {
  auto t = std::make_shared<core::RouteTarget>();
  t->name = "main";
  t->base_url = "http://langfuse-web:3000";
  t->public_key = "pk-lf-public";
  t->secret_key = "sk-lf-secret";
  t->timeout = absl::Seconds(7);
  return t;
}

TEST(LangfuseClientTest, BasicAuthorization) {
  EXPECT_EQ(BasicAuthorization("pk-lf-1", "sk-lf-2"),
            "Basic " + absl::Base64Escape("pk-lf-1:sk-lf-2"));
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(LangfuseClientTest, OtlpRequestHeadersAndGzipBody) {
  LangfuseClient client(
      LangfuseClientOptions{.target = Target(), .gzip_level = 6, .sdk_version = "1.2.3"});
  std::string proto(10000, 'p');
  auto request = client.OtlpRequest(proto);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->url, "http://langfuse-web:3000/api/public/otel/v1/traces");
  HttpHeaders expected = {
      {"Authorization", "Basic " + absl::Base64Escape("pk-lf-public:sk-lf-secret")},
      {"x-langfuse-sdk-name", "tracegate"},
      {"x-langfuse-sdk-version", "1.2.3"},
      {"Content-Type", "application/x-protobuf"},
      {"Content-Encoding", "gzip"},
      {"x-langfuse-ingestion-version", "4"},
  };
  EXPECT_EQ(request->headers, expected);
  EXPECT_EQ(request->timeout, absl::Seconds(7));
  ASSERT_GE(request->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(request->body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(request->body[1]), 0x8b);
  EXPECT_LT(request->body.size(), proto.size());
  auto plain = Gunzip(request->body);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, proto);
}

TEST(LangfuseClientTest, BadGzipLevel) {
  LangfuseClient client(LangfuseClientOptions{.target = Target(), .gzip_level = 12});
  EXPECT_EQ(client.OtlpRequest("x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LangfuseClientTest, IngestionRequestIsUncompressedJsonBatch) {
  LangfuseClient client(LangfuseClientOptions{.target = Target(), .sdk_version = "9"});
  std::vector<std::string> events = {R"({"id":"1","type":"score-create"})",
                                     R"({"id":"2","type":"trace-create"})"};
  HttpRequest request = client.IngestionRequest(events);
  EXPECT_EQ(request.url, "http://langfuse-web:3000/api/public/ingestion");
  HttpHeaders expected = {
      {"Authorization", "Basic " + absl::Base64Escape("pk-lf-public:sk-lf-secret")},
      {"x-langfuse-sdk-name", "tracegate"},
      {"x-langfuse-sdk-version", "9"},
      {"Content-Type", "application/json"},
  };
  EXPECT_EQ(request.headers, expected);
  EXPECT_EQ(FindHeader(request.headers, "content-encoding"), nullptr);
  EXPECT_EQ(request.body, R"({"batch":[{"id":"1","type":"score-create"},)"
                          R"({"id":"2","type":"trace-create"}]})");
  EXPECT_EQ(request.body.size(),
            LangfuseClient::IngestionOverhead(2) + events[0].size() + events[1].size());
  auto parsed = nlohmann::json::parse(request.body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["batch"].size(), 2u);
  EXPECT_EQ(client.IngestionRequest(std::vector<std::string>{}).body, R"({"batch":[]})");
  EXPECT_EQ(LangfuseClient::IngestionOverhead(0), std::string(R"({"batch":[]})").size());
}

TEST(HeaderTest, CaseInsensitiveLookupAndRedaction) {
  HttpResponse r = Response(429, "", {{"Retry-After", "7"}, {"X-Other", "1"}});
  ASSERT_NE(r.Header("retry-after"), nullptr);
  EXPECT_EQ(*r.Header("RETRY-AFTER"), "7");
  EXPECT_EQ(r.Header("retry"), nullptr);
  EXPECT_EQ(RedactUrl("https://user:pw@host:3000/a@b?x=@"), "https://host:3000/a@b?x=@");
  EXPECT_EQ(RedactUrl("http://host/path"), "http://host/path");
  EXPECT_EQ(RedactUrl("host@x"), "x");
}

TEST(ParseVersionTest, Forms) {
  EXPECT_EQ(*ParseLangfuseVersion("4.16.0"), std::make_pair(4, 16));
  EXPECT_EQ(*ParseLangfuseVersion("v3.22.1-rc.1"), std::make_pair(3, 22));
  EXPECT_EQ(*ParseLangfuseVersion("3.225"), std::make_pair(3, 225));
  for (const char* bad : {"", "4", "latest", "x.y.z", "-1.2.3", "3.-2"}) {
    EXPECT_FALSE(ParseLangfuseVersion(bad).ok()) << bad;
  }
}

TEST(ResolveEgressTest, PicksByVersion) {
  const std::pair<const char*, core::Egress> cases[] = {
      {"4.16.0", core::Egress::kOtlp},   {"3.22.0", core::Egress::kOtlp},
      {"3.225.4", core::Egress::kOtlp},  {"3.21.9", core::Egress::kLegacy},
      {"2.95.1", core::Egress::kLegacy},
  };
  for (const auto& [version, egress] : cases) {
    FakeTransport transport;
    transport.Push(Response(200, std::string(R"({"status":"OK","version":")") + version + "\"}"));
    auto got = ResolveEgress(transport, *Target());
    ASSERT_TRUE(got.ok()) << version << " " << got.status();
    EXPECT_EQ(*got, egress) << version;
    ASSERT_EQ(transport.requests().size(), 1u);
    EXPECT_EQ(transport.methods()[0], "GET");
    EXPECT_EQ(transport.requests()[0].url, "http://langfuse-web:3000/api/public/health");
    EXPECT_EQ(FindHeader(transport.requests()[0].headers, "Authorization"), nullptr);
  }
}

TEST(ResolveEgressTest, Failures) {
  FakeTransport transport;
  transport.Push(absl::UnavailableError("connection refused"));
  transport.Push(Response(503, R"({"status":"database down"})"));
  transport.Push(Response(200, "<html>"));
  transport.Push(Response(200, R"({"status":"OK"})"));
  transport.Push(Response(200, R"({"version":"nightly"})"));
  EXPECT_EQ(ResolveEgress(transport, *Target()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ResolveEgress(transport, *Target()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ResolveEgress(transport, *Target()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveEgress(transport, *Target()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveEgress(transport, *Target()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GzipTest, RoundTripAndCorruptInput) {
  std::string data;
  for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>(i * 7 % 251));
  for (int level : {0, 1, 9}) {
    auto z = Gzip(data, level);
    ASSERT_TRUE(z.ok());
    auto back = Gunzip(*z);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data);
  }
  auto empty = Gzip("", 1);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*Gunzip(*empty), "");
  auto z = Gzip(data, 1);
  EXPECT_FALSE(Gunzip(z->substr(0, z->size() / 2)).ok());
  EXPECT_FALSE(Gunzip("not gzip at all").ok());
  EXPECT_FALSE(Gunzip("").ok());
  EXPECT_EQ(Gunzip(*z, 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Gzip("x", -2).ok());
}

}  // namespace
}  // namespace tracegate::exporter
