// The dev loop's shell, deterministically: the real controller, hub and Docker
// adapters over the fake engine (FaultyDocker for faults), on simulated time.
// No test sleeps or reads the real clock.
#include "infra/dev/dev_loop.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/deploy/labels.h"
#include "testing/dev/shell_harness.h"
#include "testing/net/loopback.h"

namespace devloop::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRun[] = "shellrun1";

class DevLoopTest : public ::testing::Test {
 protected:
  // Starts the loop and runs iteration 0 to its end.
  void StartIdle() {
    h_.Start();
    ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle() && h_.State().forwarded_ports.size() == 1; }))
        << h_.State();
  }
  std::string OnlyContainer() {
    std::vector<docker::ContainerSummary> c = h_.Containers();
    return c.size() == 1 ? c[0].id : "";
  }
  // Asks the loop to stop and runs the cleanup.
  void StopAndCheckNothingLeft() {
    h_.loop().RequestStop();
    ASSERT_TRUE(h_.RunUntil([&] { return h_.loop().stopped(); }));
    EXPECT_TRUE(h_.Containers().empty());
    EXPECT_TRUE(h_.docker().ListNetworks(deploy::kRunIdLabel, kRun)->empty());
    EXPECT_TRUE(h_.docker().ListImages(deploy::kRunIdLabel, kRun)->empty());
  }

  ShellHarness h_;
};

TEST_F(DevLoopTest, InitialIterationBuildsDeploysChecksAndForwards) {
  StartIdle();
  const domain::State s = h_.State();
  EXPECT_EQ(s.build_state.artifacts.at("web"), "Complete");
  const domain::PortEvent& port = s.forwarded_ports.begin()->second;
  EXPECT_EQ(port.remote_port, 8080);
  EXPECT_EQ(port.resource_type, "container");
  EXPECT_EQ(port.address, "127.0.0.1");
  EXPECT_EQ(h_.Containers().size(), 1u);
  EXPECT_THAT(s.status_check_state.resources, Contains(std::pair<const std::string, std::string>(
                                                  "container/web", "Succeeded")));
  std::vector<std::string> entries = h_.Entries();
  EXPECT_THAT(entries, Contains("Build started for artifact web"));
  EXPECT_THAT(entries, Contains("Build completed for artifact web"));
  EXPECT_THAT(entries, Contains("Deploy completed"));
  EXPECT_THAT(entries, Contains("Update succeeded"));
}

TEST_F(DevLoopTest, SyncedEditIsCopiedIntoTheContainerWithoutABuild) {
  StartIdle();
  const int builds = h_.docker().calls("Build");
  h_.Edit("index.html", "hello again\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().file_sync_state.status == "Succeeded"; }));
  EXPECT_EQ(h_.docker().ReadFile(OnlyContainer(), "/www/index.html").value_or(""),
            "hello again\n");
  EXPECT_EQ(h_.docker().calls("Build"), builds);
}

TEST_F(DevLoopTest, SourceEditRebuildsAndReplacesTheContainerOnTheSameLocalPort) {
  StartIdle();
  const int local_port = h_.State().forwarded_ports.begin()->first;
  const std::string before = OnlyContainer();
  h_.Edit("main.c", "int main() { return 1; }\n");
  ASSERT_TRUE(h_.RunUntil([&] {
    const std::string now = OnlyContainer();
    return h_.Idle() && !now.empty() && now != before;
  })) << h_.State();
  EXPECT_EQ(h_.State().forwarded_ports.size(), 1u);
  EXPECT_EQ(h_.State().forwarded_ports.begin()->first, local_port);
}

TEST_F(DevLoopTest, AForwardThatMovedByItselfIsReportedAgain) {
  StartIdle();
  const domain::PortEvent first = h_.State().forwarded_ports.begin()->second;
  const size_t entries = h_.Entries().size();
  // The deployer's forward followed its workload to a new pod.
  domain::PortEvent moved = first;
  moved.pod_name = "web-2";
  moved.container_name = "web";
  h_.MoveForward(moved);
  h_.runtime().RunUntilIdle();
  ASSERT_EQ(h_.State().forwarded_ports.size(), 1u);
  EXPECT_EQ(h_.State().forwarded_ports.begin()->second, moved);
  std::vector<std::string> now = h_.Entries();
  ASSERT_EQ(now.size(), entries + 1);
  EXPECT_EQ(now.back(), absl::StrCat("Forwarding container web to local port ", first.local_port));
  StopAndCheckNothingLeft();
}

TEST_F(DevLoopTest, StopRemovesEverythingTheRunMadeAndNothingElse) {
  ASSERT_TRUE(h_.docker().CreateNetwork("not-ours", {{"x", "y"}}).ok());
  StartIdle();
  StopAndCheckNothingLeft();
  EXPECT_EQ(h_.docker().ListNetworks("x", "y")->size(), 1u) << "a network not ours was touched";
}

TEST_F(DevLoopTest, ControlApiAnswersAlreadySetAndGatesBuilds) {
  StartIdle();
  absl::Status same = absl::UnknownError("no answer");
  h_.loop().SetAutoTrigger(domain::Phase::kBuild, true, [&](absl::Status s) { same = s; });
  h_.runtime().RunUntilIdle();
  EXPECT_EQ(same.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(same.message()), HasSubstr("auto build is already set to true"));

  absl::Status off = absl::UnknownError("no answer");
  h_.loop().SetAutoTrigger(domain::Phase::kBuild, false, [&](absl::Status s) { off = s; });
  EXPECT_EQ(off.code(), absl::StatusCode::kUnknown) << "answered before the loop ran it";
  h_.runtime().RunUntilIdle();
  ASSERT_TRUE(off.ok()) << off;

  const int builds = h_.docker().calls("Build");
  h_.Edit("main.c", "int main() { return 2; }\n");
  h_.RunFor(absl::Seconds(5));
  EXPECT_EQ(h_.docker().calls("Build"), builds) << "built with auto build off";
  auto pending = [&] {
    absl::StatusOr<domain::PendingWork> answer = absl::UnknownError("no answer");
    h_.loop().Pending([&](absl::StatusOr<domain::PendingWork> p) { answer = std::move(p); });
    h_.runtime().RunUntilIdle();
    return answer;
  };
  absl::StatusOr<domain::PendingWork> waiting = pending();
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(*waiting, (domain::PendingWork{.builds = {"web"}}));

  absl::Status executed = absl::UnknownError("no answer");
  h_.loop().Execute({.build = true}, [&](absl::Status s) { executed = s; });
  ASSERT_TRUE(h_.RunUntil([&] { return h_.docker().calls("Build") > builds && h_.Idle(); }));
  EXPECT_TRUE(executed.ok()) << executed;
  EXPECT_EQ(pending().value_or(domain::PendingWork{.deploy = true}), domain::PendingWork{});
}

TEST_F(DevLoopTest, FailedBuildKeepsTheOldContainerRunning) {
  StartIdle();
  const std::string before = OnlyContainer();
  h_.Edit("Dockerfile", "FROM scratch\nCOPY missing.txt /x\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().build_state.artifacts.at("web") == "Failed"; }));
  EXPECT_EQ(h_.State().build_state.status_code, domain::StatusCode::kBuildUserError);
  EXPECT_EQ(OnlyContainer(), before);
}

TEST_F(DevLoopTest, DaemonGoneMidBuildReportsItsCodeAndTheLoopRecovers) {
  StartIdle();
  const std::string before = OnlyContainer();
  h_.faulty().FailNext("Build", DaemonGone());
  h_.Edit("main.c", "int main() { return 3; }\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().build_state.artifacts.at("web") == "Failed"; }));
  EXPECT_EQ(h_.State().build_state.status_code,
            domain::StatusCode::kBuildDockerDaemonNotRunning);
  EXPECT_EQ(OnlyContainer(), before) << "the last good deployment keeps running";
  // The daemon is back: the next save rebuilds and redeploys.
  h_.Edit("main.c", "int main() { return 4; }\n");
  ASSERT_TRUE(h_.RunUntil([&] {
    const std::string now = OnlyContainer();
    return h_.Idle() && !now.empty() && now != before;
  })) << h_.State();
}

TEST_F(DevLoopTest, DeployFailureCarriesItsRealCodeAndKeepsTheOldDeployment) {
  StartIdle();
  const std::string before = OnlyContainer();
  h_.faulty().FailNext("Run", DaemonGone());
  h_.Edit("main.c", "int main() { return 5; }\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().deploy_state.status == "Failed"; }))
      << h_.State();
  EXPECT_EQ(h_.State().deploy_state.status_code, domain::StatusCode::kDeployClusterConnectionErr);
  EXPECT_EQ(OnlyContainer(), before);
  EXPECT_EQ(h_.State().forwarded_ports.size(), 1u);
}

TEST_F(DevLoopTest, AContainerThatExitsDuringTheCheckFailsItWithItsExitCodeAndLogs) {
  h_.Start();
  // Run until the first observation found the container running...
  ASSERT_TRUE(h_.RunUntil([&] {
    return h_.State().status_check_state.resources.count("container/web") > 0;
  }));
  ASSERT_FALSE(OnlyContainer().empty());
  // ... then it dies, before it has run for the stability window.
  ASSERT_TRUE(h_.docker().Exit(OnlyContainer(), 3).ok());
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().status_check_state.status == "Failed"; }))
      << h_.State();
  EXPECT_EQ(h_.State().status_check_state.status_code,
            domain::StatusCode::kStatusCheckContainerTerminated);
  bool named = false;
  for (const std::string& e : h_.Entries()) {
    named |= absl::StrContains(e, "exit code 3") && absl::StrContains(e, "listening on 8080");
  }
  EXPECT_TRUE(named) << "no entry names the exit code and the last log line";
}

TEST_F(DevLoopTest, StatusCheckRidesOutAnEngineThatStopsAnsweringForAWhile) {
  h_.Start();
  ASSERT_TRUE(h_.StepUntil([&] { return h_.State().deploy_state.status == "Complete"; }));
  h_.faulty().FailAlways("Inspect", DaemonGone());
  h_.RunFor(absl::Seconds(3));
  EXPECT_NE(h_.State().status_check_state.status, "Succeeded");
  h_.faulty().Heal("Inspect");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle(); })) << h_.State();
}

TEST_F(DevLoopTest, FailedSyncIsReportedAndARebuildBringsTheContainerInStep) {
  StartIdle();
  const int builds = h_.docker().calls("Build");
  const std::string before = OnlyContainer();
  h_.faulty().FailNext("CopyInto", DaemonGone());
  h_.Edit("index.html", "lost\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().file_sync_state.status == "Failed"; }));
  // The container may hold half the change: it is rebuilt, not left behind.
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle() && OnlyContainer() != before; }));
  EXPECT_EQ(h_.docker().calls("Build"), builds + 1);
  // The next save syncs again.
  h_.Edit("index.html", "found\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().file_sync_state.status == "Succeeded"; }));
  EXPECT_EQ(h_.docker().ReadFile(OnlyContainer(), "/www/index.html").value_or(""), "found\n");
}

TEST_F(DevLoopTest, CtrlCDuringTheFirstBuildCleansUp) {
  h_.Start();
  h_.runtime().RunTasks();  // the build job is queued, not run
  ASSERT_EQ(h_.runtime().queued_jobs(), 1u);
  StopAndCheckNothingLeft();
  EXPECT_EQ(h_.State().build_state.status_code, domain::StatusCode::kBuildCancelled);
}

TEST_F(DevLoopTest, CtrlCDuringADeployCleansUp) {
  StartIdle();
  h_.Edit("main.c", "int main() { return 6; }\n");
  // Up to the moment the deploy job is queued, not run.
  ASSERT_TRUE(h_.StepUntil([&] { return h_.State().deploy_state.status == "In Progress"; }));
  ASSERT_EQ(h_.runtime().queued_jobs(), 1u);
  StopAndCheckNothingLeft();
}

TEST_F(DevLoopTest, CtrlCDuringASyncCleansUp) {
  StartIdle();
  h_.Edit("index.html", "mid-sync\n");
  h_.runtime().RunTasks();  // the sync job is queued
  ASSERT_EQ(h_.State().file_sync_state.status, "In Progress");
  StopAndCheckNothingLeft();
}

TEST_F(DevLoopTest, CtrlCDuringTheStatusCheckCleansUp) {
  h_.Start();
  ASSERT_TRUE(h_.StepUntil([&] { return h_.State().deploy_state.status == "Complete"; }));
  h_.faulty().FailAlways("Inspect", DaemonGone());  // the check cannot end by itself
  h_.RunFor(absl::Seconds(1));
  ASSERT_EQ(h_.State().status_check_state.status, "In Progress") << h_.State();
  h_.faulty().Heal("Inspect");
  StopAndCheckNothingLeft();
}

TEST_F(DevLoopTest, CleanupOffLeavesTheDeploymentRunning) {
  h_.options().cleanup = false;
  StartIdle();
  h_.loop().RequestStop();
  ASSERT_TRUE(h_.RunUntil([&] { return h_.loop().stopped(); }));
  ASSERT_EQ(h_.Containers().size(), 1u);
  EXPECT_EQ(h_.docker().Inspect(OnlyContainer())->status, docker::ContainerStatus::kRunning);
}

// A config reload keeps the run (LiveLoop on Docker): the new loop takes over
// what the old one runs. The artifact cache is on, as `devloop dev` has it,
// so an unchanged artifact builds to the same image.
class ReloadTest : public DevLoopTest {
 protected:
  void SetUp() override { h_.builder_options().cache_artifacts = true; }
  // The id of the running container named `alias`-<run>-<n>, "" if none.
  std::string ContainerOf(const std::string& alias) {
    std::string id;
    for (const docker::ContainerSummary& c : h_.Containers()) {
      if (absl::StartsWith(c.name, alias + "-") &&
          h_.docker().Inspect(c.id)->status == docker::ContainerStatus::kRunning) {
        EXPECT_TRUE(id.empty()) << "two containers of " << alias;
        id = c.id;
      }
    }
    return id;
  }
  static build::ArtifactBuildSpec Api(const std::string& context) {
    build::ArtifactBuildSpec api;
    api.spec.image = "api";
    api.context_dir = context;
    return api;
  }
  int LocalPort() { return h_.State().forwarded_ports.begin()->first; }
};

TEST_F(ReloadTest, AnAddedArtifactAndSyncRuleLeaveTheUnchangedContainerRunning) {
  StartIdle();
  const std::string web = ContainerOf("web");
  const int local_port = LocalPort();
  h_.Reload([](ShellHarness& h) {
    h.options().artifacts[0].spec.sync.push_back({.src = "*.css", .dest = "/www", .strip = ""});
    h.options().artifacts.push_back(Api(h.context()));
  });
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle() && !ContainerOf("api").empty(); }))
      << h_.State();
  EXPECT_EQ(ContainerOf("web"), web) << "web was replaced though nothing of it changed";
  EXPECT_EQ(h_.Containers().size(), 2u);
  ASSERT_EQ(h_.State().forwarded_ports.size(), 1u);
  EXPECT_EQ(LocalPort(), local_port);
  EXPECT_EQ(h_.docker().calls("CreateNetwork"), 1) << "the run keeps its network";
  for (const std::string& e : h_.Entries()) {
    EXPECT_THAT(e, Not(HasSubstr("Deploy failed")));
  }

  // The new sync rule applies to the container kept.
  h_.Edit("style.css", "body {}\n");
  ASSERT_TRUE(h_.RunUntil([&] { return h_.State().file_sync_state.status == "Succeeded"; }))
      << h_.State();
  EXPECT_EQ(h_.docker().ReadFile(web, "/www/style.css").value_or(""), "body {}\n");

  // Ctrl-C: everything of the run goes, whichever loop started it.
  StopAndCheckNothingLeft();
}

TEST_F(ReloadTest, AChangedBuildIsReplacedAndARemovedArtifactRemoved) {
  h_.options().artifacts.push_back(Api(h_.context()));
  h_.builder_options().artifacts = h_.options().artifacts;
  StartIdle();
  const std::string web = ContainerOf("web");
  ASSERT_FALSE(ContainerOf("api").empty());
  const int local_port = LocalPort();
  h_.Reload([](ShellHarness& h) {
    h.options().artifacts[0].build_args["VERSION"] = "2";
    h.options().artifacts.pop_back();
  });
  ASSERT_TRUE(h_.RunUntil([&] {
    const std::string now = ContainerOf("web");
    return h_.Idle() && !now.empty() && now != web && h_.Containers().size() == 1;
  })) << h_.State();
  EXPECT_EQ(ContainerOf("api"), "");
  EXPECT_EQ(LocalPort(), local_port) << "the forward moved to the new container in place";
  // Deployments are numbered on across the reload: names never collide.
  EXPECT_EQ(h_.Containers()[0].name, absl::StrCat("web-", kRun, "-2"));
  StopAndCheckNothingLeft();
}

TEST_F(ReloadTest, AReloadThatTurnsForwardingOffClosesTheLocalPort) {
  StartIdle();
  const int local_port = LocalPort();
  ASSERT_TRUE(AcceptsOnLoopback(local_port));
  // The new config has no portForward entry left: the loop forwards nothing.
  h_.Reload([](ShellHarness& h) {
    h.options().port_forward = false;
    h.deployer_options().port_forwards.clear();
  });
  EXPECT_FALSE(AcceptsOnLoopback(local_port)) << "closed as the new loop took over";
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle(); })) << h_.State();
  EXPECT_FALSE(AcceptsOnLoopback(local_port));
  EXPECT_TRUE(h_.State().forwarded_ports.empty()) << h_.State();
  StopAndCheckNothingLeft();
}

TEST_F(ReloadTest, ARemovedForwardClosesItsLocalPortAndAKeptOneStays) {
  h_.deployer_options().port_forwards.push_back(
      {.resource_name = "web", .port = 9090, .local_port = 0});
  h_.Start();
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle() && h_.State().forwarded_ports.size() == 2; }))
      << h_.State();
  std::map<int, int> local;  // remote port -> local port
  for (const auto& [port, e] : h_.State().forwarded_ports) local[e.remote_port] = port;
  ASSERT_TRUE(AcceptsOnLoopback(local[8080]));
  ASSERT_TRUE(AcceptsOnLoopback(local[9090]));
  h_.Reload([](ShellHarness& h) { h.deployer_options().port_forwards.pop_back(); });
  EXPECT_FALSE(AcceptsOnLoopback(local[9090]));
  EXPECT_TRUE(AcceptsOnLoopback(local[8080]));
  ASSERT_TRUE(h_.RunUntil([&] { return h_.Idle() && h_.State().forwarded_ports.size() == 1; }))
      << h_.State();
  EXPECT_EQ(h_.State().forwarded_ports.begin()->first, local[8080]);
  EXPECT_FALSE(AcceptsOnLoopback(local[9090]));
  StopAndCheckNothingLeft();
}

TEST_F(ReloadTest, ANewForwardOfAnUnpublishedPortReplacesTheContainer) {
  StartIdle();
  const std::string web = ContainerOf("web");
  h_.Reload([](ShellHarness& h) {
    h.deployer_options().port_forwards.push_back(
        {.resource_name = "web", .port = 9090, .local_port = 0});
  });
  ASSERT_TRUE(h_.RunUntil([&] {
    const std::string now = ContainerOf("web");
    return h_.Idle() && !now.empty() && now != web && h_.State().forwarded_ports.size() == 2;
  })) << h_.State();
  StopAndCheckNothingLeft();
}

}  // namespace
}  // namespace devloop::testing
