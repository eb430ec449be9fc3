// End to end on the test cluster for manifests other tools render: a project
// whose skaffold.yaml deploys a kustomize overlay and a local helm chart
// (release namespace created on the way). `devloop run` builds the image,
// pushes it to the cluster's registry, renders both with the real `kubectl
// kustomize` and `helm template`, applies them, waits until both Deployments
// are ready and leaves them, running its deploy hooks (one on this machine
// before, one in the new pod after); `devloop delete` removes them again.
// `devloop dev --port-forward=services,pods` on the same project (a Service
// added to each): every Service and every Deployment's containerPort answers
// on a local port of its own, reported (portEvents, State.forwardedPorts)
// with its namespace, the release's own; skaffold.yaml then saved without the
// helm release: the same run goes on, the release's objects are deleted, its
// forwards' local ports close and leave State.forwardedPorts, the overlay's
// keep theirs; Ctrl-C deletes the rest.
//
// Runs through testing/kube/with_kube_cluster.sh; helm comes from
// tools/helm/build.sh's cache (tools/test.sh builds it).
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr absl::Duration kIteration = absl::Seconds(180);

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
          ports: [{containerPort: 8080}]
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
          ports: [{containerPort: 8080}]
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
    // A `devloop dev` the test left running deletes what it applied at Ctrl-C
    // (killed when it does not exit); whatever is still labelled with the run
    // goes too, so the next test of this cluster starts clean.
    events_.reset();
    if (devloop_ != nullptr && devloop_->process().Running()) {
      (void)devloop_->Interrupt(absl::Seconds(60));
    }
    devloop_.reset();
    if (!run_id_.empty()) {
      (void)Kubectl({"delete", "deployments,services", "--namespace=default", "-l",
                     absl::StrCat("dev.devloop.run-id=", run_id_), "--ignore-not-found",
                     "--wait=false"});
    }
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

  // Gives the overlay's Deployment and the chart's release a Service each, on
  // port 8080 (kweb) and 8081 (hweb), both to the pods' 8080.
  void AddServices() {
    Write("base/kustomization.yaml", "resources:\n  - deployment.yaml\n  - service.yaml\n");
    constexpr char kService[] = R"(apiVersion: v1
kind: Service
metadata:
  name: %s
spec:
  selector: {app: %s}
  ports:
    - port: %d
      targetPort: 8080
)";
    Write("base/service.yaml", absl::StrFormat(kService, "kweb", "kweb", 8080));
    Write("charts/hweb/templates/service.yaml",
          absl::StrFormat(kService, "{{ .Release.Name }}", "hweb", 8081));
  }

  // Starts `devloop dev` (plus `args`) in the project and follows its Events.
  absl::Status StartDev(std::vector<std::string> args) {
    DevloopProcess::Options options;
    options.binary = Runfile("apps/devloop");
    options.dir = dir_;
    options.args = {"dev", "--kubeconfig", kubeconfig_, "--default-repo", registry_};
    options.args.insert(options.args.end(), args.begin(), args.end());
    absl::StatusOr<std::unique_ptr<DevloopProcess>> d = DevloopProcess::Start(options);
    if (!d.ok()) return d.status();
    devloop_ = *std::move(d);
    absl::StatusOr<std::unique_ptr<EventsClient>> e =
        EventsClient::Connect(devloop_->grpc_target(), absl::Seconds(10));
    if (!e.ok()) return e.status();
    events_ = *std::move(e);
    return absl::OkStatus();
  }

  // What went wrong, for a failure message: the stream and devloop's output.
  std::string Story() {
    return absl::StrCat(events_ == nullptr ? "" : Describe(events_->Entries()), "\n",
                        devloop_ == nullptr ? "" : devloop_->process().Output());
  }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::string kubeconfig_, registry_, token_, image_, helm_ns_, dir_, run_id_;
  std::unique_ptr<DevloopProcess> devloop_;
  std::unique_ptr<EventsClient> events_;
};

// The one portEvent of `type` whose resource name starts with `name_prefix`
// in namespace `ns`, or null (also when there are two).
const proto::PortEvent* Only(const std::vector<proto::PortEvent>& events, const std::string& type,
                             const std::string& name_prefix, const std::string& ns) {
  const proto::PortEvent* found = nullptr;
  for (const proto::PortEvent& e : events) {
    if (e.resourcetype() != type || !absl::StartsWith(e.resourcename(), name_prefix) ||
        e.namespace_() != ns) {
      continue;
    }
    if (found != nullptr) return nullptr;
    found = &e;
  }
  return found;
}

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

TEST_F(RenderersKubeE2eTest, DevForwardsTheRenderedServicesAndPodsAndAnEditClosesTheDroppedOnes) {
  AddServices();
  absl::Status started = StartDev({"--cache-artifacts=false", "--port-forward=services,pods"});
  ASSERT_TRUE(started.ok()) << started;
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events_->WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Story();
  absl::StatusOr<std::string> labels = Kubectl(
      {"get", "deployment", "dev-kweb", "-o", "jsonpath={.metadata.labels.dev\\.devloop\\.run-id}"});
  ASSERT_TRUE(labels.ok()) << labels.status();
  run_id_ = *labels;
  ASSERT_FALSE(run_id_.empty());

  // Each Service of the overlay and of the release, and each Deployment's
  // containerPort, on a local port of its own, in the namespace it went to.
  const std::vector<proto::PortEvent> ports = PortEvents(events_->Entries());
  ASSERT_THAT(ports, SizeIs(4)) << DescribePorts(ports);
  const proto::PortEvent* kweb_service = Only(ports, "service", "dev-kweb", "default");
  const proto::PortEvent* hweb_service = Only(ports, "service", "hweb", helm_ns_);
  const proto::PortEvent* kweb_pod = Only(ports, "pod", "dev-kweb-", "default");
  const proto::PortEvent* hweb_pod = Only(ports, "pod", "hweb-", helm_ns_);
  ASSERT_TRUE(kweb_service != nullptr && hweb_service != nullptr && kweb_pod != nullptr &&
              hweb_pod != nullptr)
      << DescribePorts(ports);
  EXPECT_EQ(kweb_service->resourcename(), "dev-kweb");
  EXPECT_EQ(kweb_service->remoteport(), 8080);
  EXPECT_THAT(kweb_service->podname(), StartsWith("dev-kweb-"));
  EXPECT_EQ(hweb_service->resourcename(), "hweb");
  EXPECT_EQ(hweb_service->remoteport(), 8081);
  EXPECT_THAT(hweb_service->podname(), StartsWith("hweb-"));
  for (const proto::PortEvent* pod : {kweb_pod, hweb_pod}) {
    EXPECT_EQ(pod->remoteport(), 8080);
    EXPECT_EQ(pod->podname(), pod->resourcename());
    EXPECT_EQ(pod->containername(), "web");
  }
  std::map<std::string, int> local;  // what -> local port
  for (const proto::PortEvent* p : {kweb_service, hweb_service, kweb_pod, hweb_pod}) {
    EXPECT_EQ(p->address(), "127.0.0.1");
    local[absl::StrCat(p->resourcetype(), "/", p->namespace_(), "/", p->resourcename())] =
        p->localport();
  }
  std::set<int> distinct;
  for (const auto& [what, port] : local) distinct.insert(port);
  ASSERT_EQ(distinct.size(), 4u) << DescribePorts(ports);
  const int kweb_service_port = kweb_service->localport();
  const int hweb_service_port = hweb_service->localport();
  const int kweb_pod_port = kweb_pod->localport();
  const int hweb_pod_port = hweb_pod->localport();

  // The apps answer there; the overlay's pod is the one its after-deploy hook
  // wrote into, the release's is not.
  for (int port : {kweb_service_port, hweb_service_port, kweb_pod_port, hweb_pod_port}) {
    absl::StatusOr<std::string> body = WaitServed(port, "/index.html", "rendered");
    EXPECT_TRUE(body.ok()) << "port " << port << ": " << body.status() << "\n" << Story();
  }
  for (int port : {kweb_service_port, kweb_pod_port}) {
    absl::StatusOr<std::string> body = WaitServed(port, "/hooked.html", "after");
    EXPECT_TRUE(body.ok()) << "port " << port << ": " << body.status();
  }
  for (int port : {hweb_service_port, hweb_pod_port}) {
    absl::StatusOr<HttpResponse> r = Http(port, "GET", "/hooked.html");
    ASSERT_TRUE(r.ok()) << "port " << port << ": " << r.status();
    EXPECT_EQ(r->status, 404) << "port " << port << " reaches the overlay's pod";
  }

  absl::StatusOr<proto::State> state = events_->GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->forwardedports().size(), 4u) << state->DebugString();
  for (const proto::PortEvent* p : {kweb_service, hweb_service, kweb_pod, hweb_pod}) {
    ASSERT_TRUE(state->forwardedports().contains(p->localport())) << state->DebugString();
    const proto::PortEvent& s = state->forwardedports().at(p->localport());
    EXPECT_EQ(s.resourcetype(), p->resourcetype()) << state->DebugString();
    EXPECT_EQ(s.resourcename(), p->resourcename()) << state->DebugString();
    EXPECT_EQ(s.namespace_(), p->namespace_()) << state->DebugString();
  }

  // skaffold.yaml saved without the helm release: the same run goes on with
  // the overlay alone; the release's Deployment and Service are deleted, and
  // their forwards close with them, while the overlay's keep their local ports.
  const size_t reload_at = events_->size();
  const std::string config = dir_ + "/skaffold.yaml";
  absl::StatusOr<std::string> text = ReadFile(config);
  ASSERT_TRUE(text.ok()) << text.status();
  const size_t helm = text->find("  helm:\n");
  const size_t deploy = text->find("\ndeploy:\n");
  ASSERT_TRUE(helm != std::string::npos && deploy != std::string::npos && helm < deploy) << *text;
  text->erase(helm, deploy + 1 - helm);
  ASSERT_TRUE(WriteFile(config, *text).ok());
  done = events_->WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, at + 1, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Story();

  for (int port : {hweb_service_port, hweb_pod_port}) {
    absl::StatusOr<HttpResponse> closed = Http(port, "GET", "/index.html", "", absl::Seconds(5));
    EXPECT_FALSE(closed.ok()) << "port " << port << " still answers";
    EXPECT_THAT(closed.status().message(), HasSubstr("refused")) << port;
  }
  for (int port : {kweb_service_port, kweb_pod_port}) {
    absl::StatusOr<std::string> body =
        WaitServed(port, "/index.html", "rendered", absl::Seconds(60));
    EXPECT_TRUE(body.ok()) << "port " << port << ": " << body.status() << "\n" << Story();
  }
  const std::vector<proto::PortEvent> again = PortEvents(events_->Entries(), reload_at);
  for (const proto::PortEvent& e : again) {
    EXPECT_EQ(e.namespace_(), "default") << DescribePorts(again);
  }
  state = events_->GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->forwardedports().contains(hweb_service_port)) << state->DebugString();
  EXPECT_FALSE(state->forwardedports().contains(hweb_pod_port)) << state->DebugString();
  ASSERT_TRUE(state->forwardedports().contains(kweb_service_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(kweb_service_port).resourcename(), "dev-kweb");
  EXPECT_EQ(state->forwardedports().at(kweb_service_port).resourcetype(), "service");
  ASSERT_TRUE(state->forwardedports().contains(kweb_pod_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(kweb_pod_port).resourcetype(), "pod");
  EXPECT_EQ(state->forwardedports().size(), 2u) << state->DebugString();
  const std::string selector = absl::StrCat("dev.devloop.run-id=", run_id_);
  std::string release = "?";
  for (int i = 0; i < 60 && !release.empty(); ++i) {
    absl::StatusOr<std::string> now = Kubectl(
        {"get", "deployments,services", "--namespace=" + helm_ns_, "-l", selector, "-o", "name"});
    release = now.ok() ? *now : now.status().ToString();
    if (!release.empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(release, "") << "the release's objects outlived the edit";
  absl::StatusOr<std::string> overlay =
      Kubectl({"get", "deployment", "dev-kweb", "--namespace=default", "-o",
               "jsonpath={.metadata.labels.dev\\.devloop\\.run-id}"});
  ASSERT_TRUE(overlay.ok()) << overlay.status();
  EXPECT_EQ(*overlay, run_id_) << "the run goes on";

  // Ctrl-C: the forwards close and nothing of the run stays.
  absl::StatusOr<int> code = devloop_->Interrupt(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << devloop_->process().Output();
  for (int port : {kweb_service_port, kweb_pod_port}) {
    absl::StatusOr<HttpResponse> closed = Http(port, "GET", "/index.html", "", absl::Seconds(5));
    EXPECT_FALSE(closed.ok()) << "port " << port << " still answers";
  }
  std::string owned = "?";
  for (int i = 0; i < 60 && !owned.empty(); ++i) {
    absl::StatusOr<std::string> now =
        Kubectl({"get", "deployments,services", "-A", "-l", selector, "-o", "name"});
    owned = now.ok() ? *now : now.status().ToString();
    if (!owned.empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(owned, "") << "objects with the run id left on the cluster";
}

}  // namespace
}  // namespace devloop::e2e
