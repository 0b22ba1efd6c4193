#include "gateway/config/loader.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/defaults.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::config {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kDigest[] = "9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c";
constexpr char kSecret[] = "sk-lf-TOPSECRET-4242";
constexpr char kPublic[] = "pk-lf-PUBLICVALUE-17";

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

EnvLookup LangfuseEnv() {
  return MapEnv({{"LANGFUSE_PUBLIC_KEY", kPublic}, {"LANGFUSE_SECRET_KEY", kSecret}});
}

std::string Keys(absl::string_view workspaces = "[\"*\"]") {
  return absl::StrCat("api_keys:\n  - name: dev\n    sha256: ", kDigest,
                      "\n    workspaces: ", workspaces, "\n");
}

std::string Route(absl::string_view name, absl::string_view workspaces,
                  absl::string_view extra = "") {
  return absl::StrCat("  - name: ", name, "\n    workspaces: ", workspaces,
                      "\n    langfuse:\n      base_url: http://langfuse:3000\n"
                      "      public_key: ",
                      kPublic, "\n      secret_key: ", kSecret, "\n", extra);
}

std::string Yaml(absl::string_view extra = "") {
  return absl::StrCat(Keys(), "routes:\n", Route("default", "[\"*\"]"), extra);
}

std::string ErrorOf(absl::string_view yaml, const EnvLookup& env = LangfuseEnv()) {
  absl::StatusOr<v1::Config> config = ParseConfigYaml(yaml, env, "test.yaml");
  if (config.ok()) return "OK";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ParseConfigYamlTest, ExampleFileParses) {
  std::ifstream in(std::string(TRACEGATE_SOURCE_DIR) + "/examples/tracegate.yaml");
  ASSERT_TRUE(in) << "examples/tracegate.yaml missing";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<v1::Config> config = ParseConfigYaml(text, LangfuseEnv(), "tracegate.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_THAT(config->routes(), SizeIs(1));
  const v1::Route& route = config->routes(0);
  EXPECT_EQ(route.name(), "default");
  EXPECT_EQ(route.workspaces(0), "*");
  EXPECT_EQ(route.langfuse().base_url(), "http://127.0.0.1:3000");
  EXPECT_EQ(route.langfuse().public_key(), kPublic);
  EXPECT_EQ(route.langfuse().secret_key(), kSecret);
  EXPECT_EQ(route.egress(), "otlp");
  EXPECT_EQ(config->server().app_env(), "dev");
  ASSERT_THAT(config->api_keys(), SizeIs(1));
  EXPECT_EQ(config->api_keys(0).sha256(), kDigest);

  absl::StatusOr<v1::Config> prod =
      ParseConfigYaml(text,
                      MapEnv({{"LANGFUSE_PUBLIC_KEY", "pk"},
                              {"LANGFUSE_SECRET_KEY", "sk"},
                              {"LANGFUSE_BASE_URL", "https://langfuse.example.com"},
                              {"APP_ENV", "production"}}),
                      "tracegate.yaml");
  ASSERT_TRUE(prod.ok()) << prod.status();
  EXPECT_EQ(prod->routes(0).langfuse().base_url(), "https://langfuse.example.com");
  EXPECT_EQ(prod->server().app_env(), "production");
}

TEST(ParseConfigYamlTest, DocumentationExampleParses) {
  std::ifstream in(std::string(TRACEGATE_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md missing";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t start = doc.find("```yaml\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("```", start + 8);
  ASSERT_NE(end, std::string::npos);
  absl::StatusOr<v1::Config> config =
      ParseConfigYaml(doc.substr(start + 8, end - start - 8), LangfuseEnv(), "doc");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_THAT(config->routes(), SizeIs(2));
  EXPECT_EQ(config->routes(1).langfuse().base_url(), "http://langfuse-web:3000");
  EXPECT_EQ(config->routes(1).egress(), "auto");
  EXPECT_EQ(config->server().app_env(), "production");
}

TEST(ParseConfigYamlTest, ExampleWithoutKeysNamesTheVariable) {
  std::ifstream in(std::string(TRACEGATE_SOURCE_DIR) + "/examples/tracegate.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(ErrorOf(text, MapEnv({{"LANGFUSE_SECRET_KEY", kSecret}})),
            "test.yaml: routes[0].langfuse.public_key: environment variable "
            "LANGFUSE_PUBLIC_KEY is not set");
}

TEST(ParseConfigYamlTest, AppliesDefaults) {
  absl::StatusOr<v1::Config> config = ParseConfigYaml(Yaml(), LangfuseEnv(), "t");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server().grpc_listen(), "0.0.0.0:50051");
  EXPECT_EQ(config->server().admin_listen(), "127.0.0.1:9464");
  EXPECT_EQ(config->server().max_receive_message_bytes(), 16u << 20);
  EXPECT_GE(config->server().ingest_threads(), 1u);
  EXPECT_EQ(config->server().drain_timeout(), "30s");
  EXPECT_EQ(config->server().service_name(), "tracegate");
  EXPECT_EQ(config->server().app_env(), "dev");
  EXPECT_EQ(config->limits().max_events_per_batch(), 10000u);
  EXPECT_EQ(config->limits().max_event_bytes(), 1000000u);
  EXPECT_EQ(config->limits().max_id_chars(), 800u);
  EXPECT_EQ(config->limits().max_future_skew(), "24h");
  EXPECT_EQ(config->limits().max_name_chars(), 1000u);
  EXPECT_EQ(config->limits().max_tags(), 100u);
  EXPECT_EQ(config->routes(0).egress(), "otlp");
  EXPECT_EQ(config->routes(0).environment(), "");
  EXPECT_EQ(config->routes(0).langfuse().timeout(), "10s");
  EXPECT_EQ(config->export_().max_batch_events(), 500u);
  EXPECT_EQ(config->export_().max_batch_bytes(), 2500000u);
  EXPECT_EQ(config->export_().linger(), "200ms");
  EXPECT_EQ(config->export_().initial_backoff(), "500ms");
  EXPECT_EQ(config->export_().max_backoff(), "30s");
  EXPECT_EQ(config->export_().max_attempts(), 0u);
  EXPECT_EQ(config->export_().gzip_level(), 1);
  EXPECT_EQ(config->export_().workers_per_route(), 1u);
  EXPECT_EQ(config->dedupe().window(), "24h");
  EXPECT_EQ(config->dedupe().max_entries(), 1000000u);
  EXPECT_EQ(config->queue().max_events_per_route(), 200000u);  // embedded: held in our heap
  EXPECT_EQ(config->logging().level(), "info");
}

TEST(ParseConfigYamlTest, QueueCapDefaultDependsOnTheStore) {
  absl::StatusOr<v1::Config> redis =
      ParseConfigYaml(Yaml() + "redis:\n  url: redis://127.0.0.1:6379/0\n", LangfuseEnv(), "t");
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ(redis->queue().max_events_per_route(), 1000000u);
  absl::StatusOr<v1::Config> set =
      ParseConfigYaml(Yaml() + "queue:\n  max_events_per_route: 5000000\n", LangfuseEnv(), "t");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->queue().max_events_per_route(), 5000000u);
}

TEST(ParseConfigYamlTest, ScalarTyping) {
  // Plain numbers become numbers, quoted ones strings; expansions in numeric fields work.
  absl::StatusOr<v1::Config> config =
      ParseConfigYaml(Yaml("server:\n  app_env: \"123\"\n  ingest_threads: 3\nexport:\n"
                           "  max_batch_events: ${BATCH:-250}\n  gzip_level: '6'\nlogging:\n"),
                      LangfuseEnv(), "t");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server().app_env(), "123");
  EXPECT_EQ(config->server().ingest_threads(), 3u);
  EXPECT_EQ(config->export_().max_batch_events(), 250u);
  EXPECT_EQ(config->export_().gzip_level(), 6);
  EXPECT_EQ(config->logging().level(), "info");  // `logging:` (null) = not set

  EXPECT_EQ(ErrorOf(Yaml("server:\n  app_env: 123\n")),
            "test.yaml: server.app_env: must be a string (quote the value)");
  EXPECT_EQ(ErrorOf(Yaml("server:\n  app_env: true\n")),
            "test.yaml: server.app_env: must be a string (quote the value)");
  EXPECT_EQ(ErrorOf(Yaml("export:\n  gzip_level: fast\n")),
            "test.yaml: export.gzip_level: must be an integer between -2147483648 and "
            "2147483647");
  EXPECT_EQ(ErrorOf(Yaml("export:\n  max_batch_events: 2.5\n")),
            "test.yaml: export.max_batch_events: must be an integer between 0 and 4294967295");
  EXPECT_EQ(ErrorOf(Yaml("export:\n  max_batch_events: -1\n")),
            "test.yaml: export.max_batch_events: must be an integer between 0 and 4294967295");
  EXPECT_EQ(ErrorOf(Yaml("export:\n  max_batch_events: ${N:-many}\n")),
            "test.yaml: export.max_batch_events: must be an integer between 0 and 4294967295");
  EXPECT_EQ(ErrorOf(Yaml("server:\n  app_env: {a: b}\n")),
            "test.yaml: server.app_env: must be a string");
  EXPECT_EQ(ErrorOf(Yaml("export: [1, 2]\n")),
            "test.yaml: export: must be a mapping of keys to values");
  EXPECT_EQ(ErrorOf(Yaml("export:\n  linger: !!int 5\n")),
            "test.yaml: export.linger: unsupported YAML tag (only !!str is allowed)");
  EXPECT_EQ(ErrorOf(absl::StrCat(Keys(), "routes:\n  name: x\n")),
            "test.yaml: routes: must be a list");
  EXPECT_EQ(ErrorOf(absl::StrCat(Keys(), "routes:\n  -\n")),
            "test.yaml: routes[0]: must not be empty");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "test.yaml: <root>: must be a mapping of keys to values");
}

TEST(ParseConfigYamlTest, UnknownKeysAreNamed) {
  EXPECT_EQ(ErrorOf(absl::StrCat(Keys(), "routes:\n", Route("a", "[\"*\"]", "    egres: otlp\n"))),
            "test.yaml: routes[0].egres: unknown key");
  EXPECT_EQ(ErrorOf(absl::StrCat(Keys(), "routes:\n", Route("a", "[x]"),
                                 Route("b", "[\"*\"]", "    langfuse_url: x\n"))),
            "test.yaml: routes[1].langfuse_url: unknown key");
  EXPECT_EQ(ErrorOf(Yaml("serverr:\n  grpc_listen: x\n")), "test.yaml: serverr: unknown key");
  EXPECT_EQ(ErrorOf(Yaml("server:\n  grpcListen: \"0.0.0.0:1\"\n")),
            "test.yaml: server.grpcListen: unknown key");
  EXPECT_EQ(ErrorOf(absl::StrCat(Keys(), "routes:\n",
                                 Route("a", "[\"*\"]", "    langfuse:\n      url: x\n"))),
            "test.yaml: routes[0].langfuse: duplicate key");
}

TEST(ParseConfigYamlTest, YamlStructureErrors) {
  EXPECT_EQ(ErrorOf("routes: [1\n"), "test.yaml: line 2, column 1: end of sequence flow not found");
  EXPECT_EQ(ErrorOf(Yaml("logging:\n  level: info\n  level: debug\n")),
            "test.yaml: logging.level: duplicate key");
  EXPECT_EQ(ErrorOf(absl::StrCat(Yaml(), "---\nlogging: {}\n")),
            "test.yaml: the file must hold exactly one YAML document");
  EXPECT_EQ(ErrorOf(""), "test.yaml: routes: at least one route is required");
}

TEST(ParseConfigYamlTest, ExpansionHappensInsideValuesOnly) {
  // A value that looks like YAML stays one string value.
  absl::StatusOr<v1::Config> config =
      ParseConfigYaml(Yaml("server:\n  service_name: ${NAME}\n  app_env: \"$${APP_ENV}\"\n"),
                      MapEnv({{"LANGFUSE_PUBLIC_KEY", "p"},
                              {"LANGFUSE_SECRET_KEY", "s"},
                              {"NAME", "svc\nlogging:\n  level: debug"}}),
                      "t");
  ASSERT_FALSE(config.ok());  // control characters are refused, not parsed as YAML
  EXPECT_EQ(config.status().message(),
            "t: server.service_name: must not contain control characters");

  config = ParseConfigYaml(Yaml("server:\n  service_name: 'gw ${NAME}: a, b'\n"
                                "  app_env: \"$${APP_ENV}\"\n"),
                           MapEnv({{"NAME", "x # not a comment"}}), "t");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server().service_name(), "gw x # not a comment: a, b");
  EXPECT_EQ(config->server().app_env(), "${APP_ENV}");
}

TEST(ParseConfigYamlTest, ErrorsNeverContainSecrets) {
  const std::vector<std::string> bad = {
      absl::StrCat(Keys(), "routes:\n", Route("a", "[\"*\"]", "    egress: http\n")),
      absl::StrCat(Keys(), "routes:\n", Route("a", "[\"*\"]"), Route("b", "[\"*\"]")),
      absl::StrCat(Keys(), "routes:\n", Route("A", "[\"*\"]")),
      absl::StrCat(Keys(), "routes:\n", Route("a", "[\"*\"]", "    extra: 1\n")),
      absl::StrCat(Keys(), "routes:\n", Route("a", "[\"*\"]", "    environment: Prod\n")),
      absl::StrCat(Keys(),
                   "routes:\n  - name: a\n    workspaces: [x]\n    langfuse:\n"
                   "      base_url: ftp://u:",
                   kSecret, "@h\n      secret_key: ", kSecret, "\n      public_key: [", kPublic,
                   "]\n"),
      absl::StrCat(Keys(),
                   "routes:\n  - name: a\n    workspaces: [x]\n    langfuse:\n"
                   "      base_url: http://u:",
                   kSecret, "@h\n      secret_key: ", kSecret, "\n      public_key: ", kPublic,
                   "\n"),
      absl::StrCat(Keys(),
                   "routes:\n  - name: a\n    workspaces: [x]\n    langfuse:\n"
                   "      base_url: http://h\n      secret_key: ",
                   kSecret, "\n      public_key: ", kPublic, "\n      timeout: ", kSecret, "\n"),
      absl::StrCat(Keys(),
                   "routes:\n  - name: a\n    workspaces: [x]\n    langfuse:\n"
                   "      base_url: http://h\n      secret_key: 12345\n      public_key: ",
                   kPublic, "\n"),
  };
  for (const std::string& yaml : bad) {
    const std::string error = ErrorOf(yaml);
    EXPECT_NE(error, "OK") << yaml;
    EXPECT_THAT(error, Not(HasSubstr("TOPSECRET"))) << error;
    EXPECT_THAT(error, Not(HasSubstr("PUBLICVALUE"))) << error;
    EXPECT_THAT(error, Not(HasSubstr("12345"))) << error;
  }
}

class LoadConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(absl::string_view name, absl::string_view text, mode_t mode) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/tg_config_", name);
    std::ofstream(path, std::ios::trunc) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
};

TEST_F(LoadConfigFileTest, WarnsWhenWorldReadableFileHoldsASecret) {
  const std::string path = Write("literal.yaml", Yaml(), 0644);
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, LangfuseEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_THAT(loaded->warnings, SizeIs(1));
  EXPECT_THAT(loaded->warnings[0], HasSubstr("readable by every user"));
  EXPECT_THAT(loaded->warnings[0], Not(HasSubstr("TOPSECRET")));

  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  loaded = LoadConfigFile(path, LangfuseEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->warnings, IsEmpty());
}

TEST_F(LoadConfigFileTest, NoWarningWhenSecretComesFromEnv) {
  const std::string path =
      Write("env.yaml",
            absl::StrCat(Keys(),
                         "routes:\n  - name: a\n    workspaces: [\"*\"]\n    langfuse:\n"
                         "      base_url: http://h\n      public_key: p\n"
                         "      secret_key: ${LANGFUSE_SECRET_KEY}\n"),
            0644);
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, LangfuseEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->warnings, IsEmpty());
  EXPECT_EQ(loaded->config.routes(0).langfuse().secret_key(), kSecret);
}

TEST_F(LoadConfigFileTest, WarnsAboutWorldReadableSecretKeyFile) {
  const std::string secret = Write("secret.txt", "sk\n", 0644);
  const std::string path =
      Write("file.yaml",
            absl::StrCat(Keys(),
                         "routes:\n  - name: a\n    workspaces: [\"*\"]\n    langfuse:\n"
                         "      base_url: http://h\n      public_key: p\n"
                         "      secret_key_file: ",
                         secret, "\n"),
            0600);
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, LangfuseEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_THAT(loaded->warnings, SizeIs(1));
  EXPECT_THAT(loaded->warnings[0], HasSubstr("routes[0].langfuse.secret_key_file"));
}

TEST_F(LoadConfigFileTest, ErrorsNameTheFile) {
  const std::string path = Write("bad.yaml", Yaml("logging:\n  level: loud\n"), 0600);
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, LangfuseEnv());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            absl::StrCat(path, ": logging.level: must be one of debug, info, warn, error"));

  loaded = LoadConfigFile(path + ".missing", LangfuseEnv());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(".missing"));
}

}  // namespace
}  // namespace tracegate::config
