#include "apps/dev/command_support.h"

#include <stdlib.h>

#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::apps {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

build::ArtifactBuildSpec Artifact(const std::string& image, std::vector<std::string> required = {}) {
  build::ArtifactBuildSpec a;
  a.spec.image = image;
  a.spec.required = required;
  for (const std::string& r : required) a.require_aliases[r] = r;
  a.context_dir = "/src/" + image;
  return a;
}

std::vector<std::string> Images(const std::vector<const build::ArtifactBuildSpec*>& order) {
  std::vector<std::string> out;
  for (const auto* a : order) out.push_back(a->spec.image);
  return out;
}

TEST(ProjectIdTest, StablePerPathAndDifferentAcrossPaths) {
  EXPECT_THAT(ProjectId("/nonexistent/a/skaffold.yaml"), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(ProjectId("/nonexistent/a/skaffold.yaml"), ProjectId("/nonexistent/a/skaffold.yaml"));
  EXPECT_NE(ProjectId("/nonexistent/a/skaffold.yaml"), ProjectId("/nonexistent/b/skaffold.yaml"));
}

TEST(BuildOrderTest, RequiredArtifactsComeFirstAndOrderIsOtherwiseKept) {
  std::vector<build::ArtifactBuildSpec> artifacts = {Artifact("app", {"base"}), Artifact("web"),
                                                   Artifact("base"), Artifact("tool", {"app"})};
  absl::StatusOr<std::vector<const build::ArtifactBuildSpec*>> order = BuildOrder(artifacts);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_THAT(Images(*order), ElementsAre("web", "base", "app", "tool"));
}

TEST(BuildOrderTest, CycleAndUnknownRequirementAreErrors) {
  auto cycle = BuildOrder({Artifact("a", {"b"}), Artifact("b", {"a"}), Artifact("c")});
  ASSERT_FALSE(cycle.ok());
  EXPECT_THAT(cycle.status().message(), HasSubstr("a, b"));
  auto unknown = BuildOrder({Artifact("a", {"zzz"})});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("zzz"));
}

TEST(BuildOutputTest, JsonRoundTripsInSkaffoldsFormat) {
  std::vector<BuildOutput> builds = {{"web", "web:abc"}, {"gcr.io/x/app", "gcr.io/x/app:v\"1\\\n"}};
  const std::string json = BuildOutputJson(builds);
  // Field order is fixed: imageName, then tag.
  EXPECT_EQ(BuildOutputJson({{"web", "web:abc"}, {"app", "app:1"}}),
            R"({"builds":[{"imageName":"web","tag":"web:abc"},{"imageName":"app","tag":"app:1"}]})");
  EXPECT_EQ(BuildOutputJson({}), R"({"builds":[]})");
  absl::StatusOr<std::vector<BuildOutput>> parsed = ParseBuildOutput(json, "out.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, builds);
}

TEST(BuildOutputTest, BadInputSaysWhatAndWhere) {
  auto garbage = ParseBuildOutput("{not json", "out.json");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("out.json: not valid JSON"));
  auto no_list = ParseBuildOutput(R"({"images":[]})", "out.json");
  ASSERT_FALSE(no_list.ok());
  EXPECT_THAT(no_list.status().message(), HasSubstr("\"builds\""));
  auto no_tag = ParseBuildOutput(R"({"builds":[{"imageName":"web"}]})", "out.json");
  ASSERT_FALSE(no_tag.ok());
  EXPECT_THAT(no_tag.status().message(), HasSubstr("builds[0]"));
  EXPECT_TRUE(ParseBuildOutput(R"({"builds":[]})", "f").ok());
}

TEST(PlanDeployTest, MatchesArtifactsByNameAndAddsTheOthers) {
  std::vector<build::ArtifactBuildSpec> configured = {Artifact("base"), Artifact("app", {"base"})};
  absl::StatusOr<DeployPlan> plan =
      PlanDeploy(configured, {{"app", "app:v1"}, {"db", "db:5"}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->prebuilt, (std::map<std::string, std::string>{{"app", "app:v1"}, {"db", "db:5"}}));
  ASSERT_EQ(plan->artifacts.size(), 2u);
  EXPECT_EQ(plan->artifacts[0].spec.image, "app");
  EXPECT_EQ(plan->artifacts[0].context_dir, "/src/app");  // the configured artifact
  EXPECT_TRUE(plan->artifacts[0].spec.required.empty());  // nothing is built
  EXPECT_EQ(plan->artifacts[1].spec.image, "db");
}

TEST(PlanDeployTest, NoImagesOrTwiceTheSameAreErrors) {
  EXPECT_THAT(PlanDeploy({Artifact("app")}, {}).status().message(), HasSubstr("--images"));
  EXPECT_FALSE(PlanDeploy({Artifact("app")}, {{"app", "app:1"}, {"app", "app:2"}}).ok());
}

// The start `exec`, `verify` and `test` share: the configs, and the images of
// --build-artifacts by artifact.
class ConfigsAndImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-command-support-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/skaffold.yaml") << "apiVersion: skaffold/v4beta13\n"
                                              "kind: Config\n"
                                              "build:\n"
                                              "  artifacts:\n"
                                              "    - image: web\n"
                                              "test:\n"
                                              "  - image: web\n"
                                              "    custom:\n"
                                              "      - command: make test\n";
    cli_ = cli::DefaultOptions(cli::Command::kTest);
    cli_.filename = dir_ + "/skaffold.yaml";
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  std::string dir_;
  cli::CliOptions cli_;
};

TEST_F(ConfigsAndImagesTest, WithoutBuildArtifactsNoImagesAreGiven) {
  absl::StatusOr<ConfigsAndImages> loaded = LoadConfigsAndImages(cli_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->configs.size(), 1u);
  EXPECT_EQ(loaded->configs[0].tests.size(), 1u);
  EXPECT_TRUE(loaded->built.empty());
}

TEST_F(ConfigsAndImagesTest, BuildArtifactsGiveEachArtifactItsImage) {
  cli_.build_artifacts = dir_ + "/build.json";
  std::ofstream(cli_.build_artifacts) << BuildOutputJson({{"web", "web:v1"}, {"db", "db:v2"}});
  absl::StatusOr<ConfigsAndImages> loaded = LoadConfigsAndImages(cli_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  using Entry = std::pair<const std::string, std::string>;
  EXPECT_THAT(loaded->built, ElementsAre(Entry("db", "db:v2"), Entry("web", "web:v1")));
}

TEST_F(ConfigsAndImagesTest, AMissingOrBadFileIsAnErrorNamingIt) {
  cli_.build_artifacts = dir_ + "/missing.json";
  absl::StatusOr<ConfigsAndImages> loaded = LoadConfigsAndImages(cli_);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(loaded.status().message(),
              AllOf(HasSubstr("--build-artifacts"), HasSubstr("missing.json")));

  cli_.build_artifacts = dir_ + "/bad.json";
  std::ofstream(cli_.build_artifacts) << "{\"builds\": 3}";
  loaded = LoadConfigsAndImages(cli_);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("bad.json"));
}

TEST_F(ConfigsAndImagesTest, ABadConfigIsAnErrorEvenWithImages) {
  std::ofstream(dir_ + "/skaffold.yaml") << "apiVersion: skaffold/v4beta13\nkind: Nope\n";
  EXPECT_FALSE(LoadConfigsAndImages(cli_).ok());
}

}  // namespace
}  // namespace devloop::apps
