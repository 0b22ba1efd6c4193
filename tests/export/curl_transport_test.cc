// CurlTransport against a real HTTP server (cpp-httplib) on 127.0.0.1, port 0.
#include "gateway/export/curl_transport.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace tracegate::exporter {
namespace {

constexpr char kAuth[] = "Basic cGstbGYtc2VjcmV0OnNrLWxmLXNlY3JldA==";

class LocalServer {
 public:
  LocalServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LocalServer() {
    if (!release_.HasBeenNotified()) release_.Notify();  // never leave a handler blocked
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  // Blocked handlers wait for this.
  absl::Notification& release() { return release_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  absl::Notification release_;
};

HttpRequest Post(const std::string& url, std::string body) {
  HttpRequest r;
  r.url = url;
  r.headers = {{"Authorization", kAuth}, {"Content-Type", "application/json"}};
  r.body = std::move(body);
  r.timeout = absl::Seconds(10);
  return r;
}

TEST(CurlTransportTest, ReusesOneConnectionForSeveralRequests) {
  LocalServer server;
  absl::Mutex mu;
  std::set<int> client_ports;
  std::vector<std::string> bodies, auths;
  server.server().Post("/api/public/ingestion",
                       [&](const httplib::Request& req, httplib::Response& res) {
                         {
                           absl::MutexLock lock(&mu);
                           client_ports.insert(req.remote_port);
                           bodies.push_back(req.body);
                           auths.push_back(req.get_header_value("Authorization"));
                         }
                         res.status = 207;
                         res.set_header("X-Request-Count", std::to_string(bodies.size()));
                         res.set_content(R"({"successes":[],"errors":[]})", "application/json");
                       });
  ASSERT_GT(server.port(), 0);

  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok()) << transport.status();
  for (int i = 0; i < 4; ++i) {
    auto response = (*transport)
                        ->Post(Post(server.Url("/api/public/ingestion"),
                                    "{\"batch\":[" + std::to_string(i) + "]}"));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 207);
    EXPECT_EQ(response->body, R"({"successes":[],"errors":[]})");
    ASSERT_NE(response->Header("x-request-count"), nullptr);
    EXPECT_EQ(*response->Header("x-request-count"), std::to_string(i + 1));
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(client_ports.size(), 1u) << "requests did not share one keep-alive connection";
  EXPECT_EQ((*transport)->connections_opened(), 1);
  ASSERT_EQ(bodies.size(), 4u);
  EXPECT_EQ(bodies[3], "{\"batch\":[3]}");
  EXPECT_EQ(auths[0], kAuth);
}

TEST(CurlTransportTest, GetAndNon2xxAreResponses) {
  LocalServer server;
  server.server().Get("/api/public/health", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"status":"down"})", "application/json");
  });
  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok());
  HttpRequest get;
  get.url = server.Url("/api/public/health");
  auto response = (*transport)->Get(get);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, R"({"status":"down"})");
  auto missing = (*transport)->Post(Post(server.Url("/nowhere"), "{}"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST(CurlTransportTest, TimeoutIsDeadlineExceededWithoutSecrets) {
  LocalServer server;
  absl::Notification entered;
  server.server().Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
    entered.Notify();
    // Blocks until the test has seen the client give up (bounded as a safety net).
    server.release().WaitForNotificationWithTimeout(absl::Seconds(30));
    res.set_content("late", "text/plain");
  });
  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok());
  HttpRequest request = Post(server.Url("/slow"), "{}");
  request.timeout = absl::Milliseconds(300);
  auto response = (*transport)->Post(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_TRUE(entered.HasBeenNotified());
  std::string message(response.status().message());
  EXPECT_EQ(message.find(kAuth), std::string::npos);
  EXPECT_EQ(message.find("Authorization"), std::string::npos);
  EXPECT_NE(message.find("/slow"), std::string::npos);
}

TEST(CurlTransportTest, AbortCallbackCancelsAnInProgressRequest) {
  LocalServer server;
  absl::Notification entered;
  server.server().Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
    entered.Notify();
    server.release().WaitForNotificationWithTimeout(absl::Seconds(30));
    res.set_content("late", "text/plain");
  });
  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok());
  HttpRequest request = Post(server.Url("/slow"), "{}");
  request.timeout = absl::Seconds(30);
  request.abort = [&] { return entered.HasBeenNotified(); };
  auto response = (*transport)->Post(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled) << response.status();
}

TEST(CurlTransportTest, RefusedConnectionIsUnavailable) {
  // Bind a port without listening, note it, close it: connecting there is refused.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok());
  HttpRequest request =
      Post("http://user:pw@127.0.0.1:" + std::to_string(port) + "/api/public/ingestion", "{}");
  auto response = (*transport)->Post(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  std::string message(response.status().message());
  EXPECT_EQ(message.find(kAuth), std::string::npos);
  EXPECT_EQ(message.find("pw@"), std::string::npos);
}

TEST(CurlTransportTest, OversizedResponseIsUnavailable) {
  LocalServer server;
  server.server().Post("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(200000, 'x'), "text/plain");
  });
  auto transport = CurlTransport::Create(CurlTransportOptions{.max_response_bytes = 1000});
  ASSERT_TRUE(transport.ok());
  auto response = (*transport)->Post(Post(server.Url("/big"), "{}"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
}

TEST(CurlTransportTest, MalformedUrlIsInvalidArgument) {
  auto transport = CurlTransport::Create(CurlTransportOptions{});
  ASSERT_TRUE(transport.ok());
  auto response = (*transport)->Post(Post("notascheme://x", "{}"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << response.status();
}

}  // namespace
}  // namespace tracegate::exporter
