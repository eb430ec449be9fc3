#include "domain/pipeline/controller.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);
absl::Time At(int seconds) { return kT0 + absl::Seconds(seconds); }

ArtifactSpec Web() {
  return ArtifactSpec{"web", {}, {{"static/**", "/srv", "static/"}}};
}

ControllerOptions Options(std::vector<ArtifactSpec> artifacts = {Web()}) {
  ControllerOptions o;
  o.artifacts = std::move(artifacts);
  return o;
}

// The entry texts of an output's log entries, in order.
std::vector<std::string> Entries(const Output& out) {
  std::vector<std::string> texts;
  for (const Record& r : out.records) {
    if (const auto* e = std::get_if<LogEntry>(&r)) texts.push_back(e->entry);
  }
  return texts;
}

template <class E>
std::vector<E> EventsOf(const Output& out) {
  std::vector<E> events;
  for (const Record& r : out.records) {
    if (const auto* e = std::get_if<LogEntry>(&r)) {
      if (const auto* ev = std::get_if<E>(&e->event)) events.push_back(*ev);
    }
  }
  return events;
}

// An observation of a ready resource.
ResourceObserved Ready(int t, int64_t deploy_id, std::string resource = "container/web") {
  return ResourceObserved{At(t), deploy_id, {.resource = std::move(resource), .ready_replicas = 1}};
}

class ControllerTest : public ::testing::Test {
 protected:
  void Make(ControllerOptions options = Options()) {
    absl::StatusOr<Controller> c = Controller::Make(std::move(options));
    ASSERT_TRUE(c.ok()) << c.status();
    c_.emplace(*std::move(c));
  }
  Output Feed(const Input& in) {
    absl::StatusOr<Output> out = c_->Handle(in);
    EXPECT_TRUE(out.ok()) << in << ": " << out.status();
    if (!out.ok()) return {};
    log_.insert(log_.end(), out->records.begin(), out->records.end());
    return *std::move(out);
  }
  // Runs the initial iteration of one artifact "web" to success: deploy 1 is live.
  void RunInitial() {
    Feed(Start{At(0)});
    Feed(BuildSucceeded{At(1), "web", "web:1"});
    Feed(DeploySucceeded{At(2), 1, {"container/web"}});
    Feed(Ready(3, 1));
    // Still ready a stability window (1 s) later: up.
    Output done = Feed(Ready(4, 1));
    ASSERT_THAT(Entries(done), ::testing::Contains("Update succeeded"));
  }
  FilesChanged Change(std::string path, int t = 10) { return FilesChanged{At(t), "web", {{path}}}; }

  std::optional<Controller> c_;
  std::vector<Record> log_;
};

TEST_F(ControllerTest, InitialIterationBuildsDeploysChecksAndSucceeds) {
  Make();
  Output start = Feed(Start{At(0)});
  ASSERT_FALSE(start.records.empty());
  EXPECT_TRUE(std::holds_alternative<PipelineStarted>(start.records[0]));
  EXPECT_THAT(Entries(start),
              ElementsAre("Starting devloop", "Update initiated", "Build started for artifact web"));
  EXPECT_THAT(EventsOf<DevLoopEvent>(start), ElementsAre(DevLoopEvent{0, "In Progress"}));
  EXPECT_THAT(start.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));

  Output built = Feed(BuildSucceeded{At(1), "web", "web:1"});
  EXPECT_THAT(Entries(built), ElementsAre("Build completed for artifact web", "Deploy started"));
  EXPECT_THAT(built.effects, ElementsAre(Effect(Deploy{1, {{"web", "web:1"}}})));

  Output deployed = Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  EXPECT_THAT(Entries(deployed),
              ElementsAre("Deploy completed", "Status check started",
                          "Resource container/web status updated to Pending: waiting for status"));
  EXPECT_THAT(deployed.effects,
              ElementsAre(Effect(ForwardPorts{1}),
                          Effect(StartStatusCheck{1, {"container/web"}, At(2) + absl::Minutes(10)}),
                          Effect(ScheduleTick{At(2) + absl::Minutes(10)})));

  Output pending = Feed(ResourceObserved{At(3), 1, {.resource = "container/web", .waiting_reason = "ContainerCreating"}});
  EXPECT_THAT(pending.records, IsEmpty());  // still Pending: one event per change of status
  Output same = Feed(ResourceObserved{At(4), 1, {.resource = "container/web", .waiting_reason = "ContainerCreating"}});
  EXPECT_THAT(same.records, IsEmpty());  // no change, no event

  Output port = Feed(PortForwarded{At(4), PortEvent{.local_port = 9000, .remote_port = 8080, .container_name = "web"}});
  EXPECT_THAT(Entries(port), ElementsAre("Forwarding container web to local port 9000"));

  Output ready = Feed(Ready(5, 1));
  EXPECT_THAT(ready.records, IsEmpty());  // the stability window starts
  EXPECT_EQ(c_->mode(), Controller::Mode::kStatusChecking);
  Output stable = Feed(Ready(6, 1));
  EXPECT_THAT(Entries(stable),
              ElementsAre("Resource container/web status updated to Succeeded: ready",
                          "Status check succeeded", "Update succeeded"));
  EXPECT_THAT(EventsOf<DevLoopEvent>(stable), ElementsAre(DevLoopEvent{0, "Succeeded"}));
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  EXPECT_TRUE(c_->quiescent());

  State s = Replay(log_);
  EXPECT_EQ(s.build_state.artifacts.at("web"), "Complete");
  EXPECT_EQ(s.build_state.status_code, StatusCode::kBuildSuccess);
  EXPECT_EQ(s.deploy_state.status, "Complete");
  EXPECT_EQ(s.status_check_state.status, "Succeeded");
  EXPECT_EQ(s.status_check_state.resources.at("container/web"), "Succeeded");
  EXPECT_EQ(s.forwarded_ports.at(9000).remote_port, 8080);
}

TEST_F(ControllerTest, RequiredArtifactsBuildFirst) {
  Make(Options({ArtifactSpec{"app", {"base"}}, ArtifactSpec{"base"}, ArtifactSpec{"other"}}));
  Output start = Feed(Start{At(0)});
  EXPECT_THAT(start.effects, ElementsAre(Effect(BuildArtifacts{{"base", "other"}})));
  Output base = Feed(BuildSucceeded{At(1), "base", "base:1"});
  EXPECT_THAT(base.effects, ElementsAre(Effect(BuildArtifacts{{"app"}})));
  Output other = Feed(BuildSucceeded{At(1), "other", "other:1"});
  EXPECT_THAT(other.effects, IsEmpty());  // app still builds: no deploy yet
  Output app = Feed(BuildSucceeded{At(2), "app", "app:1"});
  EXPECT_THAT(app.effects,
              ElementsAre(Effect(Deploy{1, {{"app", "app:1"}, {"base", "base:1"}, {"other", "other:1"}}})));
}

TEST_F(ControllerTest, ChangeToARequiredArtifactRebuildsItsDependents) {
  ControllerOptions o = Options({ArtifactSpec{"base"}, ArtifactSpec{"app", {"base"}}});
  o.status_check = false;
  Make(o);
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "base", "base:1"});
  Feed(BuildSucceeded{At(1), "app", "app:1"});
  Feed(DeploySucceeded{At(2), 1, {}});
  Output change = Feed(FilesChanged{At(3), "base", {{"Dockerfile"}}});
  EXPECT_THAT(change.effects, ElementsAre(Effect(BuildArtifacts{{"base"}})));
  Output base = Feed(BuildSucceeded{At(4), "base", "base:2"});
  EXPECT_THAT(base.effects, ElementsAre(Effect(BuildArtifacts{{"app"}})));
}

TEST_F(ControllerTest, ChangesDuringABuildCauseExactlyOneRebuild) {
  Make();
  Feed(Start{At(0)});
  EXPECT_THAT(Feed(Change("main.go", 1)).effects, IsEmpty());
  EXPECT_THAT(Feed(Change("util.go", 2)).effects, IsEmpty());
  EXPECT_TRUE(c_->build("web")->dirty());
  Feed(BuildSucceeded{At(3), "web", "web:1"});
  Feed(DeploySucceeded{At(4), 1, {"container/web"}});
  Feed(Ready(5, 1));
  Output done = Feed(Ready(6, 1));
  // The iteration ends and the queued change starts iteration 1 at once.
  EXPECT_THAT(EventsOf<DevLoopEvent>(done),
              ElementsAre(DevLoopEvent{0, "Succeeded"}, DevLoopEvent{1, "In Progress"}));
  EXPECT_THAT(done.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
  Output rebuilt = Feed(BuildSucceeded{At(7), "web", "web:2"});
  EXPECT_THAT(rebuilt.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:2"}}})));
  Output deployed = Feed(DeploySucceeded{At(8), 2, {"container/web"}});
  EXPECT_THAT(deployed.effects, ::testing::Contains(Effect(StopWorkload{1})));
  Feed(Ready(9, 2));
  Output ok = Feed(Ready(10, 2));
  EXPECT_THAT(Entries(ok), ::testing::Contains("Update succeeded"));
  EXPECT_THAT(ok.effects, IsEmpty());  // no second rebuild
  EXPECT_TRUE(c_->quiescent());
}

TEST_F(ControllerTest, WithAutoBuildOffChangesWaitForABuildIntent) {
  Make();
  RunInitial();
  Feed(SetAutoTrigger{At(5), Phase::kBuild, false});
  EXPECT_THAT(Feed(Change("main.go")).effects, IsEmpty());
  EXPECT_THAT(Feed(Change("util.go")).effects, IsEmpty());
  EXPECT_FALSE(c_->quiescent());
  EXPECT_EQ(c_->pending(), (PendingWork{.builds = {"web"}}));
  Output intent = Feed(ExecuteIntent{.now = At(11), .build = true});
  EXPECT_TRUE(c_->pending().builds.empty());
  EXPECT_EQ(intent.records[0], Record(PhasesReset{.build = true}));
  EXPECT_THAT(intent.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
  // Auto deploy is on: the build done on intent is deployed.
  Output built = Feed(BuildSucceeded{At(12), "web", "web:2"});
  EXPECT_THAT(built.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:2"}}})));
  Feed(DeploySucceeded{At(13), 2, {"container/web"}});
  Feed(Ready(14, 2));
  Feed(Ready(15, 2));
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  // The intent unblocked one build: the next change waits again.
  EXPECT_THAT(Feed(Change("again.go", 16)).effects, IsEmpty());
  EXPECT_FALSE(c_->quiescent());
}

TEST_F(ControllerTest, DeployIntentBeforeBuildIntentDoesNotWedge) {
  Make();
  RunInitial();
  Feed(SetAutoTrigger{At(5), Phase::kBuild, false});
  Feed(SetAutoTrigger{At(5), Phase::kDeploy, false});
  Feed(Change("main.go"));
  Output deploy_first = Feed(ExecuteIntent{.now = At(11), .deploy = true});
  EXPECT_THAT(deploy_first.effects, IsEmpty());  // nothing new to deploy yet
  Output build = Feed(ExecuteIntent{.now = At(12), .build = true});
  EXPECT_THAT(build.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
  Output built = Feed(BuildSucceeded{At(13), "web", "web:2"});
  EXPECT_THAT(built.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:2"}}})));
}

TEST_F(ControllerTest, ReenablingAutoDeployDeploysTheNewestBuild) {
  Make();
  RunInitial();
  Feed(SetAutoTrigger{At(5), Phase::kDeploy, false});
  Feed(Change("main.go", 10));
  EXPECT_THAT(Feed(BuildSucceeded{At(11), "web", "web:2"}).effects, IsEmpty());
  Feed(Change("main.go", 12));
  EXPECT_THAT(Feed(BuildSucceeded{At(13), "web", "web:3"}).effects, IsEmpty());
  EXPECT_EQ(c_->pending(), (PendingWork{.deploy = true}));
  Output on = Feed(SetAutoTrigger{At(14), Phase::kDeploy, true});
  EXPECT_EQ(on.records[0], Record(TriggerChanged{Phase::kDeploy, true}));
  EXPECT_THAT(on.effects, ElementsAre(Effect(Deploy{2, {{"web", "web:3"}}})));
}

TEST_F(ControllerTest, TogglingAutoDeployOffDuringABuildHoldsTheDeploy) {
  Make();
  RunInitial();
  Feed(Change("main.go"));
  Feed(SetAutoTrigger{At(11), Phase::kDeploy, false});
  Output built = Feed(BuildSucceeded{At(12), "web", "web:2"});
  EXPECT_THAT(built.effects, IsEmpty());
  EXPECT_THAT(Entries(built), ElementsAre("Build completed for artifact web", "Update succeeded"));
  EXPECT_EQ(c_->deploy().live_images().at("web"), "web:1");
}

TEST_F(ControllerTest, AFailedBuildKeepsTheLoopAndTheLastGoodDeployment) {
  Make();
  RunInitial();
  Feed(Change("main.go"));
  Output failed = Feed(BuildFailed{At(11), "web", StatusCode::kBuildUserError, "exit 1"});
  EXPECT_THAT(Entries(failed), ElementsAre("Build failed for artifact web", "Update failed"));
  EXPECT_THAT(failed.effects, IsEmpty());  // no deploy, no stop of the live one
  EXPECT_EQ(EventsOf<DevLoopEvent>(failed)[0].err->code, StatusCode::kBuildUserError);
  EXPECT_EQ(c_->deploy().live_id(), 1);
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  // The loop goes on: the next change builds again.
  EXPECT_THAT(Feed(Change("main.go", 12)).effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
  State s = Replay(log_);
  EXPECT_EQ(s.deploy_state.status, "Complete");
}

TEST_F(ControllerTest, AFailedDeployStopsOnlyTheNewWorkloadAndIsNotRetriedInALoop) {
  Make();
  RunInitial();
  Feed(Change("main.go"));
  Feed(BuildSucceeded{At(11), "web", "web:2"});
  Output failed = Feed(DeployFailed{At(12), 2, StatusCode::kDeployKubectlUserErr, "port in use"});
  EXPECT_THAT(Entries(failed), ElementsAre("Deploy failed", "Update failed"));
  EXPECT_THAT(failed.effects, ElementsAre(Effect(StopWorkload{2})));
  EXPECT_EQ(c_->deploy().live_id(), 1);
  // A deploy intent retries it.
  Output retry = Feed(ExecuteIntent{.now = At(13), .deploy = true});
  EXPECT_THAT(retry.effects, ElementsAre(Effect(Deploy{3, {{"web", "web:2"}}})));
}

TEST_F(ControllerTest, SyncableChangesAreSyncedIntoTheRunningContainer) {
  Make();
  RunInitial();
  Output sync = Feed(FilesChanged{At(10), "web", {{"static/css/a.css"}, {"static/old.js", true}}});
  EXPECT_THAT(Entries(sync), ElementsAre("Update initiated", "File sync started for 2 files for web:1"));
  EXPECT_THAT(EventsOf<DevLoopEvent>(sync), ElementsAre(DevLoopEvent{1, "In Progress"}));
  EXPECT_THAT(sync.effects,
              ElementsAre(Effect(SyncFiles{"web", "web:1", 1,
                                           SyncPlan{{{"static/css/a.css", "/srv/css/a.css"}},
                                                    {"/srv/old.js"},
                                                    2,
                                                    {"static/old.js"}}})));
  Output done = Feed(SyncSucceeded{At(11), "web"});
  EXPECT_THAT(Entries(done), ElementsAre("File sync succeeded for 2 files for web:1", "Update succeeded"));
  EXPECT_EQ(Replay(log_).file_sync_state.status, "Succeeded");
}

TEST_F(ControllerTest, SyncEventsNameTheImageWithoutTheDigestTheEffectKeeps) {
  Make();
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:latest@sha256:abc"});
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  Feed(Ready(3, 1));
  Feed(Ready(4, 1));
  Output sync = Feed(FilesChanged{At(10), "web", {{"static/css/a.css"}}});
  EXPECT_THAT(Entries(sync),
              ElementsAre("Update initiated", "File sync started for 1 files for web:latest"));
  ASSERT_EQ(sync.effects.size(), 1u);
  EXPECT_EQ(std::get<SyncFiles>(sync.effects[0]).tag, "web:latest@sha256:abc");
  Output done = Feed(SyncSucceeded{At(11), "web"});
  EXPECT_THAT(Entries(done),
              ElementsAre("File sync succeeded for 1 files for web:latest", "Update succeeded"));
}

TEST_F(ControllerTest, AFileOutsideTheSyncRulesRebuilds) {
  Make();
  RunInitial();
  Output out = Feed(FilesChanged{At(10), "web", {{"static/a.css"}, {"main.go"}}});
  EXPECT_THAT(out.effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
}

TEST_F(ControllerTest, AFailedSyncFallsBackToARebuild) {
  Make();
  RunInitial();
  Feed(Change("static/a.css"));
  Output failed = Feed(SyncFailed{At(11), "web", StatusCode::kSyncUnknown, "tar failed"});
  EXPECT_THAT(Entries(failed), ElementsAre("File sync failed for 1 files for web:1", "Update failed",
                                           "Update initiated", "Build started for artifact web"));
}

TEST_F(ControllerTest, WithAutoSyncOffSyncsWaitForASyncIntent) {
  Make();
  RunInitial();
  Feed(SetAutoTrigger{At(5), Phase::kSync, false});
  EXPECT_THAT(Feed(Change("static/a.css")).effects, IsEmpty());
  EXPECT_EQ(c_->pending(), (PendingWork{.syncs = {{"web", {FileChange{"static/a.css"}}}}}));
  Output intent = Feed(ExecuteIntent{.now = At(11), .sync = true});
  EXPECT_TRUE(c_->pending().empty());
  EXPECT_EQ(intent.records[0], Record(PhasesReset{.sync = true}));
  ASSERT_EQ(intent.effects.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SyncFiles>(intent.effects[0]));
}

TEST_F(ControllerTest, StatusCheckDeadlineFailsTheIteration) {
  ControllerOptions o = Options();
  o.status_check_options.deadline = absl::Seconds(30);
  Make(o);
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Output deployed = Feed(DeploySucceeded{At(2), 1, {"container/web", "container/db"}});
  EXPECT_THAT(deployed.effects, ::testing::Contains(Effect(ScheduleTick{At(32)})));
  Feed(Ready(3, 1, "container/db"));
  Feed(Ready(4, 1, "container/db"));
  EXPECT_THAT(Feed(Tick{At(31)}).records, IsEmpty());
  Output late = Feed(Tick{At(32)});
  std::vector<ResourceStatusCheckEvent> res = EventsOf<ResourceStatusCheckEvent>(late);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].resource, "container/web");
  EXPECT_EQ(res[0].status_code, StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_THAT(Entries(late).back(), "Update failed");
  EXPECT_EQ(EventsOf<DevLoopEvent>(late)[0].err->code, StatusCode::kStatusCheckDeadlineExceeded);
  State s = Replay(log_);
  EXPECT_EQ(s.status_check_state.status_code, StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(s.status_check_state.resources.at("container/db"), "Succeeded");
  EXPECT_EQ(s.status_check_state.resources.at("container/web"), "Failed");
}

TEST_F(ControllerTest, ShutdownDuringABuildCancelsItAndCleansUp) {
  Make();
  RunInitial();
  Feed(Change("main.go"));
  Output down = Feed(Shutdown{At(11)});
  EXPECT_THAT(Entries(down), ElementsAre("Build failed for artifact web", "Update failed",
                                         "Dev loop shut down"));
  EXPECT_EQ(EventsOf<BuildEvent>(down)[0].err_code, StatusCode::kBuildCancelled);
  EXPECT_THAT(down.effects, ElementsAre(Effect(CancelBuilds{{"web"}}), Effect(Cleanup{{1}})));
  EXPECT_EQ(c_->mode(), Controller::Mode::kStopped);
  // The cancelled build's late result is ignored; new work is refused.
  EXPECT_THAT(Feed(BuildSucceeded{At(12), "web", "web:2"}).records, IsEmpty());
  EXPECT_EQ(c_->Handle(Change("x.go", 13)).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c_->Handle(Shutdown{At(14)}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Replay(log_).build_state.status_code, StatusCode::kBuildCancelled);
}

TEST_F(ControllerTest, DebuggingContainersAreLoggedAndListedUntilTheyAreGone) {
  Make();
  DebuggingContainerEvent web{.status = "Started",
                              .pod_name = "web-r1-1",
                              .container_name = "web",
                              .artifact = "web",
                              .runtime = "go",
                              .working_dir = "/src",
                              .debug_ports = {{"dlv", 56268}}};
  EXPECT_THAT(Feed(DebuggingChanged{At(0), web}).records, IsEmpty()) << "not started yet";
  RunInitial();
  Output started = Feed(DebuggingChanged{At(5), web});
  EXPECT_THAT(Entries(started), ElementsAre("Debugging container web (go) on dlv 56268"));
  EXPECT_THAT(EventsOf<DebuggingContainerEvent>(started), ElementsAre(web));
  EXPECT_THAT(Replay(log_).debugging_containers, ElementsAre(web));

  Feed(Shutdown{At(6)});
  DebuggingContainerEvent gone = web;
  gone.status = "Terminated";
  Output terminated = Feed(DebuggingChanged{At(7), gone});
  EXPECT_THAT(Entries(terminated), ElementsAre("Container web no longer debuggable"))
      << "reported while the run ends, as its containers go";
  EXPECT_THAT(Replay(log_).debugging_containers, IsEmpty());
}

TEST_F(ControllerTest, SettingATriggerToItsValueIsAlreadyExistsAndChangesNothing) {
  Make();
  RunInitial();
  absl::StatusOr<Output> same = c_->Handle(SetAutoTrigger{At(5), Phase::kBuild, true});
  EXPECT_EQ(same.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same.status().message(), "auto build is already set to true");
  Feed(SetAutoTrigger{At(6), Phase::kSync, false});
  EXPECT_EQ(c_->Handle(SetAutoTrigger{At(7), Phase::kSync, false}).status().message(),
            "auto sync is already set to false");
  EXPECT_FALSE(c_->auto_trigger(Phase::kSync));
}

TEST_F(ControllerTest, IntentsWhileAutoIsOnOnlyResetStatus) {
  Make();
  RunInitial();
  Output out = Feed(ExecuteIntent{.now = At(5), .build = true, .deploy = true});
  EXPECT_THAT(out.records, ElementsAre(Record(PhasesReset{.build = true, .deploy = true})));
  EXPECT_THAT(out.effects, IsEmpty());
  State s = Replay(log_);
  EXPECT_EQ(s.build_state.artifacts.at("web"), "Not Started");
  EXPECT_EQ(s.deploy_state.status, "Not Started");
}

TEST_F(ControllerTest, ResultsThatDoNotFitAreErrorsAndChangeNothing) {
  Make();
  EXPECT_EQ(c_->Handle(Change("main.go")).status().code(), absl::StatusCode::kFailedPrecondition);
  Feed(Start{At(0)});
  EXPECT_EQ(c_->Handle(Start{At(0)}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c_->Handle(BuildSucceeded{At(1), "other", "x:1"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c_->Handle(BuildSucceeded{At(1), "web", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c_->Handle(DeploySucceeded{At(1), 7, {}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c_->Handle(SyncSucceeded{At(1), "web"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c_->Handle(FilesChanged{At(1), "nope", {{"a"}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Output> outside = c_->Handle(FilesChanged{At(1), "web", {{"../etc/passwd"}}});
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outside.status().message()), HasSubstr("../etc/passwd"));
  Feed(BuildSucceeded{At(2), "web", "web:1"});
  Feed(DeploySucceeded{At(3), 1, {"container/web"}});
  EXPECT_EQ(c_->Handle(ResourceObserved{At(4), 1, {.resource = "container/nope"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c_->mode(), Controller::Mode::kStatusChecking);
}

TEST_F(ControllerTest, AContainerThatExitsWithinTheStabilityWindowFailsTheIteration) {
  Make();
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  Output ready = Feed(Ready(3, 1));
  EXPECT_THAT(EventsOf<DevLoopEvent>(ready), IsEmpty());  // not up yet
  Output exited =
      Feed(ResourceObserved{At(3) + absl::Milliseconds(500),
                            1,
                            {.resource = "container/web",
                             .terminated = true,
                             .terminated_reason = "Error",
                             .exit_code = 3,
                             .last_log_lines = {"listening on :8080", "panic: no database"}}});
  EXPECT_THAT(Entries(exited),
              ElementsAre("Resource container/web status updated to Failed: container terminated "
                          "with exit code 3 (Error) 500ms after it became ready; last log lines:\n"
                          "  listening on :8080\n  panic: no database",
                          "Status check failed", "Update failed"));
  std::vector<DevLoopEvent> iteration = EventsOf<DevLoopEvent>(exited);
  ASSERT_EQ(iteration.size(), 1u);
  ASSERT_TRUE(iteration[0].err.has_value());
  EXPECT_EQ(iteration[0].err->code, StatusCode::kStatusCheckContainerTerminated);
  EXPECT_THAT(iteration[0].err->message, HasSubstr("exit code 3"));
  EXPECT_THAT(iteration[0].err->message, HasSubstr("panic: no database"));
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  // A later observation of the ended check changes nothing.
  EXPECT_THAT(Feed(Ready(5, 1)).records, IsEmpty());
  State s = Replay(log_);
  EXPECT_EQ(s.status_check_state.status, "Failed");
  EXPECT_EQ(s.status_check_state.status_code, StatusCode::kStatusCheckContainerTerminated);
  EXPECT_EQ(s.status_check_state.resources.at("container/web"), "Failed");
  // The loop goes on: the next change builds again.
  EXPECT_THAT(Feed(Change("main.go", 10)).effects, ElementsAre(Effect(BuildArtifacts{{"web"}})));
}

TEST_F(ControllerTest, AResourceReadyForTheWholeWindowSucceeds) {
  ControllerOptions o = Options();
  o.status_check_options.stability_window = absl::Seconds(2);
  Make(o);
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  Feed(Ready(3, 1));
  EXPECT_THAT(Feed(Ready(4, 1)).records, IsEmpty());  // 1 s of 2: no change
  Output up = Feed(Ready(5, 1));
  EXPECT_THAT(EventsOf<DevLoopEvent>(up), ElementsAre(DevLoopEvent{0, "Succeeded"}));
}

TEST_F(ControllerTest, MinReadySecondsReplacesTheWindow) {
  Make();
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Feed(DeploySucceeded{At(2), 1, {"deployment/web"}});
  ResourceObservation obs{.resource = "deployment/web", .ready_replicas = 1};
  obs.min_ready = absl::Seconds(5);
  Output first = Feed(ResourceObserved{At(3), 1, obs});
  EXPECT_THAT(first.records, IsEmpty());  // ready: the window starts, still Pending
  EXPECT_THAT(Feed(ResourceObserved{At(4), 1, obs}).records, IsEmpty());  // the 1 s default passed
  EXPECT_THAT(Feed(ResourceObserved{At(7), 1, obs}).records, IsEmpty());
  Output up = Feed(ResourceObserved{At(8), 1, obs});
  EXPECT_THAT(EventsOf<DevLoopEvent>(up), ElementsAre(DevLoopEvent{0, "Succeeded"}));
}

TEST_F(ControllerTest, NeverReadyUntilTheDeadlineIsDeadlineExceeded) {
  ControllerOptions o = Options();
  o.status_check_options.deadline = absl::Seconds(10);
  Make(o);
  Feed(Start{At(0)});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  for (int t = 3; t < 12; ++t) {
    Feed(ResourceObserved{
        At(t), 1, {.resource = "container/web", .waiting_reason = "ContainerCreating"}});
  }
  Feed(Ready(11, 1));  // ready only within the window when the deadline comes
  Output late = Feed(Tick{At(12)});
  std::vector<ResourceStatusCheckEvent> res = EventsOf<ResourceStatusCheckEvent>(late);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].status_code, StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(EventsOf<DevLoopEvent>(late)[0].err->code, StatusCode::kStatusCheckDeadlineExceeded);
}

// Bad inputs at every stage of an iteration are refused and leave the
// controller exactly as it was (nothing is copied to roll back).
TEST_F(ControllerTest, RefusedInputsChangeNothingAtAnyStage) {
  Make(Options({ArtifactSpec{"base"}, Web()}));
  const std::vector<Input> bad = {
      BuildSucceeded{At(1), "nope", "x:1"},
      BuildSucceeded{At(1), "web", ""},
      BuildFailed{At(1), "nope"},
      SyncSucceeded{At(1), "base"},  // known, never syncing (no sync rules)
      SyncFailed{At(1), "nope"},
      DeploySucceeded{At(1), 99, {"container/web"}},
      DeployFailed{At(1), 99},
      FilesChanged{At(1), "nope", {{"a"}}},
      FilesChanged{At(1), "web", {{"ok.txt"}, {"../etc/passwd"}}},
      SetAutoTrigger{At(1), Phase::kBuild, true},
  };
  auto check_all = [&](const char* stage) {
    for (const Input& in : bad) {
      const Controller before = *c_;
      absl::StatusOr<Output> out = c_->Handle(in);
      EXPECT_FALSE(out.ok()) << stage << ": " << in;
      EXPECT_TRUE(*c_ == before) << stage << ": " << in << " changed the controller";
    }
  };
  check_all("not started");
  Feed(Start{At(0)});
  check_all("building");
  Feed(BuildSucceeded{At(1), "base", "base:1"});
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  check_all("deploying");
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  check_all("checking");
  const Controller checking = *c_;
  EXPECT_FALSE(c_->Handle(ResourceObserved{At(3), 1, {.resource = "container/nope"}}).ok());
  EXPECT_TRUE(*c_ == checking);
  Feed(Ready(3, 1));
  Feed(Ready(4, 1));
  Feed(FilesChanged{At(5), "web", {{"static/a.css"}}});
  EXPECT_EQ(c_->mode(), Controller::Mode::kSyncing);
  check_all("syncing");
  Feed(SyncSucceeded{At(6), "web"});
  check_all("idle");
  Feed(Shutdown{At(7)});
  const Controller stopped = *c_;
  EXPECT_FALSE(c_->Handle(Shutdown{At(8)}).ok());
  EXPECT_FALSE(c_->Handle(Change("x.go", 8)).ok());
  EXPECT_TRUE(*c_ == stopped);
}

TEST_F(ControllerTest, EveryModeIsReachable) {
  Make();
  EXPECT_EQ(c_->mode(), Controller::Mode::kNotStarted);
  Feed(Start{At(0)});
  EXPECT_EQ(c_->mode(), Controller::Mode::kBuilding);
  Feed(BuildSucceeded{At(1), "web", "web:1"});
  EXPECT_EQ(c_->mode(), Controller::Mode::kDeploying);
  Feed(DeploySucceeded{At(2), 1, {"container/web"}});
  EXPECT_EQ(c_->mode(), Controller::Mode::kStatusChecking);
  Feed(Ready(3, 1));
  Feed(Ready(4, 1));
  EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
  Feed(Change("static/a.css", 5));
  EXPECT_EQ(c_->mode(), Controller::Mode::kSyncing);
  Feed(Shutdown{At(6)});
  EXPECT_EQ(c_->mode(), Controller::Mode::kStopped);
}

TEST(ControllerMakeTest, BadPipelinesAreErrors) {
  EXPECT_EQ(Controller::Make(Options({ArtifactSpec{"a", {"b"}}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Controller> cycle =
      Controller::Make(Options({ArtifactSpec{"a", {"b"}}, ArtifactSpec{"b", {"a"}}}));
  EXPECT_THAT(std::string(cycle.status().message()), HasSubstr("cycle"));
  absl::StatusOr<Controller> glob =
      Controller::Make(Options({ArtifactSpec{"a", {}, {{"src/[x", "/app", ""}}}}));
  EXPECT_EQ(glob.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(glob.status().message()), HasSubstr("artifact a"));
}

}  // namespace
}  // namespace devloop::domain
