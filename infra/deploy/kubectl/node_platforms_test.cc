#include "infra/deploy/kubectl/node_platforms.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {
namespace {

using json::Json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Json Parse(const std::string& text) {
  absl::StatusOr<Json> doc = Json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : Json();
}

// nodes_mixed.json has the shape `kubectl get nodes -o json` prints for a
// kind cluster (Kubernetes v1.34): an amd64 control plane, an arm64 and an
// amd64 worker, a worker whose kubelet left nodeInfo's platform empty but whose
// labels say linux/arm, and one that says nothing at all.
Json Fixture(const std::string& name) {
  std::ifstream in(std::string(std::getenv("TEST_SRCDIR")) +
                   "/devloop/infra/deploy/kubectl/testdata/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << "no fixture " << name;
  return Parse(text.str());
}

TEST(NodePlatformsTest, MixedClusterGivesEachPlatformOnceSorted) {
  absl::StatusOr<std::vector<std::string>> p = NodePlatforms(Fixture("nodes_mixed.json"));
  ASSERT_TRUE(p.ok()) << p.status();
  // The labels' "arm" is normalized as --platform's is.
  EXPECT_THAT(*p, ElementsAre("linux/amd64", "linux/arm/v7", "linux/arm64"));
}

TEST(NodePlatformsTest, NodeInfoOverLabels) {
  // The kubelet's report wins over labels a user may have set by hand.
  const Json nodes = Parse(R"({"kind":"NodeList","items":[
      {"metadata":{"labels":{"kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"}},
       "status":{"nodeInfo":{"operatingSystem":"linux","architecture":"arm64"}}},
      {"metadata":{"labels":{"beta.kubernetes.io/os":"windows","beta.kubernetes.io/arch":"amd64"}},
       "status":{}}]})");
  absl::StatusOr<std::vector<std::string>> p = NodePlatforms(nodes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(*p, ElementsAre("linux/arm64", "windows/amd64"));
}

TEST(NodePlatformsTest, NoNodesIsAnEmptyList) {
  absl::StatusOr<std::vector<std::string>> p =
      NodePlatforms(Parse(R"({"apiVersion":"v1","items":[],"kind":"List"})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(*p, IsEmpty());
}

TEST(NodePlatformsTest, AnswerWithoutItemsIsInvalid) {
  absl::StatusOr<std::vector<std::string>> p =
      NodePlatforms(Parse(R"({"kind":"Status","status":"Failure"})"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("kubectl get nodes"));
}

}  // namespace
}  // namespace devloop::deploy::kubectl
