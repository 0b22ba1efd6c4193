// tracegate: the gateway binary.
//
//   tracegate --config=tracegate.yaml          serve until SIGTERM/SIGINT, then drain;
//                                              SIGHUP re-reads the config (hot reload)
//   tracegate --config=tracegate.yaml --check  validate the config and exit (0 = valid)
//   tracegate hash-key < key.txt               print the SHA-256 to put in api_keys[].sha256
#include <signal.h>
#include <sys/prctl.h>

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/authenticator.h"
#include "gateway/config/loader.h"
#include "gateway/config/validate_config.h"
#include "gateway/observability/log.h"
#include "gateway/server/gateway.h"

ABSL_FLAG(std::string, config, "", "Path of the YAML config file (required)");
ABSL_FLAG(bool, check, false, "Validate the config file and exit");

namespace {

int HashKey() {
  std::string key;
  std::getline(std::cin, key);
  key = std::string(absl::StripAsciiWhitespace(key));
  if (key.empty()) {
    std::cerr << "hash-key: give the API key on stdin\n";
    return 2;
  }
  std::cout << tracegate::auth::Sha256Hex(key) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "tracegate --config=FILE [--check] | tracegate hash-key < keyfile");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1 && std::string(args[1]) == "hash-key") return HashKey();
  if (args.size() > 1) {
    std::cerr << "unknown command \"" << args[1] << "\" (try --help)\n";
    return 2;
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) {
    std::cerr << "--config is required (see examples/tracegate.yaml)\n";
    return 2;
  }
  auto loaded = tracegate::config::LoadConfigFile(path, tracegate::config::ProcessEnv());
  if (!loaded.ok()) {
    std::cerr << "config: " << loaded.status().message() << "\n";
    return 2;
  }
  for (const std::string& w : loaded->warnings) tracegate::log::Warn(w);
  if (absl::GetFlag(FLAGS_check)) {
    std::cout << "config OK: " << path << "\n";
    return 0;
  }
  tracegate::log::Level level;
  if (tracegate::log::ParseLevel(loaded->config.logging().level(), &level)) {
    tracegate::log::SetLevel(level);
  }

  // No core dumps (and no same-user ptrace) that could expose API or Langfuse keys.
  if (!loaded->config.security().allow_core_dumps() && prctl(PR_SET_DUMPABLE, 0) != 0) {
    tracegate::log::Warn("could not disable core dumps (prctl PR_SET_DUMPABLE)");
  }

  // Block the stop and reload signals in every thread; this thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const absl::Duration drain =
      tracegate::config::ParseDurationField(loaded->config.server().drain_timeout(),
                                            "server.drain_timeout")
          .value_or(absl::Seconds(30));
  tracegate::server::GatewayOptions options;
  options.config = loaded->config;
  options.load_config = [path] {
    return tracegate::config::LoadConfigFile(path, tracegate::config::ProcessEnv());
  };
#ifndef TRACEGATE_ALLOCATOR_NAME
#define TRACEGATE_ALLOCATOR_NAME "system"
#endif
  tracegate::log::Info("tracegate starting",
                       {{"config", path}, {"allocator", TRACEGATE_ALLOCATOR_NAME}});
  auto gateway = tracegate::server::Gateway::Start(std::move(options));
  if (!gateway.ok()) {
    tracegate::log::Error("start failed", {{"error", gateway.status().ToString()}});
    return 1;
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    tracegate::log::Info("SIGHUP received, reloading the config", {{"path", path}});
    (void)(*gateway)->Reload();  // logs the result; a refused config keeps the running one
  }
  tracegate::log::Info("stop signal received, draining",
                       {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                        {"drain_timeout", absl::FormatDuration(drain)}});
  (*gateway)->Shutdown(drain);
  return 0;
}
