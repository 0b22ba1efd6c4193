#include "gateway/route/router.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::route {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using RouteList = google::protobuf::RepeatedPtrField<config::v1::Route>;

config::v1::Route* AddRoute(RouteList* routes, const std::string& name,
                            std::vector<std::string> workspaces) {
  config::v1::Route* route = routes->Add();
  route->set_name(name);
  for (const std::string& w : workspaces) route->add_workspaces(w);
  route->mutable_langfuse()->set_base_url("http://langfuse-" + name + ":3000");
  route->mutable_langfuse()->set_public_key("pk-lf-" + name);
  route->mutable_langfuse()->set_secret_key("sk-lf-" + name);
  return route;
}

RouterOptions FakeFiles(std::map<std::string, std::string> files) {
  RouterOptions options;
  options.read_file = [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("cannot read " + path + ": missing");
    return it->second;
  };
  return options;
}

TEST(RouterTest, ExactWorkspaceBeatsCatchAll) {
  RouteList routes;
  AddRoute(&routes, "default", {"*"});
  AddRoute(&routes, "team-a", {"team-a", "team-a-staging"});
  auto router = Router::Create(routes);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Find("team-a")->name, "team-a");
  EXPECT_EQ((*router)->Find("team-a-staging")->name, "team-a");
  EXPECT_EQ((*router)->Find("team-b")->name, "default");
  EXPECT_EQ((*router)->Find("team")->name, "default");
  EXPECT_EQ((*router)->Find(""), nullptr);
  ASSERT_EQ((*router)->routes().size(), 2u);
  EXPECT_EQ((*router)->routes()[0]->name, "default");
  EXPECT_EQ((*router)->routes()[1]->name, "team-a");
  EXPECT_EQ((*router)->FindByName("team-a"), (*router)->Find("team-a"));
  EXPECT_EQ((*router)->FindByName("nope"), nullptr);
}

TEST(RouterTest, NoCatchAllMeansNoRoute) {
  RouteList routes;
  AddRoute(&routes, "a", {"x"});
  auto router = Router::Create(routes);
  ASSERT_TRUE(router.ok());
  EXPECT_NE((*router)->Find("x"), nullptr);
  EXPECT_EQ((*router)->Find("y"), nullptr);
  EXPECT_EQ((*router)->Find("*"), nullptr);
}

TEST(RouterTest, BuildsTheTarget) {
  RouteList routes;
  config::v1::Route* route = AddRoute(&routes, "main", {"*"});
  route->mutable_langfuse()->set_base_url("https://langfuse.example.com//");
  route->mutable_langfuse()->set_timeout("2500ms");
  route->mutable_langfuse()->set_ca_file("/etc/ca.pem");
  route->set_egress("legacy");
  route->set_environment("production");
  auto router = Router::Create(routes);
  ASSERT_TRUE(router.ok()) << router.status();
  const core::RouteTarget& t = *(*router)->Find("w");
  EXPECT_EQ(t.name, "main");
  EXPECT_EQ(t.base_url, "https://langfuse.example.com");
  EXPECT_EQ(t.public_key, "pk-lf-main");
  EXPECT_EQ(t.secret_key, "sk-lf-main");
  EXPECT_EQ(t.timeout, absl::Milliseconds(2500));
  EXPECT_EQ(t.egress, core::Egress::kLegacy);
  EXPECT_FALSE(t.egress_auto);
  EXPECT_EQ(t.environment, "production");
  EXPECT_EQ(t.ca_file, "/etc/ca.pem");
}

TEST(RouterTest, EgressDefaultsAndAuto) {
  RouteList routes;
  AddRoute(&routes, "plain", {"a"});
  AddRoute(&routes, "otlp", {"b"})->set_egress("otlp");
  AddRoute(&routes, "auto", {"c"})->set_egress("auto");
  auto router = Router::Create(routes);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Find("a")->egress, core::Egress::kOtlp);
  EXPECT_EQ((*router)->Find("a")->timeout, absl::Seconds(10));
  EXPECT_EQ((*router)->Find("b")->egress, core::Egress::kOtlp);
  EXPECT_FALSE((*router)->Find("b")->egress_auto);
  EXPECT_EQ((*router)->Find("c")->egress, core::Egress::kOtlp);
  EXPECT_TRUE((*router)->Find("c")->egress_auto);
}

TEST(RouterTest, KeysFromFilesAreTrimmed) {
  RouteList routes;
  config::v1::Route* route = AddRoute(&routes, "files", {"*"});
  route->mutable_langfuse()->clear_public_key();
  route->mutable_langfuse()->clear_secret_key();
  route->mutable_langfuse()->set_public_key_file("/run/secrets/pk");
  route->mutable_langfuse()->set_secret_key_file("/run/secrets/sk");
  auto router = Router::Create(routes, FakeFiles({{"/run/secrets/pk", "pk-lf-file\n"},
                                                  {"/run/secrets/sk", "sk-lf-file\r\n"}}));
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Find("x")->public_key, "pk-lf-file");
  EXPECT_EQ((*router)->Find("x")->secret_key, "sk-lf-file");
}

TEST(RouterTest, ValueWinsOverFile) {
  RouteList routes;
  config::v1::Route* route = AddRoute(&routes, "both", {"*"});
  route->mutable_langfuse()->set_secret_key_file("/missing");
  auto router = Router::Create(routes, FakeFiles({}));
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Find("x")->secret_key, "sk-lf-both");
}

TEST(RouterTest, FileErrorsNameTheRouteButNotTheContent) {
  RouteList routes;
  config::v1::Route* route = AddRoute(&routes, "files", {"*"});
  route->mutable_langfuse()->clear_secret_key();
  route->mutable_langfuse()->set_secret_key_file("/run/secrets/sk");
  auto router = Router::Create(routes, FakeFiles({}));
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(router.status().message(),
            "route 'files': langfuse.secret_key_file: cannot read /run/secrets/sk: missing");

  router = Router::Create(routes, FakeFiles({{"/run/secrets/sk", "\n"}}));
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().message(),
            "route 'files': langfuse.secret_key_file: the file is empty");

  router = Router::Create(routes, FakeFiles({{"/run/secrets/sk", "sk-lf-HIDDEN\nsecond"}}));
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(router.status().message()), Not(HasSubstr("HIDDEN")));
}

TEST(RouterTest, ReadsRealFiles) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/tg_route_sk");
  std::ofstream(path, std::ios::trunc) << "sk-lf-disk\n";
  RouteList routes;
  config::v1::Route* route = AddRoute(&routes, "disk", {"*"});
  route->mutable_langfuse()->clear_secret_key();
  route->mutable_langfuse()->set_secret_key_file(path);
  auto router = Router::Create(routes);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ((*router)->Find("x")->secret_key, "sk-lf-disk");

  EXPECT_EQ(ReadSecretFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(RouterTest, RejectsInvalidRoutes) {
  auto error = [](RouteList routes) {
    auto router = Router::Create(routes, FakeFiles({}));
    EXPECT_FALSE(router.ok());
    return std::string(router.status().message());
  };
  RouteList routes;
  EXPECT_EQ(error(routes), "routes: at least one route is required");

  routes.Clear();
  AddRoute(&routes, "a", {"x"});
  AddRoute(&routes, "b", {"y", "x"});
  EXPECT_EQ(error(routes), "route 'b': workspace \"x\" is already routed");

  routes.Clear();
  AddRoute(&routes, "a", {"*"});
  AddRoute(&routes, "b", {"*"});
  EXPECT_EQ(error(routes), "route 'b': workspace \"*\" is already routed");

  routes.Clear();
  AddRoute(&routes, "a", {"x"});
  AddRoute(&routes, "a", {"y"});
  EXPECT_EQ(error(routes), "route 'a': duplicate route name");

  routes.Clear();
  AddRoute(&routes, "", {"x"});
  EXPECT_EQ(error(routes), "routes[0].name: required");

  routes.Clear();
  AddRoute(&routes, "a", {});
  EXPECT_EQ(error(routes), "route 'a': workspaces: at least one workspace is required");

  routes.Clear();
  AddRoute(&routes, "a", {"x"})->set_egress("grpc");
  EXPECT_EQ(error(routes), "route 'a': egress: must be one of otlp, legacy, auto");

  routes.Clear();
  AddRoute(&routes, "a", {"x"})->mutable_langfuse()->set_timeout("0s");
  EXPECT_EQ(error(routes), "route 'a': langfuse.timeout: must be a duration > 0 like \"10s\"");

  routes.Clear();
  AddRoute(&routes, "a", {"x"})->mutable_langfuse()->set_base_url("langfuse:3000");
  EXPECT_EQ(error(routes), "route 'a': langfuse.base_url: must be an http(s) URL");

  routes.Clear();
  AddRoute(&routes, "a", {"x"})->mutable_langfuse()->clear_public_key();
  EXPECT_EQ(error(routes),
            "route 'a': langfuse.public_key: required (set public_key or public_key_file)");
}

}  // namespace
}  // namespace tracegate::route
