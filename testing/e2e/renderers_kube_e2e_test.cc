// End to end on the test cluster for manifests other tools render: a project
// whose skaffold.yaml deploys a kustomize overlay and a local helm chart
// (release namespace created on the way). `devloop run` builds the image,
// pushes it to the cluster's registry, renders both with the real `kubectl
// kustomize` and `helm template`, applies them, waits until both Deployments
// are ready and leaves them, running its deploy hooks (one on this machine
// before, one in the new pod after); `devloop delete` removes them again.
//
// Runs through testing/kube/with_kube_cluster.sh; helm comes from
// tools/helm/build.sh's cache (tools/test.sh builds it).
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

class RenderersKubeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = cluster_.kubeconfig();
    registry_ = cluster_.registry();
    ASSERT_FALSE(kubeconfig_.empty()) << "run me through testing/kube/with_kube_cluster.sh";
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<CommandResult> helm = RunCommand(
        {"env", "DEVLOOP_HELM_NO_BUILD=1", Runfile("tools/helm/build.sh")}, absl::Seconds(30));
    ASSERT_TRUE(helm.ok() && helm->exit_code == 0)
        << "no helm binary: run tools/helm/build.sh (tools/test.sh does)";
    const std::string helm_dir =
        std::filesystem::path(std::string(absl::StripAsciiWhitespace(helm->output)))
            .parent_path();
    const char* path = ::getenv("PATH");
    ::setenv("PATH", absl::StrCat(helm_dir, ":", path == nullptr ? "" : path).c_str(), 1);

    std::random_device rd;
    token_ = absl::StrFormat("%08x", rd());
    image_ = absl::StrCat("rweb-", token_);
    helm_ns_ = absl::StrCat("hweb-", token_);
    absl::StatusOr<std::string> dir = MakeTempDir("devloop-renderers-e2e");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    Write("app/Dockerfile",
          "FROM scratch\nCOPY busybox /bin/busybox\nCOPY index.html /www/index.html\n"
          "ENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
    std::filesystem::copy_file("/bin/busybox", dir_ + "/app/busybox");
    Write("app/index.html", "rendered\n");
    Write("base/kustomization.yaml", "resources:\n  - deployment.yaml\n");
    Write("base/deployment.yaml", absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: kweb
spec:
  replicas: 1
  selector:
    matchLabels: {app: kweb}
  template:
    metadata:
      labels: {app: kweb}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: )", image_, "\n"));
    Write("overlays/dev/kustomization.yaml", "resources:\n  - ../../base\nnamePrefix: dev-\n");
    Write("charts/hweb/Chart.yaml", "apiVersion: v2\nname: hweb\nversion: 0.1.0\n");
    Write("charts/hweb/values.yaml", "image:\n  repository: none\n  tag: none\n");
    Write("charts/hweb/templates/deployment.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels: {app: hweb}
  template:
    metadata:
      labels: {app: hweb}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
)");
    const std::string key = image_;  // letters, digits and '-': '-' becomes '_'
    std::string var = key;
    for (char& c : var) {
      if (c == '-') c = '_';
    }
    Write("skaffold.yaml", absl::StrCat(R"(apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: renderers
build:
  artifacts:
    - image: )", image_, R"(
      context: app
manifests:
  kustomize:
    paths: [overlays/dev]
  helm:
    releases:
      - name: hweb
        chartPath: charts/hweb
        namespace: )", helm_ns_, R"(
        createNamespace: true
        setValueTemplates:
          image.repository: "{{.IMAGE_REPO_)", var, R"(}}"
          image.tag: "{{.IMAGE_TAG_)", var, R"(}}"
deploy:
  kubectl:
    hooks:
      before:
        - host:
            command: [sh, -c, "echo before $SKAFFOLD_RUN_ID > before.txt"]
      after:
        - container:
            command: [/bin/busybox, sh, -c, "echo after > /www/hooked.html"]
            podName: dev-kweb-*
            containerName: web
)"));
  }

  void TearDown() override {
    if (!run_id_.empty()) (void)SweepDockerObjects(absl::StrCat("dev.devloop.run-id=", run_id_));
    (void)Kubectl({"delete", "namespace", helm_ns_, "--ignore-not-found", "--wait=false"});
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + path).parent_path());
    ASSERT_TRUE(WriteFile(dir_ + "/" + path, text).ok());
  }

  absl::StatusOr<std::string> Kubectl(std::vector<std::string> args) {
    absl::StatusOr<std::string> out = cluster_.Kubectl(std::move(args));
    if (!out.ok()) return out.status();
    return std::string(absl::StripAsciiWhitespace(*out));
  }

  absl::StatusOr<CommandResult> Devloop(std::vector<std::string> args) {
    args.insert(args.begin(), Runfile("apps/devloop"));
    args.insert(args.end(), {"-f", dir_ + "/skaffold.yaml", "--kubeconfig", kubeconfig_});
    return RunCommand(args, absl::Seconds(180));
  }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::string kubeconfig_, registry_, token_, image_, helm_ns_, dir_, run_id_;
};

TEST_F(RenderersKubeE2eTest, RunAppliesTheOverlayAndTheChartAndDeleteRemovesThem) {
  absl::StatusOr<CommandResult> run =
      Devloop({"run", "--default-repo", registry_, "--cache-artifacts=false"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->exit_code, 0) << run->output;
  EXPECT_THAT(run->output, HasSubstr("deployment/dev-kweb is ready"));
  EXPECT_THAT(run->output, HasSubstr("deployment/hweb is ready"));

  // The overlay's name prefix, the chart's release in its own namespace, both
  // running the pushed image and labelled with the run.
  absl::StatusOr<std::string> kweb =
      Kubectl({"get", "deployment", "dev-kweb", "-o",
               "jsonpath={.spec.template.spec.containers[0].image} "
               "{.metadata.labels.dev\\.devloop\\.run-id}"});
  ASSERT_TRUE(kweb.ok()) << kweb.status();
  EXPECT_TRUE(absl::StartsWith(*kweb, absl::StrCat(registry_, "/", image_, ":"))) << *kweb;
  run_id_ = kweb->substr(kweb->find(' ') + 1);
  absl::StatusOr<std::string> hweb =
      Kubectl({"get", "deployment", "hweb", "-n", helm_ns_, "-o",
               "jsonpath={.spec.template.spec.containers[0].image} "
               "{.metadata.labels.dev\\.devloop\\.run-id}"});
  ASSERT_TRUE(hweb.ok()) << hweb.status();
  EXPECT_TRUE(absl::StartsWith(*hweb, absl::StrCat(registry_, "/", image_, ":"))) << *hweb;
  EXPECT_EQ(hweb->substr(hweb->find(' ') + 1), run_id_);

  // The hooks: the host one ran in the config's directory with the run id,
  // the container one in the overlay's new pod.
  absl::StatusOr<std::string> before = ReadFile(dir_ + "/before.txt");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, absl::StrCat("before ", run_id_, "\n"));
  absl::StatusOr<std::string> pod = Kubectl(
      {"get", "pods", "-l", "app=kweb", "-o", "jsonpath={.items[0].metadata.name}"});
  ASSERT_TRUE(pod.ok()) << pod.status();
  absl::StatusOr<std::string> hooked =
      Kubectl({"exec", *pod, "-c", "web", "--", "/bin/busybox", "cat", "/www/hooked.html"});
  ASSERT_TRUE(hooked.ok()) << hooked.status();
  EXPECT_EQ(*hooked, "after");

  absl::StatusOr<CommandResult> del = Devloop({"delete"});
  ASSERT_TRUE(del.ok()) << del.status();
  ASSERT_EQ(del->exit_code, 0) << del->output;
  EXPECT_THAT(del->output, HasSubstr("Deleted 2 Kubernetes object(s)"));
  std::string left = "?";
  for (int i = 0; i < 60 && !left.empty(); ++i) {
    absl::StatusOr<std::string> now =
        Kubectl({"get", "deployments", "-A", "-l", "app.kubernetes.io/managed-by=devloop", "-o",
                 "name"});
    left = now.ok() ? *now : now.status().ToString();
    if (!left.empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(left, "");
}

}  // namespace
}  // namespace devloop::e2e
