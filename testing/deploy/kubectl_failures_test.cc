// What goes wrong on a real cluster, through the KubectlDeployer and the
// domain's status-check classification: a crash-looping container, an image
// that does not exist, a pod no node can take, manifests that do not parse (file
// and line) or that the API server refuses, and the API server stopped mid-run
// and resumed (errors with the connection code, then recovery).
//
// Runs through testing/kube/with_kube_cluster.sh (DEVLOOP_KUBECONFIG,
// DEVLOOP_REGISTRY, DEVLOOP_KUBE_DIR) and needs the Docker Engine.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "domain/events/status_payload.h"
#include "domain/pipeline/status_check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/deploy/kubectl/kubectl_deployer.h"
#include "infra/deploy/kubectl/run_objects.h"
#include "infra/deploy/labels.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/process/posix_process_runner.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using deploy::kRunIdLabel;
using domain::StatusCode;

constexpr char kTestLabel[] = "dev.devloop.test";

std::string Deployment(const std::string& image, const std::string& extra = "") {
  return absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 1
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: app
)", extra, "\n");
}

class KubectlFailuresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = cluster_.kubeconfig();
    registry_ = cluster_.registry();
    ASSERT_FALSE(kubeconfig_.empty()) << "run me through with_kube_cluster.sh";
    std::random_device rd;
    token_ = absl::StrFormat("%08x", rd());
    ns_ = absl::StrCat("fail-", token_);
    docker_ = *docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
    char tmpl[] = "/tmp/devloop-kubectl-failures-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(Kubectl({"create", "namespace", ns_}).ok());
  }
  void TearDown() override {
    if (deployer_ != nullptr) (void)deployer_->Cleanup(/*remove=*/true);
    deployer_.reset();
    (void)Kubectl({"delete", "namespace", ns_, "--wait=false", "--ignore-not-found"});
    for (const std::string& i :
         docker_->ListImages(kTestLabel, token_).value_or(std::vector<std::string>{})) {
      (void)docker_->RemoveImage(i, true);
    }
    std::filesystem::remove_all(dir_);
  }

  // An image whose container runs `script` with busybox sh, pushed to the cluster.
  std::string Image(const std::string& name, const std::string& script) {
    const std::string context = absl::StrCat(dir_, "/", name);
    std::filesystem::create_directories(context + "/bin");
    std::filesystem::copy_file("/bin/busybox", context + "/bin/busybox");
    std::filesystem::create_symlink("busybox", context + "/bin/sh");
    std::ofstream(context + "/Dockerfile")
        << "FROM scratch\nCOPY bin /bin\nCMD [\"/bin/sh\", \"-c\", \"" << script << "\"]\n";
    const std::string tag = absl::StrCat(registry_, "/devloop-failures-", name, ":", token_);
    absl::StatusOr<docker::BuildResult> built =
        docker_->Build({.context_dir = context, .tags = {tag}, .labels = {{kTestLabel, token_}}});
    EXPECT_TRUE(built.ok()) << built.status();
    absl::StatusOr<std::string> digest = docker_->Push(tag);
    EXPECT_TRUE(digest.ok()) << digest.status();
    return absl::StrCat(tag, "@", digest.value_or(""));
  }

  // A deployer whose manifests are `sources`, in the test's namespace.
  void MakeDeployer(std::vector<deploy::kubectl::ManifestSource> sources,
                    absl::Duration request_timeout = absl::Seconds(20)) {
    deploy::kubectl::KubectlDeployer::Options o;
    o.run_id = absl::StrCat("f", token_);
    o.kubectl.kubeconfig = kubeconfig_;
    o.kubectl.request_timeout = request_timeout;
    o.default_namespace = ns_;
    o.manifests = [sources](const domain::ImageTags&) {
      return absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>>(sources);
    };
    auto d = deploy::kubectl::KubectlDeployer::Make(&runner_, std::move(o));
    ASSERT_TRUE(d.ok()) << d.status();
    deployer_ = *std::move(d);
  }

  // Observes deployment `id` until the domain classifies it as Failed (or 120 s
  // pass); returns the last classification and observation.
  std::pair<domain::Classification, domain::ResourceObservation> WaitFailed(int64_t id) {
    domain::Classification c;
    domain::ResourceObservation last;
    const absl::Time end = absl::Now() + absl::Seconds(120);
    while (absl::Now() < end) {
      absl::StatusOr<std::vector<domain::ResourceObservation>> seen = deployer_->Observe(id);
      if (seen.ok() && !seen->empty()) {
        last = (*seen)[0];
        c = domain::Classify(last, {});
        if (c.status == domain::ResourceStatus::kFailed) break;
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
    return {c, last};
  }

  absl::StatusOr<std::string> Kubectl(std::vector<std::string> args) {
    return cluster_.Kubectl(std::move(args));
  }

  KubeTestCluster cluster_ = KubeTestCluster::FromEnvironment();
  std::string kubeconfig_, registry_, token_, ns_, dir_;
  process::PosixProcessRunner runner_;
  std::unique_ptr<docker::EngineApiDocker> docker_;
  std::unique_ptr<deploy::kubectl::KubectlDeployer> deployer_;
};

TEST_F(KubectlFailuresTest, ACrashLoopingContainerFailsWithItsLastLogLines) {
  const std::string image = Image("crash", "echo about to fail; exit 3");
  MakeDeployer({{"crash.yaml", Deployment("app")}});
  ASSERT_TRUE(deployer_->Deploy(1, {{"app", image}}).ok());
  auto [c, obs] = WaitFailed(1);
  EXPECT_EQ(c.code, StatusCode::kStatusCheckContainerRestarting) << c.message;
  EXPECT_EQ(obs.resource, "deployment/app");
  EXPECT_EQ(obs.exit_code, 3);
  EXPECT_THAT(obs.last_log_lines, ::testing::Contains("about to fail"));
}

TEST_F(KubectlFailuresTest, AnImageThatDoesNotExistFailsWithImagePullErr) {
  MakeDeployer({{"missing.yaml", Deployment("app")}});
  ASSERT_TRUE(
      deployer_->Deploy(1, {{"app", absl::StrCat(registry_, "/devloop-no-such-image:nope")}})
          .ok());
  auto [c, obs] = WaitFailed(1);
  EXPECT_EQ(c.code, StatusCode::kStatusCheckImagePullErr) << c.message;
}

TEST_F(KubectlFailuresTest, APodNoNodeCanTakeIsUnschedulable) {
  const std::string image = Image("sleepy", "sleep 3600");
  MakeDeployer({{"big.yaml", Deployment("app", "          resources:\n"
                                               "            requests: {cpu: \"500\"}")}});
  ASSERT_TRUE(deployer_->Deploy(1, {{"app", image}}).ok());
  domain::ResourceObservation obs;
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (absl::Now() < end && obs.waiting_reason != "Unschedulable") {
    absl::StatusOr<std::vector<domain::ResourceObservation>> seen = deployer_->Observe(1);
    if (seen.ok() && !seen->empty()) obs = (*seen)[0];
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(obs.waiting_reason, "Unschedulable");
  EXPECT_THAT(obs.waiting_message, HasSubstr("Insufficient cpu"));
  domain::Classification c = domain::Classify(obs, {});
  EXPECT_EQ(c.status, domain::ResourceStatus::kPending) << "the deadline decides, not the check";
  EXPECT_EQ(c.code, StatusCode::kStatusCheckUnknownUnschedulable);
}

TEST_F(KubectlFailuresTest, ManifestsThatDoNotParseNameTheFileAndLine) {
  MakeDeployer({{"k8s/broken.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n"}});
  absl::StatusOr<std::vector<std::string>> r = deployer_->Deploy(1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("k8s/broken.yaml:"));
  EXPECT_EQ(domain::AttachedStatusCode(r.status()), StatusCode::kDeployReadManifestErr);
}

TEST_F(KubectlFailuresTest, ManifestsTheServerRefusesAreAUserError) {
  // The selector does not match the template's labels: the API server says no.
  MakeDeployer({{"bad.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels: {app: one}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers:
        - name: app
          image: app
)"}});
  absl::StatusOr<std::vector<std::string>> r = deployer_->Deploy(1, {{"app", "busybox"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(domain::AttachedStatusCode(r.status()), StatusCode::kDeployKubectlUserErr)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("selector"));
}

TEST_F(KubectlFailuresTest, TheApiServerStoppedMidRunIsReportedAndRecoveredFrom) {
  const std::string image = Image("steady", "sleep 3600");
  MakeDeployer({{"steady.yaml", Deployment("app")}}, /*request_timeout=*/absl::Seconds(3));
  ASSERT_TRUE(deployer_->Deploy(1, {{"app", image}}).ok());
  std::string pid_text;
  {
    std::ifstream in(cluster_.dir() + "/pids/kube-apiserver.pid");
    std::getline(in, pid_text);
  }
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &pid)) << pid_text;
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  absl::StatusOr<std::vector<domain::ResourceObservation>> seen = deployer_->Observe(1);
  absl::StatusOr<std::vector<std::string>> redeploy = deployer_->Deploy(2, {{"app", image}});
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(domain::AttachedStatusCode(seen.status()), StatusCode::kStatusCheckKubectlConnectionErr)
      << seen.status();
  ASSERT_FALSE(redeploy.ok());
  EXPECT_EQ(domain::AttachedStatusCode(redeploy.status()),
            StatusCode::kDeployClusterConnectionErr)
      << redeploy.status();
  // Resumed: the same deployer answers again.
  bool answered = false;
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (!answered && absl::Now() < end) {
    answered = deployer_->Observe(1).ok();
    if (!answered) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_TRUE(answered);
  EXPECT_TRUE(deployer_->Deploy(3, {{"app", image}}).ok());
}

// A run killed with SIGKILL leaves its objects; the next run removes them by
// the dead run's label (DeleteRunObjects, what the dead-run sweep calls), and
// nothing else: not another run's objects, not the user's.
TEST_F(KubectlFailuresTest, ADeadRunsObjectsAreDeletedByItsLabelAndNothingElse) {
  const std::string dead_run = absl::StrCat("d", token_);
  for (const auto& [name, run] : {std::pair<std::string, std::string>{"left-a", dead_run},
                                  {"left-b", dead_run},
                                  {"other-run", absl::StrCat("o", token_)}}) {
    ASSERT_TRUE(Kubectl({"create", "configmap", name, "-n", ns_}).ok());
    ASSERT_TRUE(
        Kubectl({"label", "configmap", name, "-n", ns_, absl::StrCat(kRunIdLabel, "=", run)}).ok());
  }
  ASSERT_TRUE(Kubectl({"create", "configmap", "users-own", "-n", ns_}).ok());

  deploy::kubectl::KubectlCli kubectl(&runner_, {.kubeconfig = kubeconfig_});
  absl::StatusOr<int> deleted = deploy::kubectl::DeleteRunObjects(kubectl, dead_run);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);
  absl::StatusOr<std::string> left = Kubectl({"get", "configmaps", "-n", ns_, "-o",
                                              "jsonpath={range .items[*]}{.metadata.name} {end}"});
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_THAT(*left, HasSubstr("other-run"));
  EXPECT_THAT(*left, HasSubstr("users-own"));
  EXPECT_THAT(*left, Not(HasSubstr("left-")));
  // Nothing left of it: a second sweep deletes nothing and does not fail.
  deleted = deploy::kubectl::DeleteRunObjects(kubectl, dead_run);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 0);
}

}  // namespace
}  // namespace devloop::testing
