// KubectlDeployer's hand-over of a run on a config reload, against a scripted
// kubectl (FakeProcessRunner): the replaced deployer deletes nothing, the new
// one re-applies under the same run id and deletes only what the new config
// dropped, and a log follower goes on into the new deployer's sink. And the
// port forwards, to pods whose address is this machine's loopback: a forward
// that follows its Service to a new pod is reported again, and a reload closes
// the forwards the new config no longer makes. What needs a real cluster is
// in //testing/deploy and //testing/e2e.
#include "infra/deploy/kubectl/kubectl_deployer.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fakes/fake_process_runner.h"
#include "testing/net/loopback.h"

namespace devloop::deploy::kubectl {
namespace {

using testing::AcceptsOnLoopback;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kWeb[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web
)";

constexpr char kDb[] = R"(apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  ports:
  - port: 5432
)";

// One pod of web, running, as `kubectl get -o json` lists it.
constexpr char kCluster[] = R"({"apiVersion": "v1", "kind": "List", "items": [
  {"kind": "Pod", "apiVersion": "v1",
   "metadata": {"name": "web-1", "namespace": "default",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"app": "web"}},
   "spec": {"containers": [{"name": "web", "image": "web:1@sha256:aa"}]},
   "status": {"containerStatuses": [{"name": "web", "restartCount": 0,
                                     "containerID": "containerd://0123",
                                     "state": {"running": {}}}]}}]})";

// The command line a fake kubectl got, without the global flags before the
// command ("--request-timeout=20s").
std::string CommandLine(testing::FakeProcessRunner::Io& io) {
  auto it = io.argv().begin() + 1;
  while (it != io.argv().end() && absl::StartsWith(*it, "--")) ++it;
  return absl::StrJoin(it, io.argv().end(), " ");
}

// A kubectl that records what it is asked: applies (their input) and deletes.
class ScriptedKubectl {
 public:
  ScriptedKubectl() {
    runner_.AddProgram("kubectl", [this](testing::FakeProcessRunner::Io& io) {
      const std::string line = CommandLine(io);
      if (absl::StartsWith(line, "config view")) {
        io.Out("default");
        return 0;
      }
      if (absl::StartsWith(line, "apply")) {
        {
          absl::MutexLock lock(&mu_);
          applied_.push_back(io.spec().stdin_data.value_or(""));
        }
        while (hold_applies_.load()) {
          if (!io.Sleep(absl::Milliseconds(5))) return 143;
        }
        return 0;
      }
      if (absl::StartsWith(line, "delete")) {
        absl::MutexLock lock(&mu_);
        deleted_.push_back(line);
        return 0;
      }
      if (absl::StartsWith(line, "logs")) {
        {
          absl::MutexLock lock(&mu_);
          ++log_followers_;
        }
        io.Out("2026-01-01T00:00:01.5Z before the reload");
        while (!say_more_.load()) {
          if (!io.Sleep(absl::Milliseconds(5))) return 143;
        }
        io.Out("2026-01-01T00:00:02Z after the reload");
        while (io.Sleep(absl::Seconds(1))) {
        }
        return 143;
      }
      if (absl::StrContains(line, "--watch")) {
        while (io.Sleep(absl::Seconds(1))) {
        }
        return 143;
      }
      if (absl::StartsWith(line, "get events")) {
        io.Out(R"({"items": []})");
        return 0;
      }
      if (absl::StartsWith(line, "get")) {
        absl::MutexLock lock(&mu_);
        io.Out(cluster_);
        return 0;
      }
      io.Err("unexpected kubectl " + line);
      return 1;
    });
  }

  process::ProcessRunner* runner() { return &runner_; }
  std::vector<std::string> applied() {
    absl::MutexLock lock(&mu_);
    return applied_;
  }
  std::vector<std::string> deleted() {
    absl::MutexLock lock(&mu_);
    return deleted_;
  }
  int log_followers() {
    absl::MutexLock lock(&mu_);
    return log_followers_;
  }
  // What each `kubectl get` lists from now on (kCluster until then).
  void SetCluster(std::string json) {
    absl::MutexLock lock(&mu_);
    cluster_ = std::move(json);
  }
  // Lets each `kubectl logs -f` print its second line.
  void SayMore() { say_more_ = true; }
  // Makes each `kubectl apply` wait until the hold is lifted.
  void HoldApplies(bool hold) { hold_applies_ = hold; }
  // Waits until `n` applies started; false if not within a minute.
  bool WaitForApplies(size_t n) {
    absl::MutexLock lock(&mu_);
    auto started = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return applied_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&started), absl::Minutes(1));
  }

 private:
  testing::FakeProcessRunner runner_;
  std::atomic<bool> say_more_{false};
  std::atomic<bool> hold_applies_{false};
  absl::Mutex mu_;
  std::vector<std::string> applied_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  int log_followers_ ABSL_GUARDED_BY(mu_) = 0;
  std::string cluster_ ABSL_GUARDED_BY(mu_) = kCluster;
};

// The lines a deployer's LogSink got.
class Lines {
 public:
  LogSink Sink() {
    return [this](const LogSource& source, absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(std::string(line));
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // Waits until `line` arrived; false if it did not within a minute.
  bool WaitFor(const std::string& line) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, &line] {
      for (const std::string& l : lines_) {
        if (l == line) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Minutes(1));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

KubectlDeployer::Options DeployerOptions(std::vector<std::string> manifests, LogSink sink = {}) {
  KubectlDeployer::Options options;
  options.run_id = "run1";
  options.api_proxy = false;
  options.on_log = std::move(sink);
  options.manifests = [manifests](const domain::ImageTags&) {
    std::vector<ManifestSource> sources;
    for (const std::string& m : manifests) sources.push_back({.path = "k8s.yaml", .text = m});
    return absl::StatusOr<std::vector<ManifestSource>>(sources);
  };
  return options;
}

TEST(KubectlDeployerHandOverTest, TheNewDeployerReappliesAndDeletesOnlyWhatTheConfigDropped) {
  ScriptedKubectl kubectl;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> old =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb, kDb}));
  ASSERT_TRUE(old.ok()) << old.status();
  absl::StatusOr<std::vector<std::string>> deployed =
      (*old)->Deploy(1, {{"web", "web:1@sha256:aa"}});
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_EQ(kubectl.applied().size(), 1u);
  const std::string first_apply = kubectl.applied()[0];

  KubectlDeployer::Handover handover = (*old)->HandOver();
  EXPECT_EQ(handover.objects(), 2u);
  // The replaced loop's cleanup (and its destruction) leaves the run alone.
  EXPECT_TRUE((*old)->Cleanup(/*remove=*/true).ok());
  EXPECT_THAT(kubectl.deleted(), IsEmpty());
  EXPECT_EQ((*old)->Deploy(2, {{"web", "web:1@sha256:aa"}}).status().code(),
            absl::StatusCode::kCancelled);

  // The new config drops the Service db.
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> next =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb}));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE((*next)->TakeOver(std::move(handover)).ok());
  EXPECT_THAT(kubectl.deleted(), IsEmpty()) << "nothing goes before the new render is applied";
  absl::StatusOr<std::vector<std::string>> resources =
      (*next)->Deploy(1, {{"web", "web:1@sha256:aa"}});
  ASSERT_TRUE(resources.ok()) << resources.status();
  EXPECT_THAT(*resources, ElementsAre("deployment/web"));
  ASSERT_EQ(kubectl.applied().size(), 2u);
  // The same run id, the same image: web is applied exactly as before.
  EXPECT_THAT(kubectl.applied()[1], HasSubstr("dev.devloop.run-id: run1"));
  EXPECT_TRUE(absl::StartsWith(first_apply, kubectl.applied()[1]))
      << first_apply << "\nthen\n" << kubectl.applied()[1];
  EXPECT_THAT(kubectl.deleted(),
              ElementsAre(AllOf(HasSubstr("delete service db"), HasSubstr("--namespace=default"),
                                Not(HasSubstr("deployment")))));

  // Pruned once: a redeploy deletes nothing more.
  ASSERT_TRUE((*next)->Deploy(2, {{"web", "web:2@sha256:bb"}}).ok());
  ASSERT_TRUE((*next)->Stop(1).ok());
  EXPECT_EQ(kubectl.deleted().size(), 1u);

  // The run's end removes, by its label, every kind it applied: the Service too.
  ASSERT_TRUE((*next)->Cleanup(/*remove=*/true).ok());
  ASSERT_EQ(kubectl.deleted().size(), 2u);
  EXPECT_THAT(kubectl.deleted()[1], AllOf(HasSubstr("deployment.apps"), HasSubstr("service"),
                                          HasSubstr("dev.devloop.run-id=run1")));
}

TEST(KubectlDeployerHandOverTest, ADeployUnderWayIsHandedOverOnceItIsIn) {
  ScriptedKubectl kubectl;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> old =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb, kDb}));
  ASSERT_TRUE(old.ok()) << old.status();
  kubectl.HoldApplies(true);
  // The replaced loop stopped while its first deploy was applying.
  std::thread deploy([&old] { (void)(*old)->Deploy(1, {}); });
  ASSERT_TRUE(kubectl.WaitForApplies(1));
  KubectlDeployer::Handover handover;
  std::thread hand_over([&old, &handover] { handover = (*old)->HandOver(); });
  kubectl.HoldApplies(false);
  hand_over.join();
  deploy.join();
  EXPECT_EQ(handover.objects(), 2u) << "what the deploy applied is the next deployer's to prune";
}

TEST(KubectlDeployerHandOverTest, AnotherRunsHandoverIsRefused) {
  ScriptedKubectl kubectl;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> old =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb}));
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_TRUE((*old)->Deploy(1, {}).ok());
  KubectlDeployer::Options other = DeployerOptions({kWeb});
  other.run_id = "run2";
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> next =
      KubectlDeployer::Make(kubectl.runner(), std::move(other));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)->TakeOver((*old)->HandOver()).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*next)->Deploy(1, {}).ok());
  EXPECT_THAT(kubectl.deleted(), IsEmpty()) << "what another run applied is not this one's";
}

TEST(KubectlDeployerHandOverTest, AFailedPruneIsTriedAgainAtTheNextDeploy) {
  ScriptedKubectl kubectl;
  testing::FakeProcessRunner failing_delete;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> old =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb, kDb}));
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_TRUE((*old)->Deploy(1, {}).ok());
  KubectlDeployer::Handover handover = (*old)->HandOver();

  // The new deployer's kubectl cannot delete the first time.
  std::atomic<int> deletes{0};
  failing_delete.AddProgram("kubectl", [&deletes](testing::FakeProcessRunner::Io& io) {
    const std::string line = CommandLine(io);
    if (absl::StartsWith(line, "config view")) {
      io.Out("default");
      return 0;
    }
    if (absl::StrContains(line, "--watch")) {
      while (io.Sleep(absl::Seconds(1))) {
      }
      return 143;
    }
    if (absl::StartsWith(line, "delete") && deletes++ == 0) {
      io.Err("Unable to connect to the server: connection refused");
      return 1;
    }
    return 0;
  });
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> next =
      KubectlDeployer::Make(&failing_delete, DeployerOptions({kWeb}));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE((*next)->TakeOver(std::move(handover)).ok());
  EXPECT_TRUE((*next)->Deploy(1, {}).ok()) << "the deploy itself went in";
  EXPECT_EQ(deletes.load(), 1);
  ASSERT_TRUE((*next)->Deploy(2, {}).ok());
  EXPECT_EQ(deletes.load(), 2);
  ASSERT_TRUE((*next)->Deploy(3, {}).ok());
  EXPECT_EQ(deletes.load(), 2) << "deleted once it could be";
  ASSERT_TRUE((*next)->Cleanup(/*remove=*/false).ok());
}

TEST(KubectlDeployerHandOverTest, ALogFollowerGoesOnIntoTheSinkOfTheRunsLatestDeployer) {
  ScriptedKubectl kubectl;
  Lines first_lines, second_lines, third_lines;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> first =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb}, first_lines.Sink()));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  ASSERT_TRUE((*first)->Observe(1).ok());  // finds pod web-1 and follows its logs
  ASSERT_TRUE(first_lines.WaitFor("before the reload"));

  // Two reloads; the deployers they replaced go away.
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> second =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb}, second_lines.Sink()));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE((*second)->TakeOver((*first)->HandOver()).ok());
  ASSERT_TRUE((*second)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  ASSERT_TRUE((*second)->Observe(1).ok());  // the same pod: followed already
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> third =
      KubectlDeployer::Make(kubectl.runner(), DeployerOptions({kWeb}, third_lines.Sink()));
  ASSERT_TRUE(third.ok()) << third.status();
  ASSERT_TRUE((*third)->TakeOver((*second)->HandOver()).ok());
  second->reset();
  first->reset();
  ASSERT_TRUE((*third)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  ASSERT_TRUE((*third)->Observe(1).ok());

  kubectl.SayMore();
  ASSERT_TRUE(third_lines.WaitFor("after the reload"));
  EXPECT_THAT(first_lines.Get(), ElementsAre("before the reload"));
  EXPECT_THAT(second_lines.Get(), IsEmpty());
  EXPECT_EQ(kubectl.log_followers(), 1) << "one follower, handed on, not a second one";
  ASSERT_TRUE((*third)->Cleanup(/*remove=*/false).ok());
}

// An app listening on a free port of 127.0.0.1 (it never accepts: the
// kernel completes the connections, which is all a probe or a forward's
// connect needs).
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A Service of the pods labelled app=web, on `port` (and targetPort).
std::string ServiceManifest(const std::string& name, int port) {
  return absl::StrCat("apiVersion: v1\nkind: Service\nmetadata:\n  name: ", name,
                      "\nspec:\n  selector: {app: web}\n  ports:\n  - port: ", port,
                      "\n    targetPort: ", port, "\n");
}

// `kubectl get -o json` of the Services `services` (as ServiceManifest makes
// them) and of ready pods of web named `pods`, newest last, each at
// 127.0.0.1 and listening on `port`.
std::string ForwardCluster(int port, const std::vector<std::string>& services,
                           const std::vector<std::string>& pods) {
  std::vector<std::string> items;
  for (const std::string& name : services) {
    items.push_back(absl::StrCat(
        R"({"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": ")", name, R"(", "namespace": "default"},
            "spec": {"selector": {"app": "web"},
                     "ports": [{"port": )", port, R"(, "targetPort": )", port, "}]}}"));
  }
  for (size_t i = 0; i < pods.size(); ++i) {
    items.push_back(absl::StrCat(
        R"({"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": ")", pods[i], R"(", "namespace": "default",
                         "creationTimestamp": "2026-01-01T00:00:0)", i, R"(Z",
                         "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "web:1@sha256:aa",
                                     "ports": [{"containerPort": )", port, R"(}]}]},
            "status": {"podIP": "127.0.0.1",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "web", "restartCount": 0,
                                              "state": {"running": {}}}]}})"));
  }
  return absl::StrCat(R"({"apiVersion": "v1", "kind": "List", "items": [)",
                      absl::StrJoin(items, ","), "]}");
}

// The PortEvents a deployer's ReportForwardMoves sink got.
class Moves {
 public:
  PortSink Sink() {
    return [this](domain::PortEvent port) {
      absl::MutexLock lock(&mu_);
      moves_.push_back(std::move(port));
    };
  }
  std::vector<domain::PortEvent> Get() {
    absl::MutexLock lock(&mu_);
    return moves_;
  }

 private:
  absl::Mutex mu_;
  std::vector<domain::PortEvent> moves_ ABSL_GUARDED_BY(mu_);
};

TEST(KubectlDeployerForwardTest, AForwardThatMovesToANewPodIsReportedAgainOnItsLocalPort) {
  Listener app;
  ASSERT_NE(app.port(), 0);
  ScriptedKubectl kubectl;
  kubectl.SetCluster(ForwardCluster(app.port(), {"web"}, {"web-1"}));
  KubectlDeployer::Options options = DeployerOptions({kWeb, ServiceManifest("web", app.port())});
  options.port_forwards = {
      {.resource_type = "service", .resource_name = "web", .port = app.port()}};
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> deployer =
      KubectlDeployer::Make(kubectl.runner(), std::move(options));
  ASSERT_TRUE(deployer.ok()) << deployer.status();
  Moves moves;
  (*deployer)->ReportForwardMoves(moves.Sink());
  ASSERT_TRUE((*deployer)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  std::vector<domain::PortEvent> forwarded = (*deployer)->ForwardPorts(1);
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0].pod_name, "web-1");
  const int local_port = forwarded[0].local_port;
  ASSERT_TRUE((*deployer)->Observe(1).ok());
  EXPECT_THAT(moves.Get(), IsEmpty()) << "the forward did not move";

  // web-1 is replaced by web-2: the status check's read moves the forward.
  kubectl.SetCluster(ForwardCluster(app.port(), {"web"}, {"web-2"}));
  ASSERT_TRUE((*deployer)->Observe(1).ok());
  std::vector<domain::PortEvent> moved = moves.Get();
  ASSERT_EQ(moved.size(), 1u);
  domain::PortEvent expected = forwarded[0];
  expected.pod_name = "web-2";
  EXPECT_EQ(moved[0], expected) << "the same forward, on the same local port, to web-2";
  EXPECT_EQ(moved[0].local_port, local_port);
  EXPECT_TRUE(AcceptsOnLoopback(local_port));

  // Moved once: nothing more to report while it stays there.
  ASSERT_TRUE((*deployer)->Observe(1).ok());
  EXPECT_EQ(moves.Get().size(), 1u);
  // A redeploy reports it through ForwardPorts, as before.
  ASSERT_TRUE((*deployer)->Deploy(2, {{"web", "web:1@sha256:aa"}}).ok());
  std::vector<domain::PortEvent> again = (*deployer)->ForwardPorts(2);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0], expected);
  EXPECT_EQ(moves.Get().size(), 1u);
  ASSERT_TRUE((*deployer)->Cleanup(/*remove=*/false).ok());
}

// What the reloaded config forwards.
struct ReloadCase {
  std::string what;
  std::vector<PortForwardSpec> port_forwards;
  AutoForwardModes auto_forwards;
  bool user_forward_stays = false;  // the configured forward of service web
  bool auto_forward_stays = false;  // the automatic forward of service api
  size_t forwards_after = 0;        // what the new deployer's ForwardPorts reports
};

void PrintTo(const ReloadCase& c, std::ostream* os) { *os << c.what; }

class KubectlDeployerReloadForwardTest : public ::testing::TestWithParam<ReloadCase> {};

TEST_P(KubectlDeployerReloadForwardTest, AForwardTheNewConfigDoesNotMakeClosesAtTheTakeOver) {
  const ReloadCase& c = GetParam();
  Listener app;
  ASSERT_NE(app.port(), 0);
  ScriptedKubectl kubectl;
  kubectl.SetCluster(ForwardCluster(app.port(), {"web", "api"}, {"web-1"}));
  const std::vector<std::string> manifests = {kWeb, ServiceManifest("web", app.port()),
                                              ServiceManifest("api", app.port())};
  const PortForwardSpec user{.resource_type = "service", .resource_name = "web",
                             .port = app.port()};
  // The old config: its portForward entry forwards service web, and
  // --port-forward=services adds service api.
  KubectlDeployer::Options old_options = DeployerOptions(manifests);
  old_options.port_forwards = {user};
  old_options.auto_forwards.services = true;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> old =
      KubectlDeployer::Make(kubectl.runner(), std::move(old_options));
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_TRUE((*old)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  std::vector<domain::PortEvent> forwarded = (*old)->ForwardPorts(1);
  ASSERT_EQ(forwarded.size(), 2u);
  std::map<std::string, int> ports;  // resource name -> local port
  for (const domain::PortEvent& e : forwarded) ports[e.resource_name] = e.local_port;
  ASSERT_EQ(ports.size(), 2u);
  ASSERT_TRUE(AcceptsOnLoopback(ports["web"]));
  ASSERT_TRUE(AcceptsOnLoopback(ports["api"]));

  KubectlDeployer::Options new_options = DeployerOptions(manifests);
  new_options.port_forwards = c.port_forwards;
  for (PortForwardSpec& f : new_options.port_forwards) f.port = app.port();
  new_options.auto_forwards = c.auto_forwards;
  absl::StatusOr<std::unique_ptr<KubectlDeployer>> next =
      KubectlDeployer::Make(kubectl.runner(), std::move(new_options));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE((*next)->TakeOver((*old)->HandOver()).ok());
  // Before any deploy of the new config (with no forwarding, no ForwardPorts
  // ever comes): what it does not forward is closed, the rest still answers.
  EXPECT_EQ(AcceptsOnLoopback(ports["web"]), c.user_forward_stays) << c.what;
  EXPECT_EQ(AcceptsOnLoopback(ports["api"]), c.auto_forward_stays) << c.what;

  ASSERT_TRUE((*next)->Deploy(1, {{"web", "web:1@sha256:aa"}}).ok());
  std::vector<domain::PortEvent> again = (*next)->ForwardPorts(1);
  EXPECT_EQ(again.size(), c.forwards_after) << c.what;
  std::set<std::string> forwarded_again;
  for (const domain::PortEvent& e : again) forwarded_again.insert(e.resource_name);
  for (const auto& [name, stays] :
       {std::pair{"web", c.user_forward_stays}, {"api", c.auto_forward_stays}}) {
    if (stays) {
      EXPECT_TRUE(AcceptsOnLoopback(ports[name])) << c.what << ": " << name;
      for (const domain::PortEvent& e : again) {
        if (e.resource_name == name) {
          EXPECT_EQ(e.local_port, ports[name]) << c.what;
        }
      }
    } else if (!forwarded_again.contains(name)) {
      EXPECT_FALSE(AcceptsOnLoopback(ports[name])) << c.what << ": " << name;
    }
  }
  ASSERT_TRUE((*next)->Cleanup(/*remove=*/false).ok());
  EXPECT_FALSE(AcceptsOnLoopback(ports["web"]));
  EXPECT_FALSE(AcceptsOnLoopback(ports["api"]));
}

INSTANTIATE_TEST_SUITE_P(
    Reloads, KubectlDeployerReloadForwardTest,
    ::testing::Values(
        ReloadCase{.what = "forwarding turned off"},
        // Service web is forwarded as an automatic forward now, a new one.
        ReloadCase{.what = "the portForward entry removed",
                   .auto_forwards = {.services = true},
                   .auto_forward_stays = true,
                   .forwards_after = 2},
        ReloadCase{.what = "--port-forward=services turned off",
                   .port_forwards = {{.resource_type = "service",
                                      .resource_name = "web",
                                      .port = 0}},  // the test's app's port
                   .user_forward_stays = true,
                   .forwards_after = 1},
        ReloadCase{.what = "nothing changed",
                   .port_forwards = {{.resource_type = "service",
                                      .resource_name = "web",
                                      .port = 0}},
                   .auto_forwards = {.services = true},
                   .user_forward_stays = true,
                   .auto_forward_stays = true,
                   .forwards_after = 2}));

}  // namespace
}  // namespace devloop::deploy::kubectl
