// End to end on testing/examples/microservices against a real Kubernetes (the
// test cluster testing/kube/with_kube_cluster.sh brings up for this suite):
// `devloop dev -p kubernetes` builds both images, pushes them to the cluster's
// loopback registry, applies k8s/*.yaml with kubectl and forwards both
// Services. Iteration 0 succeeds with a ResourceStatusCheckEvent stream per
// Deployment; a synced edit is served through the same local port; a rebuilt
// leeroy-app is rolled out while its forwarded port keeps answering (no refused
// connection); Ctrl-C leaves no object with the run id on the cluster.
//
// The test cluster runs no DNS and no kube-proxy, so leeroy-web's call to
// http://leeroy-app:8080/ (a Service name) is not exercised here; both apps are
// checked through their own forwards.
#include <stdlib.h>

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

using ::testing::Contains;
using ::testing::IsEmpty;

constexpr absl::Duration kIteration = absl::Seconds(180);

// The resources whose ResourceStatusCheckEvents ended Succeeded in `entries`.
std::vector<std::string> SucceededResources(const std::vector<proto::LogEntry>& entries) {
  std::vector<std::string> out;
  for (const proto::LogEntry& e : entries) {
    if (!e.event().has_resourcestatuscheckevent()) continue;
    const proto::ResourceStatusCheckEvent& r = e.event().resourcestatuscheckevent();
    if (r.status() == "Succeeded") out.push_back(r.resource());
  }
  return out;
}

// The name devloop pushes `image` under with --default-repo (Skaffold's rule:
// a name with a path has '/', '.' and ':' written '_').
std::string Pushed(const std::string& registry, std::string image) {
  for (char& c : image) {
    if (c == '/' || c == '.' || c == ':') c = '_';
  }
  return absl::StrCat(registry, "/", image);
}

class MicroservicesKubeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = cluster_.kubeconfig();
    registry_ = cluster_.registry();
    ASSERT_FALSE(kubeconfig_.empty()) << "run me through testing/kube/with_kube_cluster.sh";
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("microservices", {"leeroy-web", "leeroy-app"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    web_ = session_->Image("leeroy-web");
    app_ = session_->Image("leeroy-app");
    web_port_ = session_->LocalPort(9002);
    app_port_ = session_->LocalPort(9003);
    ASSERT_TRUE(ReplaceInFile(session_->dir() + "/skaffold.yaml", "      context: leeroy-web\n",
                              "      context: leeroy-web\n"
                              "      sync:\n"
                              "        manual:\n"
                              "          - src: \"www/*.html\"\n"
                              "            dest: /\n")
                    .ok());
  }

  // `kubectl get` of what carries run `run_id`'s label, as "kind/name" lines.
  absl::StatusOr<std::string> Owned(const std::string& run_id) {
    absl::StatusOr<CommandResult> r = RunCommand(
        {"kubectl", "--kubeconfig=" + kubeconfig_, "get",
         "deployments,replicasets,pods,services", "-A", "-l",
         absl::StrCat("dev.devloop.run-id=", run_id), "-o", "name"},
        absl::Seconds(30));
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return absl::InternalError(r->output);
    return std::string(absl::StripAsciiWhitespace(r->output));
  }

  // The run id on the Deployment devloop applied.
  absl::StatusOr<std::string> RunIdOnCluster() {
    absl::StatusOr<CommandResult> r = RunCommand(
        {"kubectl", "--kubeconfig=" + kubeconfig_, "get", "deployment", "leeroy-web", "-o",
         "jsonpath={.metadata.labels.dev\\.devloop\\.run-id}"},
        absl::Seconds(30));
    if (!r.ok()) return r.status();
    if (r->exit_code != 0 || r->output.empty()) return absl::NotFoundError(r->output);
    return std::string(absl::StripAsciiWhitespace(r->output));
  }

  std::string Pushed(const std::string& image) const { return e2e::Pushed(registry_, image); }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::string kubeconfig_, registry_;
  std::unique_ptr<DevSession> session_;
  std::string web_, app_;
  int web_port_ = 0, app_port_ = 0;
};

TEST_F(MicroservicesKubeE2eTest, DeploysSyncsRollsOutAndCleansUpOnTheCluster) {
  absl::Status started = session_->Start(
      {"-p", "kubernetes", "--kubeconfig", kubeconfig_, "--default-repo", registry_,
       // Every image built by this run, labelled with its id (a cached image
       // would carry the run id of whoever built it).
       "--cache-artifacts=false"});
  ASSERT_TRUE(started.ok()) << started;
  EventsClient& events = session_->events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries()) << "\n"
                         << session_->devloop().process().Output();
  absl::Status contract = CheckBuildIteration(
      events.Entries(), {.iteration = 0,
                         .artifacts = {web_, app_},
                         .ports = {{"leeroy-web", web_port_}, {"leeroy-app", app_port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  std::vector<std::string> ready = SucceededResources(events.Entries());
  EXPECT_THAT(ready, Contains("deployment/leeroy-web"));
  EXPECT_THAT(ready, Contains("deployment/leeroy-app"));
  absl::StatusOr<std::string> body = WaitServed(app_port_, "/", "leeroooooy app!!");
  ASSERT_TRUE(body.ok()) << body.status();
  body = WaitServed(web_port_, "/index.html", "cgi-bin");
  ASSERT_TRUE(body.ok()) << body.status();
  absl::StatusOr<std::string> run_id = RunIdOnCluster();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  EXPECT_EQ(session_->RunId().value_or("none"), *run_id) << "the images carry the run id too";
  absl::StatusOr<std::string> owned = Owned(*run_id);
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_TRUE(absl::StrContains(*owned, "deployment.apps/leeroy-web")) << *owned;

  // A synced edit: copied into the running pod, served through the same port.
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/leeroy-web/www/index.html", "<!doctype html>",
                            "<!doctype html><!-- web v2 -->")
                  .ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  absl::StatusOr<std::string> synced =
      CheckSyncIteration(events.Entries(), {.iteration = 1, .image_prefix = Pushed(web_) + ":"});
  EXPECT_TRUE(synced.ok()) << synced.status();
  body = WaitServed(web_port_, "/index.html", "web v2");
  EXPECT_TRUE(body.ok()) << body.status();

  // A rebuild of leeroy-app: rolled out while its forward keeps answering.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::string> failures;
  std::thread prober([&] {
    while (!stop.load()) {
      absl::StatusOr<HttpResponse> r = Http(app_port_, "GET", "/", "", absl::Seconds(5));
      if (r.ok() && r->status == 200) {
        ++answered;
      } else if (failures.size() < 10) {
        failures.push_back(r.ok() ? absl::StrCat("HTTP ", r->status) : r.status().ToString());
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  ASSERT_TRUE(WriteFile(session_->dir() + "/leeroy-app/www/index.html", "app v2\n").ok());
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at, &at);
  body = WaitServed(app_port_, "/", "app v2");
  stop = true;
  prober.join();
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  EXPECT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(failures, IsEmpty()) << "the forwarded port failed during the rollout";
  EXPECT_GT(answered.load(), 0);

  // Ctrl-C: devloop exits 0 and nothing with the run id stays on the cluster.
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(10));
  EXPECT_TRUE(clean.ok()) << clean;
  std::string left = "?";
  for (int i = 0; i < 60 && !left.empty(); ++i) {
    absl::StatusOr<std::string> now = Owned(*run_id);
    left = now.ok() ? *now : now.status().ToString();
    if (!left.empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(left, "") << "objects with the run id left on the cluster";
}

// `devloop run` leaves the app on the cluster; `devloop delete` (a new
// process, so by the project's label) removes every object of it.
TEST_F(MicroservicesKubeE2eTest, RunLeavesTheAppAndDeleteRemovesIt) {
  const std::string config = session_->dir() + "/skaffold.yaml";
  const std::vector<std::string> common = {"-f", config, "-p", "kubernetes", "--kubeconfig",
                                           kubeconfig_};
  std::vector<std::string> run = {Runfile("apps/devloop"), "run"};
  run.insert(run.end(), common.begin(), common.end());
  run.insert(run.end(), {"--default-repo", registry_, "--cache-artifacts=false"});
  absl::StatusOr<CommandResult> r = RunCommand(run, absl::Seconds(180));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->output;
  // run builds for the cluster's nodes: `kubectl get nodes` through the run's
  // kubeconfig answered (a failure is said, and the build goes on).
  EXPECT_THAT(r->output,
              ::testing::Not(::testing::HasSubstr("could not read the platforms of the cluster")));
  auto managed = [&]() -> std::string {
    absl::StatusOr<CommandResult> got = RunCommand(
        {"kubectl", "--kubeconfig=" + kubeconfig_, "get", "deployments,services", "-A", "-l",
         "app.kubernetes.io/managed-by=devloop", "-o", "name"},
        absl::Seconds(30));
    return got.ok() ? std::string(absl::StripAsciiWhitespace(got->output)) : "kubectl failed";
  };
  EXPECT_TRUE(absl::StrContains(managed(), "deployment.apps/leeroy-web")) << managed();
  absl::StatusOr<std::string> run_id = RunIdOnCluster();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  (void)session_->RunId();  // so the session's sweep removes the run's images too

  std::vector<std::string> del = {Runfile("apps/devloop"), "delete"};
  del.insert(del.end(), common.begin(), common.end());
  r = RunCommand(del, absl::Seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->output;
  EXPECT_THAT(r->output, ::testing::HasSubstr("Deleted 4 Kubernetes object(s)"));
  std::string left = managed();
  for (int i = 0; i < 60 && !left.empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(500));
    left = managed();
  }
  EXPECT_EQ(left, "");
}

// A pod no node can take is Pending until --status-check-deadline: then the
// deployment fails, saying what it waited on, and `devloop run` exits 1.
TEST_F(MicroservicesKubeE2eTest, AnUnschedulablePodFailsAtTheDeadline) {
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/k8s/leeroy-app.yaml",
                            "          ports:\n",
                            "          resources:\n"
                            "            requests: {cpu: \"500\"}\n"
                            "          ports:\n")
                  .ok());
  std::vector<std::string> run = {Runfile("apps/devloop"), "run", "-f",
                                  session_->dir() + "/skaffold.yaml", "-p", "kubernetes",
                                  "--kubeconfig", kubeconfig_, "--default-repo", registry_,
                                  "--cache-artifacts=false", "--status-check-deadline=8s"};
  absl::StatusOr<CommandResult> r = RunCommand(run, absl::Seconds(180));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 1) << r->output;
  EXPECT_THAT(r->output, ::testing::HasSubstr("deployment/leeroy-app"));
  EXPECT_THAT(r->output, ::testing::HasSubstr("deadline of 8s exceeded; it was pod cannot be "
                                              "scheduled (Unschedulable: "))
      << r->output;
  EXPECT_THAT(r->output, ::testing::HasSubstr("Insufficient cpu")) << r->output;
  absl::StatusOr<std::string> run_id = RunIdOnCluster();
  if (run_id.ok()) (void)session_->RunId();  // the session's sweep takes its images
  std::vector<std::string> del = {Runfile("apps/devloop"), "delete", "-f",
                                  session_->dir() + "/skaffold.yaml", "-p", "kubernetes",
                                  "--kubeconfig", kubeconfig_};
  r = RunCommand(del, absl::Seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
}

}  // namespace
}  // namespace devloop::e2e
