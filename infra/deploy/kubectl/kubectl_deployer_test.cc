// KubectlDeployer's hand-over of a run on a config reload, against a scripted
// kubectl (FakeProcessRunner): the replaced deployer deletes nothing, the new
// one re-applies under the same run id and deletes only what the new config
// dropped, and a log follower goes on into the new deployer's sink. What needs
// a real cluster is in //testing/deploy and //testing/e2e.
#include "infra/deploy/kubectl/kubectl_deployer.h"

#include <atomic>
#include <memory>
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

namespace devloop::deploy::kubectl {
namespace {

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
        io.Out(kCluster);
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

}  // namespace
}  // namespace devloop::deploy::kubectl
