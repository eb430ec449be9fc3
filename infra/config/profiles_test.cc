#include "infra/config/profiles.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::config::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void SetFlow(YAML::Node node) {
  if (!node.IsMap() && !node.IsSequence()) return;
  node.SetStyle(YAML::EmitterStyle::Flow);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      SetFlow(it->second);
    } else {
      SetFlow(*it);
    }
  }
}

// Renders a node in flow style on one line, so expectations read as data.
std::string Flow(YAML::Node node) {
  SetFlow(node);
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

TEST(RegexEqualTest, LikeSkaffold) {
  EXPECT_TRUE(RegexEqual("prod", "prod"));
  EXPECT_TRUE(RegexEqual("prod", "my-prod-cluster"));  // searched, not anchored
  EXPECT_TRUE(RegexEqual("^minikube$", "minikube"));
  EXPECT_FALSE(RegexEqual("^minikube$", "minikube2"));
  EXPECT_TRUE(RegexEqual("!prod", "dev"));
  EXPECT_FALSE(RegexEqual("!prod", "prod"));
  EXPECT_TRUE(RegexEqual("(dev|run)", "run"));
  EXPECT_FALSE(RegexEqual("(unclosed", "x"));  // an invalid pattern matches nothing
  EXPECT_TRUE(RegexEqual("(unclosed", "(unclosed"));
}

TEST(ApplyPatchOpTest, AddRemoveReplace) {
  YAML::Node doc = YAML::Load("{a: {b: 1, l: [x, y, z]}}");
  ASSERT_TRUE(ApplyPatchOp(doc, "replace", "/a/b", YAML::Node(2)).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "add", "/a/c", YAML::Load("{d: e}")).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "add", "/a/l/1", YAML::Node("w")).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "add", "/a/l/-", YAML::Node("end")).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "remove", "/a/l/0", YAML::Node()).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "replace", "/a/l/0", YAML::Node("W")).ok());
  EXPECT_EQ(Flow(doc), "{a: {b: 2, l: [W, y, z, end], c: {d: e}}}");
  ASSERT_TRUE(ApplyPatchOp(doc, "remove", "/a/c", YAML::Node()).ok());
  ASSERT_TRUE(ApplyPatchOp(doc, "add", "/x~1y", YAML::Node("slash")).ok());
  EXPECT_EQ(Flow(doc), "{a: {b: 2, l: [W, y, z, end]}, x/y: slash}");
}

TEST(ApplyPatchOpTest, ErrorsSayWhatIsMissing) {
  YAML::Node doc = YAML::Load("{a: {l: [x]}}");
  EXPECT_EQ(ApplyPatchOp(doc, "replace", "/a/nope", YAML::Node(1)).message(),
            "path \"/a/nope\": no field \"nope\"");
  EXPECT_EQ(ApplyPatchOp(doc, "replace", "/b/c", YAML::Node(1)).message(),
            "path \"/b/c\": no field \"b\"");
  EXPECT_EQ(ApplyPatchOp(doc, "remove", "/a/l/3", YAML::Node()).message(),
            "path \"/a/l/3\": no list item 3 (the list has 1 items)");
  EXPECT_EQ(ApplyPatchOp(doc, "add", "/a/l/2", YAML::Node(1)).message(),
            "path \"/a/l/2\": no list item 2 (the list has 1 items)");
  EXPECT_EQ(ApplyPatchOp(doc, "move", "/a", YAML::Node()).message(),
            "unsupported op \"move\" (expected add, remove or replace)");
  EXPECT_EQ(ApplyPatchOp(doc, "add", "a", YAML::Node()).message(),
            "path \"a\": expected a JSON pointer starting with \"/\"");
  EXPECT_EQ(Flow(doc), "{a: {l: [x]}}");  // failed ops change nothing
}

constexpr char kDoc[] = R"(apiVersion: skaffold/v4beta13
kind: Config
build:
  artifacts:
  - image: app
  local: {push: false}
profiles:
- name: gcb
  build:
    googleCloudBuild: {}
- name: ci
  activation:
  - env: CI=true
  patches:
  - op: replace
    path: /build/artifacts/0/image
    value: app-ci
- name: kind
  activation:
  - kubeContext: kind-.*
    command: dev
- name: both
  requiresAllActivations: true
  activation:
  - env: A=1
  - env: B=1
  portForward:
  - {resourceType: service, resourceName: app, port: 80}
)";

struct Applied {
  std::vector<std::string> names;
  std::string doc;
  std::vector<ConfigError> errors;
};

Applied Apply(const ProfileOptions& options) {
  YAML::Node doc = YAML::Load(kDoc);
  Applied out;
  Walker w("skaffold.yaml", &out.errors);
  std::set<std::string> defined;
  out.names = ApplyProfiles(doc, options, &w, &defined);
  EXPECT_THAT(defined, ElementsAre("both", "ci", "gcb", "kind"));
  out.doc = Flow(doc);
  return out;
}

TEST(ApplyProfilesTest, NoneActive) {
  Applied a = Apply({});
  EXPECT_THAT(a.names, IsEmpty());
  EXPECT_THAT(a.errors, IsEmpty());
  EXPECT_EQ(a.doc,
            "{apiVersion: skaffold/v4beta13, kind: Config, build: {artifacts: [{image: app}], "
            "local: {push: false}}}");
}

TEST(ApplyProfilesTest, RequestedOverrideDropsOtherBuildTypes) {
  Applied a = Apply({.requested = {"gcb"}});
  EXPECT_THAT(a.names, ElementsAre("gcb"));
  EXPECT_EQ(a.doc,
            "{apiVersion: skaffold/v4beta13, kind: Config, build: {artifacts: [{image: app}], "
            "googleCloudBuild: {}}}");
}

TEST(ApplyProfilesTest, ActivationByEnvKubeContextAndCommand) {
  Applied a = Apply({.env = {{"CI", "true"}}, .kube_context = "kind-dev", .command = "dev"});
  EXPECT_THAT(a.names, ElementsAre("ci", "kind"));
  EXPECT_THAT(a.doc, ::testing::HasSubstr("image: app-ci"));
  // kubeContext matches but command does not: the entry's conditions must all hold.
  EXPECT_THAT(Apply({.kube_context = "kind-dev", .command = "run"}).names, IsEmpty());
  // "-ci" turns off an activated profile.
  EXPECT_THAT(Apply({.requested = {"-ci"}, .env = {{"CI", "true"}}}).names, IsEmpty());
}

TEST(ApplyProfilesTest, RequiresAllActivations) {
  EXPECT_THAT(Apply({.env = {{"A", "1"}}}).names, IsEmpty());
  Applied a = Apply({.env = {{"A", "1"}, {"B", "1"}}});
  EXPECT_THAT(a.names, ElementsAre("both"));
  EXPECT_THAT(a.doc, ::testing::HasSubstr("portForward: [{resourceType: service"));
}

TEST(ApplyProfilesTest, AConfigQualifiedRequestConcernsOnlyThatConfig) {
  auto apply = [](const std::string& config_name, std::vector<std::string> requested) {
    YAML::Node doc = YAML::Load(kDoc);
    std::vector<ConfigError> errors;
    Walker w("skaffold.yaml", &errors);
    std::set<std::string> defined;
    std::vector<std::string> names = ApplyProfiles(
        doc, {.requested = std::move(requested), .config_name = config_name}, &w, &defined);
    EXPECT_THAT(errors, IsEmpty());
    if (!config_name.empty()) {
      EXPECT_TRUE(defined.contains(config_name + ":gcb")) << config_name;
    }
    return names;
  };
  EXPECT_THAT(apply("app", {"app:gcb"}), ElementsAre("gcb"));
  EXPECT_THAT(apply("web", {"app:gcb"}), IsEmpty());
  EXPECT_THAT(apply("", {"app:gcb"}), IsEmpty());  // an unnamed config is never "app"
  EXPECT_THAT(apply("app", {"gcb", "-app:gcb"}), IsEmpty());
  EXPECT_THAT(apply("web", {"gcb", "-app:gcb"}), ElementsAre("gcb"));
}

TEST(ApplyProfilesTest, FromParent) {
  EXPECT_THAT(Apply({.from_parent = {"kind"}}).names, ElementsAre("kind"));
}

TEST(ApplyProfilesTest, BadPatchIsReportedAtThePatch) {
  YAML::Node doc = YAML::Load(R"(build: {artifacts: []}
profiles:
- name: p
  patches:
  - op: replace
    path: /build/artifacts/0/image
    value: x
)");
  std::vector<ConfigError> errors;
  Walker w("skaffold.yaml", &errors);
  std::set<std::string> defined;
  ApplyProfiles(doc, {.requested = {"p"}}, &w, &defined);
  EXPECT_THAT(errors, ElementsAre(ConfigError{
                          {"skaffold.yaml", 5, 5},
                          "profiles[0].patches[0]: path \"/build/artifacts/0/image\": no list item "
                          "0 (the list has 0 items)"}));
}

}  // namespace
}  // namespace devloop::config::internal
