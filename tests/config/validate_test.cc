// ValidateConfig: one case per rule, each with the exact message.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/config/defaults.h"
#include "gateway/config/loader.h"
#include "gateway/config/validate_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

constexpr char kDigest[] = "9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c";
constexpr char kDigest2[] = "000000000000000000000000000000000000000000000000000000000000000a";

EnvLookup NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::string Key(absl::string_view name, absl::string_view digest, absl::string_view workspaces) {
  return absl::StrCat("  - name: ", name, "\n    sha256: ", digest,
                      "\n    workspaces: ", workspaces, "\n");
}

std::string Route(absl::string_view name, absl::string_view workspaces,
                  absl::string_view langfuse_extra = "", absl::string_view extra = "",
                  absl::string_view base_url = "http://langfuse:3000") {
  return absl::StrCat("  - name: ", name, "\n    workspaces: ", workspaces,
                      "\n    langfuse:\n      base_url: ", base_url,
                      "\n      public_key: pk\n      secret_key: sk\n", langfuse_extra, extra);
}

std::string Config(absl::string_view routes, absl::string_view keys = "",
                   absl::string_view rest = "") {
  return absl::StrCat("api_keys:\n",
                      keys.empty() ? Key("dev", kDigest, "[\"*\"]") : std::string(keys),
                      "routes:\n", routes, rest);
}

struct Case {
  std::string yaml;
  std::string error;
};

void PrintTo(const Case& c, std::ostream* os) { *os << "\n" << c.yaml; }

class ValidateConfigTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateConfigTest, ReportsPathAndProblem) {
  absl::StatusOr<v1::Config> config = ParseConfigYaml(GetParam().yaml, NoEnv(), "c.yaml");
  if (GetParam().error == "OK") {
    EXPECT_TRUE(config.ok()) << config.status();
    return;
  }
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "c.yaml: " + GetParam().error);
}

const std::string kStar = Route("default", "[\"*\"]");

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidateConfigTest,
    ::testing::Values(
        Case{Config(kStar), "OK"},
        Case{Config(absl::StrCat(Route("a", "[team-a, team-b]"), Route("b", "[\"*\"]")),
                    Key("k", kDigest, "[team-a, other]")),
             "OK"},
        // server
        Case{Config(kStar, "", "server:\n  grpc_listen: \"50051\"\n"),
             "server.grpc_listen: must be host:port"},
        Case{Config(kStar, "", "server:\n  grpc_listen: \"host:99999\"\n"),
             "server.grpc_listen: must be host:port"},
        Case{Config(kStar, "", "server:\n  grpc_listen: \"[::]:50051\"\n"), "OK"},
        Case{Config(kStar, "", "server:\n  admin_listen: \":9464\"\n"),
             "server.admin_listen: must be host:port"},
        Case{Config(kStar, "",
                    "server:\n  admin_listen: \"0.0.0.0:1\"\n  grpc_listen: \"0.0.0.0:1\"\n"),
             "server.admin_listen: must differ from server.grpc_listen"},
        Case{Config(kStar, "", "server:\n  max_receive_message_bytes: 10\n"),
             "server.max_receive_message_bytes: must be between 1024 and 1073741824"},
        Case{Config(kStar, "", "server:\n  ingest_threads: 1000\n"),
             "server.ingest_threads: must be between 1 and 256"},
        Case{Config(kStar, "", "server:\n  drain_timeout: soon\n"),
             "server.drain_timeout: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{Config(kStar, "", "server:\n  drain_timeout: -5s\n"),
             "server.drain_timeout: must be greater than 0"},
        // limits
        Case{Config(kStar, "", "limits:\n  max_id_chars: 801\n"),
             "limits.max_id_chars: must be between 1 and 800"},
        Case{Config(kStar, "", "limits:\n  max_event_bytes: 20000000\n"),
             "limits.max_event_bytes: must not exceed server.max_receive_message_bytes"},
        Case{Config(kStar, "", "limits:\n  max_future_skew: 0s\n"),
             "limits.max_future_skew: must be greater than 0"},
        Case{Config(kStar, "", "limits:\n  max_events_per_batch: 200000\n"),
             "limits.max_events_per_batch: must be between 1 and 100000"},
        Case{Config(kStar, "", "limits:\n  max_name_chars: 5000\n"),
             "limits.max_name_chars: must be between 1 and 1000"},
        Case{Config(kStar, "", "limits:\n  max_tags: 5000\n"),
             "limits.max_tags: must be between 1 and 1000"},
        // routes
        Case{"api_keys:\n" + Key("dev", kDigest, "[\"*\"]"),
             "routes: at least one route is required"},
        Case{Config(Route("Bad Name", "[\"*\"]")), "routes[0].name: must match [a-z0-9_-]{1,64}"},
        Case{Config("  - workspaces: [x]\n"), "routes[0].name: required"},
        Case{Config(absl::StrCat(Route("a", "[x]"), Route("a", "[y]"))),
             "routes[1].name: duplicate of routes[0].name"},
        Case{Config(Route("a", "[]")), "routes[0].workspaces: at least one workspace is required"},
        Case{Config(Route("a", "[\"\"]")), "routes[0].workspaces[0]: must not be empty"},
        Case{Config(absl::StrCat(Route("a", "[x, y]"), Route("b", "[z, y]"))),
             "routes[1].workspaces[1]: workspace \"y\" is already routed by routes[0]"},
        Case{Config(absl::StrCat(Route("a", "[\"*\"]"), Route("b", "[\"*\"]"))),
             "routes[1].workspaces[0]: workspace \"*\" is already routed by routes[0]"},
        Case{Config(absl::StrCat(Route("a", "[x]"), Route("b", "[y]", "", "", "langfuse:3000"))),
             "routes[1].langfuse.base_url: must be an http(s) URL"},
        Case{Config(Route("a", "[\"*\"]", "", "", "https://")),
             "routes[0].langfuse.base_url: must be an http(s) URL"},
        Case{Config(Route("a", "[\"*\"]", "", "", "http://h/x?y=1")),
             "routes[0].langfuse.base_url: must be an http(s) URL"},
        Case{Config(Route("a", "[\"*\"]", "", "", "https://langfuse.example.com/")), "OK"},
        Case{Config("  - name: a\n    workspaces: [\"*\"]\n"),
             "routes[0].langfuse.base_url: required"},
        Case{Config("  - name: a\n    workspaces: [\"*\"]\n    langfuse:\n      base_url: "
                    "http://h\n      secret_key: s\n"),
             "routes[0].langfuse.public_key: required (set public_key or public_key_file)"},
        Case{Config("  - name: a\n    workspaces: [\"*\"]\n    langfuse:\n      base_url: "
                    "http://h\n      public_key: p\n"),
             "routes[0].langfuse.secret_key: required (set secret_key or secret_key_file)"},
        Case{Config("  - name: a\n    workspaces: [\"*\"]\n    langfuse:\n      base_url: "
                    "http://h\n      public_key_file: /run/secrets/pk\n"
                    "      secret_key_file: /run/secrets/sk\n"),
             "OK"},
        Case{Config(Route("a", "[\"*\"]", "      timeout: ten\n")),
             "routes[0].langfuse.timeout: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{Config(Route("a", "[\"*\"]", "", "    egress: grpc\n")),
             "routes[0].egress: must be one of otlp, legacy, auto"},
        Case{Config(Route("a", "[\"*\"]", "", "    egress: auto\n")), "OK"},
        Case{Config(Route("a", "[\"*\"]", "", "    environment: Production\n")),
             "routes[0].environment: must match [a-z0-9_-]{1,40} and not start with "
             "\"langfuse\""},
        Case{Config(Route("a", "[\"*\"]", "", "    environment: langfuse-prod\n")),
             "routes[0].environment: must match [a-z0-9_-]{1,40} and not start with "
             "\"langfuse\""},
        Case{Config(Route("a", "[\"*\"]", "",
                          absl::StrCat("    environment: ", std::string(41, 'e'), "\n"))),
             "routes[0].environment: must match [a-z0-9_-]{1,40} and not start with "
             "\"langfuse\""},
        Case{Config(Route("a", "[\"*\"]", "", "    environment: prod_eu-1\n")), "OK"},
        // api keys
        Case{Config(kStar, " []\n"), "api_keys: at least one key is required"},
        Case{Config(kStar, Key("dev", "ABC", "[\"*\"]")),
             "api_keys[0].sha256: must be 64 lower-case hex characters (the key's SHA-256)"},
        Case{Config(kStar, Key("dev", absl::AsciiStrToUpper(kDigest), "[\"*\"]")),
             "api_keys[0].sha256: must be 64 lower-case hex characters (the key's SHA-256)"},
        Case{Config(kStar, "  - name: dev\n    workspaces: [x]\n"), "api_keys[0].sha256: required"},
        Case{Config(kStar, absl::StrCat(Key("dev", kDigest, "[x]"), Key("dev", kDigest2, "[x]"))),
             "api_keys[1].name: duplicate of api_keys[0].name"},
        Case{Config(kStar, absl::StrCat(Key("a", kDigest, "[x]"), Key("b", kDigest, "[x]"))),
             "api_keys[1].sha256: same key as api_keys[0]"},
        Case{Config(kStar, Key("", kDigest, "[x]")), "api_keys[0].name: required"},
        Case{Config(kStar, Key("dev", kDigest, "[]")),
             "api_keys[0].workspaces: at least one workspace is required"},
        Case{Config(Route("a", "[x]"), Key("dev", kDigest, "[x, y]")),
             "api_keys[0].workspaces[1]: workspace \"y\" has no route"},
        Case{Config(Route("a", "[x]"), Key("dev", kDigest, "[x, \"*\"]")), "OK"},
        // export, dedupe, queue, logging
        Case{Config(kStar, "", "export:\n  gzip_level: 10\n"),
             "export.gzip_level: must be between 1 and 9"},
        Case{Config(kStar, "", "export:\n  max_batch_bytes: 5000000\n"),
             "export.max_batch_bytes: must be between 1024 and 3500000"},
        Case{Config(kStar, "", "export:\n  max_batch_bytes: 500000\n"),
             "export.max_batch_bytes: must be at least limits.max_event_bytes"},
        Case{Config(kStar, "", "export:\n  max_batch_events: 0\n"), "OK"},  // 0 = default
        Case{Config(kStar, "", "export:\n  initial_backoff: 5s\n  max_backoff: 1s\n"),
             "export.max_backoff: must be at least export.initial_backoff"},
        Case{Config(kStar, "", "export:\n  linger: 1x\n"),
             "export.linger: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{Config(kStar, "", "export:\n  workers_per_route: 65\n"),
             "export.workers_per_route: must be between 1 and 64"},
        Case{Config(kStar, "", "export:\n  max_attempts: 5000\n"),
             "export.max_attempts: must be between 0 and 1000"},
        Case{Config(kStar, "", "dedupe:\n  window: forever\n"),
             "dedupe.window: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{Config(kStar, "", "dedupe:\n  window: inf\n"),
             "dedupe.window: must be a duration like \"250ms\", \"5s\" or \"24h\""},
        Case{Config(kStar, "", "queue:\n  max_events_per_route: 10\n"),
             "queue.max_events_per_route: must be at least limits.max_events_per_batch"},
        Case{Config(kStar, "", "logging:\n  level: verbose\n"),
             "logging.level: must be one of debug, info, warn, error"}));

TEST(ParseDurationFieldTest, ParsesAndRejects) {
  EXPECT_EQ(*ParseDurationField("250ms", "x"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDurationField("1h30m", "x"), absl::Minutes(90));
  EXPECT_EQ(ParseDurationField("", "a.b").status().message(), "a.b: required");
  EXPECT_EQ(ParseDurationField("0", "a.b").status().message(), "a.b: must be greater than 0");
  EXPECT_EQ(ParseDurationField("5", "a.b").status().message(),
            "a.b: must be a duration like \"250ms\", \"5s\" or \"24h\"");
  EXPECT_EQ(ParseDurationField("5s", "a.b").status().code(), absl::StatusCode::kOk);
  EXPECT_EQ(ParseDurationField("x", "a").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateHelpersTest, Environment) {
  EXPECT_TRUE(IsValidEnvironment("production"));
  EXPECT_TRUE(IsValidEnvironment("a-b_c9"));
  EXPECT_TRUE(IsValidEnvironment(std::string(40, 'a')));
  EXPECT_FALSE(IsValidEnvironment(std::string(41, 'a')));
  EXPECT_FALSE(IsValidEnvironment(""));
  EXPECT_FALSE(IsValidEnvironment("Prod"));
  EXPECT_FALSE(IsValidEnvironment("langfuse"));
  EXPECT_FALSE(IsValidEnvironment("langfuse_x"));
  EXPECT_FALSE(IsValidEnvironment("a.b"));
}

TEST(ValidateHelpersTest, ListenAddressAndUrl) {
  EXPECT_TRUE(IsListenAddress("0.0.0.0:50051"));
  EXPECT_TRUE(IsListenAddress("localhost:0"));
  EXPECT_TRUE(IsListenAddress("[::1]:9464"));
  EXPECT_FALSE(IsListenAddress("[::1:9464"));
  EXPECT_FALSE(IsListenAddress("host:"));
  EXPECT_FALSE(IsListenAddress("host:65536"));
  EXPECT_FALSE(IsListenAddress("ho st:1"));
  EXPECT_TRUE(IsHttpUrl("http://langfuse-web:3000"));
  EXPECT_TRUE(IsHttpUrl("https://cloud.langfuse.com/base"));
  EXPECT_FALSE(IsHttpUrl("HTTP://x"));
  EXPECT_FALSE(IsHttpUrl("http://"));
  EXPECT_FALSE(IsHttpUrl("http://a b"));
  EXPECT_FALSE(IsHttpUrl("http://user:pw@host"));
  EXPECT_FALSE(IsHttpUrl("unix:///tmp/x"));
}

TEST(ValidateConfigTest, ValidatesProgrammaticConfigWithoutDefaults) {
  v1::Config config;
  EXPECT_EQ(ValidateConfig(config).message(), "server.grpc_listen: must be host:port");
  ApplyDefaults(&config);
  EXPECT_EQ(ValidateConfig(config).message(), "routes: at least one route is required");
}

}  // namespace
}  // namespace tracegate::config
