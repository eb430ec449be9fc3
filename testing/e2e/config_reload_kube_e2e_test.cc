// skaffold.yaml edited while `devloop dev -p kubernetes` runs on
// testing/examples/microservices, against a real Kubernetes (a test cluster of
// its own, testing/kube/with_kube_cluster.sh), with the artifact cache on:
//  - a manifest added to the config is applied by the same process and the
//    same run (the run id on the objects stays), while the workloads the edit
//    did not touch are not rolled out -- the same pods (by UID), the same
//    Deployment generations -- and their forwarded ports keep answering on
//    the same local ports (the artifact cache gives both images the same
//    references, so the Deployments are applied unchanged); the API reports the new loop's iteration 0 and no
//    TerminationEvent;
//  - the manifest removed again: its object is deleted, and only it;
//  - every portForward entry removed (forwarding off): the forwarded local
//    ports close with the reload;
//  - Ctrl-C leaves no object with the run id on the cluster.
// Everything the test creates goes with the cluster, which with_kube_cluster.sh
// takes down even when the test fails, and with the session's Docker sweep.
#include <sys/stat.h>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::e2e {
namespace {

constexpr absl::Duration kIteration = absl::Seconds(180);

constexpr char kSettings[] = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: reload-settings
data:
  greeting: hello
)";

class ConfigReloadKubeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cluster_.kubeconfig().empty())
        << "run me through testing/kube/with_kube_cluster.sh";
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("microservices", {"leeroy-web", "leeroy-app"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    // Outside both artifacts' contexts: no rebuild because of it.
    ASSERT_EQ(::mkdir((session_->dir() + "/extra").c_str(), 0755), 0);
    ASSERT_TRUE(WriteFile(session_->dir() + "/extra/settings.yaml", kSettings).ok());
  }

  // `kubectl get ARGS` on the test cluster, trimmed; "error: ..." on failure.
  std::string Get(std::vector<std::string> args) {
    args.insert(args.begin(), "get");
    absl::StatusOr<std::string> out = cluster_.Kubectl(args);
    return out.ok() ? std::string(absl::StripAsciiWhitespace(*out))
                    : absl::StrCat("error: ", out.status().message());
  }

  // The run's pods and Deployments: "pod/NAME UID" and "deployment/NAME
  // GENERATION" lines. A rollout changes one or the other.
  std::string Workloads(const std::string& run_id) {
    const std::string selector = absl::StrCat("dev.devloop.run-id=", run_id);
    return absl::StrCat(
        Get({"pods", "--namespace=default", "-l", selector, "--sort-by=.metadata.name", "-o",
             "jsonpath={range .items[*]}pod/{.metadata.name} {.metadata.uid}{\"\\n\"}{end}"}),
        "\n",
        Get({"deployments", "--namespace=default", "-l", selector, "--sort-by=.metadata.name",
             "-o",
             "jsonpath={range .items[*]}deployment/{.metadata.name} "
             "{.metadata.generation}{\"\\n\"}{end}"}));
  }

  // The run id label of ConfigMap reload-settings; "" when there is none.
  std::string SettingsRunId() {
    return Get({"configmap", "reload-settings", "--namespace=default", "--ignore-not-found",
                "-o", "jsonpath={.metadata.labels.dev\\.devloop\\.run-id}"});
  }

  // Saves the config, in one write, with each `from` replaced by its `to`,
  // and waits for the new loop's iteration 0 to succeed; `at` moves past it.
  void Reload(const std::vector<std::pair<std::string, std::string>>& edits, size_t* at) {
    const std::string config = session_->dir() + "/skaffold.yaml";
    absl::StatusOr<std::string> text = ReadFile(config);
    ASSERT_TRUE(text.ok()) << text.status();
    for (const auto& [from, to] : edits) {
      const size_t found = text->find(from);
      ASSERT_NE(found, std::string::npos) << from << " is not in\n" << *text;
      text->replace(found, from.size(), to);
    }
    ASSERT_TRUE(WriteFile(config, *text).ok());
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, *at + 1, at);
    ASSERT_TRUE(done.ok()) << done.status() << "\n"
                           << Describe(session_->events().Entries()) << "\n"
                           << session_->devloop().process().Output();
  }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::unique_ptr<DevSession> session_;
};

TEST_F(ConfigReloadKubeE2eTest, AnEditThatLeavesAWorkloadAloneLeavesItsPodsAlone) {
  const int app_port = session_->LocalPort(9003);
  const int web_port = session_->LocalPort(9002);
  ASSERT_TRUE(session_->Start({"-p", "kubernetes", "--kubeconfig", cluster_.kubeconfig(),
                               "--default-repo", cluster_.registry(), "--cache-artifacts=true"})
                  .ok());
  EventsClient& events = session_->events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n"
                         << Describe(events.Entries()) << "\n"
                         << session_->devloop().process().Output();
  ASSERT_TRUE(WaitServed(app_port, "/", "leeroooooy app!!").ok());
  const std::string run_id = Get({"deployment", "leeroy-app", "--namespace=default", "-o",
                                  "jsonpath={.metadata.labels.dev\\.devloop\\.run-id}"});
  ASSERT_EQ(run_id.size(), 8u) << run_id;
  const std::string before = Workloads(run_id);
  ASSERT_TRUE(absl::StrContains(before, "pod/leeroy-app-")) << before;
  ASSERT_TRUE(absl::StrContains(before, "deployment/leeroy-web ")) << before;
  EXPECT_EQ(SettingsRunId(), "");

  // A manifest added: applied in the same run, nothing else rolled out, and
  // leeroy-app's forward answers throughout (handed on, never closed).
  const size_t reload_at = events.size();
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::string> failures;  // the prober's own until it is joined
  std::thread prober([&] {
    while (!stop.load()) {
      absl::StatusOr<HttpResponse> r = Http(app_port, "GET", "/", "", absl::Seconds(5));
      if (r.ok() && r->status == 200) {
        ++answered;
      } else if (failures.size() < 10) {
        failures.push_back(r.ok() ? absl::StrCat("HTTP ", r->status) : r.status().ToString());
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  Reload({{"        - k8s/*.yaml\n", "        - k8s/*.yaml\n        - extra/*.yaml\n"}}, &at);
  stop = true;
  prober.join();
  if (HasFatalFailure()) return;
  EXPECT_THAT(failures, ::testing::IsEmpty()) << "the forwarded port failed during the reload";
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(SettingsRunId(), run_id) << "the run goes on";
  EXPECT_EQ(Workloads(run_id), before) << "a workload the edit did not touch was rolled out";
  EXPECT_TRUE(absl::StrContains(session_->devloop().process().Output(),
                                "what did not change keeps running"))
      << session_->devloop().process().Output();
  int reported_app_port = 0;
  const std::vector<proto::LogEntry> entries = events.Entries();
  for (size_t i = reload_at; i < entries.size(); ++i) {
    const proto::LogEntry& e = entries[i];
    EXPECT_FALSE(e.event().has_terminationevent()) << "the session went on:\n" << e.DebugString();
    if (e.event().has_portevent() && e.event().portevent().containername() == "leeroy-app") {
      reported_app_port = e.event().portevent().localport();
    }
  }
  EXPECT_EQ(reported_app_port, app_port) << Describe(events.Entries(), reload_at);
  EXPECT_TRUE(WaitServed(app_port, "/", "leeroooooy app!!").ok());
  EXPECT_TRUE(WaitServed(web_port, "/index.html", "cgi-bin").ok());

  // The manifest removed again: its ConfigMap goes, and only it. And
  // leeroy-web's forward moves to another local port.
  absl::StatusOr<int> moved = PickFreePort();
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_NO_FATAL_FAILURE(
      Reload({{"        - k8s/*.yaml\n        - extra/*.yaml\n", "        - k8s/*.yaml\n"},
              {absl::StrCat("        localPort: ", web_port, "\n"),
               absl::StrCat("        localPort: ", *moved, "\n")}},
             &at));
  std::string left = SettingsRunId();
  for (int i = 0; i < 60 && !left.empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(500));
    left = SettingsRunId();
  }
  EXPECT_EQ(left, "") << "the removed manifest's ConfigMap is still there";
  EXPECT_EQ(Workloads(run_id), before);
  EXPECT_TRUE(WaitServed(app_port, "/", "leeroooooy app!!").ok());
  absl::StatusOr<std::string> served = WaitServed(*moved, "/index.html", "cgi-bin");
  EXPECT_TRUE(served.ok()) << served.status();
  // The old local port is closed, not left taken by a process devloop started.
  absl::StatusOr<HttpResponse> old_port =
      Http(web_port, "GET", "/index.html", "", absl::Seconds(5));
  EXPECT_FALSE(old_port.ok());
  EXPECT_THAT(old_port.status().message(), ::testing::HasSubstr("refused"));

  // A source edit still rolls leeroy-app out, in the same run.
  ASSERT_TRUE(WriteFile(session_->dir() + "/leeroy-app/www/index.html", "app v2\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(events.Entries());
  EXPECT_TRUE(WaitServed(app_port, "/", "app v2", absl::Seconds(60)).ok());

  // Every portForward entry removed, the profile's and the top level's (which
  // forward containers, Docker's kind): the new loop forwards nothing, and
  // the local ports the old one forwarded close with the reload.
  absl::StatusOr<std::string> text = ReadFile(session_->dir() + "/skaffold.yaml");
  ASSERT_TRUE(text.ok()) << text.status();
  const size_t top = text->find("\nportForward:\n");
  const size_t profiles = text->find("\nprofiles:");
  const size_t profile = text->find("\n    portForward:\n");  // the last key of the file
  ASSERT_TRUE(top != std::string::npos && profiles != std::string::npos &&
              profile != std::string::npos && top < profiles && profiles < profile)
      << *text;
  ASSERT_NO_FATAL_FAILURE(Reload({{text->substr(profile), "\n"},
                                  {text->substr(top, profiles - top), ""}},
                                 &at));
  for (int port : {app_port, *moved}) {
    absl::StatusOr<HttpResponse> closed = Http(port, "GET", "/", "", absl::Seconds(5));
    EXPECT_FALSE(closed.ok()) << "port " << port << " still answers";
    EXPECT_THAT(closed.status().message(), ::testing::HasSubstr("refused")) << port;
  }
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->forwardedports().empty()) << state->DebugString();

  // Ctrl-C: nothing with the run id stays.
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << session_->devloop().process().Output();
  const std::string selector = absl::StrCat("dev.devloop.run-id=", run_id);
  std::string owned = "?";
  for (int i = 0; i < 60 && !owned.empty(); ++i) {
    owned = Get({"deployments,replicasets,pods,services,configmaps", "-A", "-l", selector, "-o",
                 "name"});
    if (!owned.empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(owned, "") << "objects with the run id left on the cluster";
}

}  // namespace
}  // namespace devloop::e2e
