// Test helper: a real redis-server on 127.0.0.1 and a free port, in its own temp directory,
// started with posix_spawn and stopped (SIGTERM, then SIGKILL) by the destructor.
//
//   auto server = RedisServer::Start({.aof = true});
//   ASSERT_TRUE(server) << "redis-server missing (scripts/setup.sh installs it)";
//   server->Restart();            // same port and directory: AOF data survives
//   server->Kill();               // SIGKILL: the "Redis crashed" case
//
// A server shared by a whole test binary: `static auto server = RedisServer::Start();` (a
// static unique_ptr, so it is stopped at exit). Its stdio goes to /dev/null.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/redis/connection.h"

extern char** environ;

namespace tracegate::redis::testing {

struct RedisServerOptions {
  bool aof = false;
  std::string password;  // requirepass when not empty
};

class RedisServer {
 public:
  static std::unique_ptr<RedisServer> Start(RedisServerOptions options = {}) {
    char tmpl[] = "/tmp/tracegate-redis-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return nullptr;
    std::unique_ptr<RedisServer> s(new RedisServer(std::move(options), tmpl));
    for (int attempt = 0; attempt < 5; ++attempt) {
      s->port_ = FreePort();
      if (s->port_ > 0 && s->Spawn()) return s;
    }
    return nullptr;
  }

  ~RedisServer() {
    Stop();
    std::string cmd = absl::StrCat("rm -rf '", dir_, "'");
    if (std::system(cmd.c_str()) != 0) std::perror("rm");
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string url(int db = 0) const {
    std::string creds = options_.password.empty() ? "" : absl::StrCat(":", options_.password, "@");
    return absl::StrCat("redis://", creds, "127.0.0.1:", port_, "/", db);
  }
  RedisEndpoint endpoint() const {
    RedisEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = port_;
    ep.password = options_.password;
    return ep;
  }

  // SIGTERM: Redis flushes the AOF and exits.
  void Stop() { Signal(SIGTERM); }
  void Kill() { Signal(SIGKILL); }
  // Starts again on the same port and directory (waits until it answers PING).
  bool Restart() {
    Stop();
    return Spawn();
  }
  bool running() const { return pid_ > 0; }

 private:
  RedisServer(RedisServerOptions options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  bool Spawn() {
    const std::vector<std::pair<std::string, std::string>> flags = {
        {"--bind", "127.0.0.1"},
        {"--port", std::to_string(port_)},
        {"--dir", dir_},
        {"--save", ""},
        {"--appendonly", options_.aof ? "yes" : "no"},
        {"--appendfsync", "everysec"},
        {"--daemonize", "no"},
        {"--loglevel", "warning"},
        {"--logfile", dir_ + "/redis.log"}};
    std::vector<std::string> args = {"redis-server"};
    for (const auto& [flag, value] : flags) {
      args.push_back(flag);
      args.push_back(value);
    }
    if (!options_.password.empty()) {
      args.push_back("--requirepass");
      args.push_back(options_.password);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Never inherit the test's stdout/stderr: a pipe reader would wait for redis-server.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "redis-server", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return false;
    pid_ = pid;
    ConnectionOptions co;
    co.endpoint = endpoint();
    co.connect_timeout = absl::Milliseconds(200);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken?
        pid_ = 0;
        return false;
      }
      auto conn = Connection::Open(co);
      if (conn.ok()) {
        // A data command answers LOADING until the AOF is read (PING would not).
        auto probe = (*conn)->Command(Args{"EXISTS", "tracegate:probe"});
        if (probe.ok()) return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    Signal(SIGKILL);
    return false;
  }

  void Signal(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    pid_ = 0;
  }

  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace tracegate::redis::testing
