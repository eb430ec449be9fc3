// Which configs of a multi-config project a -p profile applies to: every
// config that defines it (Skaffold's rule), or with "config:profile" only the
// config of that metadata.name. Files are served from memory.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/config/loader.h"
#include "testing/configs/in_memory_config_files.h"

namespace devloop::config {
namespace {

using ::testing::ElementsAre;

constexpr char kHead[] = "apiVersion: skaffold/v4beta13\nkind: Config\n";

// app requires api (another file) and web (same file); api and app define
// "prod", web defines only "debug".
InMemoryConfigFiles Project() {
  InMemoryConfigFiles files;
  files.Add("/p/skaffold.yaml",
            std::string(kHead) +
                "metadata: {name: app}\n"
                "requires:\n- path: api\n- configs: [web]\n"
                "profiles:\n- name: prod\n"
                "---\n" + kHead +
                "metadata: {name: web}\n"
                "profiles:\n- name: debug\n");
  files.Add("/p/api/skaffold.yaml", std::string(kHead) +
                                        "metadata: {name: api}\n"
                                        "profiles:\n- name: prod\n- name: debug\n");
  return files;
}

// Returns "name:profile,profile" per loaded config, in load order.
absl::StatusOr<std::vector<std::string>> Applied(std::vector<std::string> profiles) {
  InMemoryConfigFiles files = Project();
  absl::StatusOr<std::vector<Config>> configs = LoadConfigs(
      {.working_directory = "/p", .profiles = std::move(profiles)}, files);
  if (!configs.ok()) return configs.status();
  std::vector<std::string> out;
  for (const Config& c : *configs) {
    std::string line = c.name + ":";
    for (size_t i = 0; i < c.active_profiles.size(); ++i) {
      line += (i > 0 ? "," : "") + c.active_profiles[i];
    }
    out.push_back(line);
  }
  return out;
}

TEST(ProfileSelectionTest, APlainNameAppliesToEveryConfigThatDefinesIt) {
  absl::StatusOr<std::vector<std::string>> got = Applied({"prod"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("api:prod", "web:", "app:prod"));

  got = Applied({"debug"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("api:debug", "web:debug", "app:"));
}

TEST(ProfileSelectionTest, AConfigQualifiedNameAppliesToThatConfigOnly) {
  absl::StatusOr<std::vector<std::string>> got = Applied({"api:prod"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("api:prod", "web:", "app:"));

  got = Applied({"web:debug", "app:prod"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("api:", "web:debug", "app:prod"));
}

TEST(ProfileSelectionTest, AQualifiedNameTurnsAProfileOffInOneConfig) {
  absl::StatusOr<std::vector<std::string>> got = Applied({"prod", "-api:prod"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("api:", "web:", "app:prod"));
}

TEST(ProfileSelectionTest, ANameNoConfigDefinesIsAnError) {
  EXPECT_EQ(Applied({"staging"}).status().message(),
            "skaffold.yaml: profile \"staging\" (from -p) is not defined by any config (defined: "
            "debug, prod)");
  // web has no "prod", though api and app do.
  EXPECT_EQ(Applied({"web:prod"}).status().message(),
            "skaffold.yaml: profile \"web:prod\" (from -p): no config named \"web\" defines "
            "profile \"prod\" (defined: debug, prod)");
  EXPECT_EQ(Applied({"nope:prod"}).status().message(),
            "skaffold.yaml: profile \"nope:prod\" (from -p): no config named \"nope\" defines "
            "profile \"prod\" (defined: debug, prod)");
  EXPECT_THAT(Applied({}).value(), ElementsAre("api:", "web:", "app:"));
}

}  // namespace
}  // namespace devloop::config
