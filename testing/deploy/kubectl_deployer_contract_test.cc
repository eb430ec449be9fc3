// The deployer contract against the KubectlDeployer on the real test cluster
// (tools/kube/cluster.sh, brought up for this suite by with_kube_cluster.sh):
// images pushed to the cluster's loopback registry, a real Deployment and
// Service, real `kubectl port-forward`, `logs -f` and `exec`.
//
// Needs DEVLOOP_KUBECONFIG and DEVLOOP_REGISTRY (set by the wrapper) and the
// Docker Engine.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "infra/deploy/kubectl/kubectl_deployer.h"
#include "infra/deploy/labels.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/process/posix_process_runner.h"
#include "testing/deploy/deployer_contract.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::testing {
namespace {

constexpr char kTestLabel[] = "dev.devloop.test";

// The app: Deployment "web" (container "web", image "web") and its Service.
constexpr char kManifests[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: web
          ports: [{containerPort: 8080, name: http}]
          readinessProbe:
            httpGet: {path: /, port: 8080}
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
)";

class KubectlEnv : public DeployerEnv {
 public:
  // `on_this_node`: sync through /proc and forward straight to pod IPs (the
  // node is this machine), or with `kubectl exec … tar x` and `kubectl
  // port-forward` as for a remote node.
  explicit KubectlEnv(bool on_this_node)
      : on_this_node_(on_this_node),
        cluster_(KubeTestCluster::FromEnvironment()),
        kubeconfig_(cluster_.kubeconfig()),
        registry_(cluster_.registry()) {
    EXPECT_FALSE(kubeconfig_.empty()) << "run me through with_kube_cluster.sh";
    std::random_device rd;
    token_ = absl::StrFormat("%08x", rd());
    ns_ = absl::StrCat("ct-", token_);
    docker_ = *docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
    char tmpl[] = "/tmp/devloop-kubectl-deployer-contract-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    EXPECT_TRUE(Kubectl({"create", "namespace", ns_}).ok());
  }
  ~KubectlEnv() override {
    (void)Kubectl({"delete", "namespace", ns_, "--wait=false", "--ignore-not-found"});
    for (const std::string& i :
         docker_->ListImages(kTestLabel, token_).value_or(std::vector<std::string>{})) {
      (void)docker_->RemoveImage(i, true);
    }
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<deploy::Deployer> Make(const std::string& run_id,
                                         std::vector<deploy::PortForwardSpec> forwards,
                                         deploy::LogSink on_log) override {
    deploy::kubectl::KubectlDeployer::Options o;
    o.run_id = run_id;
    o.kubectl.kubeconfig = kubeconfig_;
    o.default_namespace = ns_;
    o.port_forwards = std::move(forwards);
    o.auto_forwards = auto_forwards;
    o.on_log = std::move(on_log);
    o.sync_on_this_node = on_this_node_;
    o.forward_direct = on_this_node_;
    o.api_proxy = on_this_node_;  // the remote case reads with kubectl get
    o.manifests = [](const domain::ImageTags&) {
      return absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>>(
          std::vector<deploy::kubectl::ManifestSource>{{"web.yaml", kManifests}});
    };
    auto d = deploy::kubectl::KubectlDeployer::Make(&runner_, std::move(o));
    EXPECT_TRUE(d.ok()) << d.status();
    return *std::move(d);
  }

  deploy::PortForwardSpec WebForward() override {
    return {.resource_type = "deployment", .resource_name = "web", .port = 8080};
  }
  std::string WebResource() override { return "deployment/web"; }

  std::string Image(const std::string& content) override {
    const std::string context = absl::StrCat(dir_, "/", content);
    std::filesystem::create_directories(context + "/bin");
    std::filesystem::copy_file("/bin/busybox", context + "/bin/busybox");
    for (const char* tool : {"sh", "tar", "rm", "cat"}) {
      std::filesystem::create_symlink("busybox", absl::StrCat(context, "/bin/", tool));
    }
    std::ofstream(context + "/index.html") << content << "\n";
    std::ofstream(context + "/Dockerfile")
        << "FROM scratch\nCOPY bin /bin\nCOPY index.html /www/index.html\n"
           "CMD [\"/bin/sh\", \"-c\", \"echo serving "
        << content << "; exec httpd -f -p 8080 -h /www\"]\n";
    const std::string name = absl::StrCat(registry_, "/devloop-contract-web:", token_, "-", content);
    absl::StatusOr<docker::BuildResult> built =
        docker_->Build({.context_dir = context, .tags = {name}, .labels = {{kTestLabel, token_}}});
    EXPECT_TRUE(built.ok()) << built.status();
    if (!built.ok()) return "";
    absl::StatusOr<std::string> digest = docker_->Push(name);
    EXPECT_TRUE(digest.ok()) << digest.status();
    return absl::StrCat(name, "@", digest.value_or(""));
  }

  std::optional<std::string> Fetch(int port, const std::string& path) override {
    return HttpGet(port, path);
  }

  std::string ReadSynced(deploy::Deployer*, int port, const std::string& dest) override {
    return HttpGet(port, dest.substr(std::string("/www").size()));
  }

  // Objects with the run id, once deletions in flight have finished (pods
  // get their grace period).
  int Owned(const std::string& run_id) override {
    int count = -1;
    for (int i = 0; i < 120; ++i) {
      absl::StatusOr<std::string> out =
          Kubectl({"get", "deployments,replicasets,pods,services,configmaps", "-n", ns_, "-l",
                   deploy::kubectl::RunSelector(run_id), "-o",
                   "jsonpath={range .items[*]}{.metadata.deletionTimestamp}|{end}"});
      if (!out.ok()) return -1;
      // One "<deletionTimestamp>|" an object: text before a '|' means it is
      // being deleted.
      count = static_cast<int>(std::count(out->begin(), out->end(), '|'));
      const bool deleting = out->find_first_not_of("|\n") != std::string::npos;
      if (!deleting) return count;
      absl::SleepFor(absl::Milliseconds(500));
    }
    return count;
  }

  void MakeBystander() override {
    ASSERT_TRUE(Kubectl({"create", "configmap", "bystander", "-n", ns_}).ok());
  }
  bool Bystander() override {
    return Kubectl({"get", "configmap", "bystander", "-n", ns_, "-o", "name"}).ok();
  }

  absl::StatusOr<std::string> Kubectl(std::vector<std::string> args) {
    return cluster_.Kubectl(std::move(args));
  }

  // --port-forward=services / pods for the deployers Make makes.
  deploy::kubectl::AutoForwardModes auto_forwards;

  const bool on_this_node_;
  KubeTestCluster cluster_;
  std::string kubeconfig_;
  std::string registry_;
  std::string token_;
  std::string ns_;
  std::string dir_;
  process::PosixProcessRunner runner_;
  std::unique_ptr<docker::EngineApiDocker> docker_;
};

// Polls `pred` for up to 60 s (a rollout, a moved forward): only a hang fails.
bool Eventually(const std::function<bool()>& pred) {
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return pred();
}

const domain::PortEvent* Find(const std::vector<domain::PortEvent>& ports,
                              const std::string& type) {
  for (const domain::PortEvent& p : ports) {
    if (p.resource_type == type) return &p;
  }
  return nullptr;
}

// --port-forward=services,pods: after each deploy the Service's port (80) and
// the Deployment's containerPort (8080) are forwarded, each on its own port
// or the next free one after it, and keep those local ports when the next
// deployment rolls out new pods. The pod's forward is reported as the pod.
void ForwardsServicesAndPods(bool on_this_node) {
  KubectlEnv env(on_this_node);
  env.auto_forwards = {.services = true, .pods = true};
  std::random_device rd;
  const std::string run = absl::StrFormat("af%08x", rd());
  std::unique_ptr<deploy::Deployer> d = env.Make(run, {}, nullptr);
  const std::string v1 = env.Image("one");
  const std::string v2 = env.Image("two");
  ASSERT_TRUE(d->Deploy(1, {{"web", v1}}).ok());
  std::vector<domain::PortEvent> ports = d->ForwardPorts(1);
  ASSERT_EQ(ports.size(), 2u);
  const domain::PortEvent* service = Find(ports, "service");
  const domain::PortEvent* pod = Find(ports, "pod");
  ASSERT_NE(service, nullptr);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(service->resource_name, "web");
  EXPECT_EQ(service->remote_port, 80);
  EXPECT_GE(service->local_port, 80);
  EXPECT_LT(service->local_port, 180);
  EXPECT_EQ(service->namespace_, env.ns_);
  EXPECT_TRUE(absl::StartsWith(pod->resource_name, "web-")) << pod->resource_name;
  EXPECT_EQ(pod->pod_name, pod->resource_name);
  EXPECT_EQ(pod->container_name, "web");
  EXPECT_EQ(pod->remote_port, 8080);
  EXPECT_GE(pod->local_port, 8080);
  EXPECT_LT(pod->local_port, 8180);
  const int service_port = service->local_port, pod_port = pod->local_port;
  const std::string first_pod = pod->resource_name;
  EXPECT_TRUE(Eventually([&] { return HttpGet(service_port, "/") == "one\n"; }));
  EXPECT_TRUE(Eventually([&] { return HttpGet(pod_port, "/") == "one\n"; }));

  // The next deployment: the same local ports, the pod's forward on the new pod.
  ASSERT_TRUE(d->Deploy(2, {{"web", v2}}).ok());
  std::vector<domain::PortEvent> again = d->ForwardPorts(2);
  ASSERT_EQ(again.size(), 2u);
  ASSERT_NE(Find(again, "service"), nullptr);
  ASSERT_NE(Find(again, "pod"), nullptr);
  EXPECT_EQ(Find(again, "service")->local_port, service_port);
  EXPECT_EQ(Find(again, "pod")->local_port, pod_port);
  EXPECT_NE(Find(again, "pod")->resource_name, first_pod);
  EXPECT_TRUE(Eventually([&] { return HttpGet(service_port, "/") == "two\n"; }));
  EXPECT_TRUE(Eventually([&] { return HttpGet(pod_port, "/") == "two\n"; }));
  ASSERT_TRUE(d->Stop(1).ok());
  EXPECT_TRUE(d->Cleanup(/*remove=*/true).ok());
  EXPECT_EQ(env.Owned(run), 0);
}

TEST(KubectlAutoForwardsTest, ServicesAndPodsOnThisNode) { ForwardsServicesAndPods(true); }
TEST(KubectlAutoForwardsTest, ServicesAndPodsAsIfRemote) { ForwardsServicesAndPods(false); }

INSTANTIATE_TEST_SUITE_P(
    Kubectl, DeployerContractTest,
    ::testing::Values(
        DeployerFactory{"KubectlDeployer", [] { return std::make_unique<KubectlEnv>(true); }},
        DeployerFactory{"KubectlDeployerAsIfRemote",
                        [] { return std::make_unique<KubectlEnv>(false); }}));

}  // namespace
}  // namespace devloop::testing
