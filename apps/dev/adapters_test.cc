// Which config reloads keep the run (RunCanGoOn): the same deployer, and on
// Kubernetes the same cluster.
#include "apps/dev/adapters.h"

#include "gtest/gtest.h"

namespace devloop::apps {
namespace {

Pipeline Kubectl(const std::string& context) {
  Pipeline p;
  p.deployer = DeployerKind::kKubectl;
  p.kubectl.context = context;
  p.kubectl.manifest_globs = {"/src/k8s/web.yaml"};
  return p;
}

TEST(RunCanGoOnTest, TheSameDeployerKeepsTheRun) {
  EXPECT_TRUE(RunCanGoOn(Pipeline{}, Pipeline{}));
  Pipeline more = Kubectl("kind-dev");
  more.kubectl.manifest_globs.push_back("/src/k8s/db.yaml");
  more.kubectl.default_namespace = "other";
  more.kubectl.flags.apply = {"--server-side"};
  EXPECT_TRUE(RunCanGoOn(Kubectl("kind-dev"), more)) << "what is applied may change";
}

TEST(RunCanGoOnTest, AnotherDeployerOrClusterIsANewRun) {
  EXPECT_FALSE(RunCanGoOn(Pipeline{}, Kubectl("")));
  EXPECT_FALSE(RunCanGoOn(Kubectl(""), Pipeline{}));
  EXPECT_FALSE(RunCanGoOn(Kubectl("kind-dev"), Kubectl("kind-prod")));
  Pipeline other_config = Kubectl("kind-dev");
  other_config.kubectl.kubeconfig = "/home/me/other.yaml";
  EXPECT_FALSE(RunCanGoOn(Kubectl("kind-dev"), other_config));
  Pipeline other_server = Kubectl("kind-dev");
  other_server.kubectl.flags.global = {"--server=https://10.0.0.1:6443"};
  EXPECT_FALSE(RunCanGoOn(Kubectl("kind-dev"), other_server));
}

}  // namespace
}  // namespace devloop::apps
