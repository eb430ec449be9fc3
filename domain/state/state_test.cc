#include "domain/state/state.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

LogEntry At(Event e) { return LogEntry{absl::UnixEpoch(), std::move(e), ""}; }

TEST(StateTest, PipelineStartedSetsEveryPhaseNotStarted) {
  State s = Replay({PipelineStarted{.artifacts = {"app", "web"}, .auto_sync = false}});
  EXPECT_THAT(s.build_state.artifacts,
              ElementsAre(Pair("app", "Not Started"), Pair("web", "Not Started")));
  EXPECT_TRUE(s.build_state.auto_trigger);
  EXPECT_FALSE(s.file_sync_state.auto_trigger);
  EXPECT_EQ(s.deploy_state.status, "Not Started");
  EXPECT_EQ(s.status_check_state.status, "Not Started");
  EXPECT_EQ(s.file_sync_state.status, "Not Started");
}

TEST(StateTest, BuildSuccessOnlyWhenEveryArtifactIsComplete) {
  State s;
  Apply(PipelineStarted{.artifacts = {"app", "web"}}, &s);
  Apply(At(BuildEvent{.artifact = "app", .status = "Complete"}), &s);
  EXPECT_EQ(s.build_state.status_code, StatusCode::kOk);
  Apply(At(BuildEvent{.artifact = "web", .status = "Complete"}), &s);
  EXPECT_EQ(s.build_state.status_code, StatusCode::kBuildSuccess);
  Apply(At(BuildEvent{.artifact = "web", .status = "Failed",
                      .err_code = StatusCode::kBuildUserError}),
        &s);
  EXPECT_EQ(s.build_state.status_code, StatusCode::kBuildUserError);
  EXPECT_EQ(s.build_state.artifacts["web"], "Failed");
}

TEST(StateTest, PortsAreKeyedByLocalPortAndReplacedOnRedeploy) {
  State s;
  Apply(At(PortEvent{.local_port = 9000, .remote_port = 8080, .resource_name = "a"}), &s);
  Apply(At(PortEvent{.local_port = 9000, .remote_port = 8080, .resource_name = "b"}), &s);
  ASSERT_EQ(s.forwarded_ports.size(), 1u);
  EXPECT_EQ(s.forwarded_ports[9000].resource_name, "b");
}

TEST(StateTest, ControlRecordsChangeTriggersAndReset) {
  State s;
  Apply(PipelineStarted{.artifacts = {"app"}}, &s);
  Apply(At(BuildEvent{.artifact = "app", .status = "Complete"}), &s);
  Apply(At(DeployEvent{.status = "Complete"}), &s);
  Apply(TriggerChanged{Phase::kDeploy, false}, &s);
  EXPECT_FALSE(s.deploy_state.auto_trigger);
  Apply(PhasesReset{.build = true, .deploy = true}, &s);
  EXPECT_EQ(s.build_state.artifacts["app"], "Not Started");
  EXPECT_EQ(s.deploy_state.status, "Not Started");
  EXPECT_EQ(s.deploy_state.status_code, StatusCode::kOk);
}

TEST(StateTest, StatusCheckTracksResourcesAndResetsOnANewCheck) {
  State s;
  Apply(At(StatusCheckEvent{.status = "In Progress"}), &s);
  Apply(At(ResourceStatusCheckEvent{.resource = "container/web", .status = "Pending"}), &s);
  Apply(At(ResourceStatusCheckEvent{.resource = "container/web", .status = "Succeeded"}), &s);
  Apply(At(StatusCheckEvent{.status = "Succeeded"}), &s);
  EXPECT_THAT(s.status_check_state.resources, ElementsAre(Pair("container/web", "Succeeded")));
  EXPECT_EQ(s.status_check_state.status_code, StatusCode::kStatusCheckSuccess);
  Apply(At(StatusCheckEvent{.status = "In Progress"}), &s);
  EXPECT_TRUE(s.status_check_state.resources.empty());
}

TEST(StateTest, DeployResetClearsWhatTheRedeployReplaces) {
  State s;
  Apply(PipelineStarted{.artifacts = {"app"}}, &s);
  Apply(At(StatusCheckEvent{.status = "In Progress"}), &s);
  Apply(At(ResourceStatusCheckEvent{.resource = "container/app", .status = "Succeeded"}), &s);
  Apply(At(StatusCheckEvent{.status = "Succeeded"}), &s);
  Apply(At(PortEvent{.local_port = 9000, .remote_port = 8080}), &s);
  Apply(At(DebuggingContainerEvent{.status = "Started", .container_name = "c"}), &s);
  Apply(PhasesReset{.build = true}, &s);
  EXPECT_EQ(s.status_check_state.status, "Succeeded");  // a build reset leaves deploy alone
  EXPECT_EQ(s.forwarded_ports.size(), 1u);
  Apply(PhasesReset{.deploy = true}, &s);
  EXPECT_EQ(s.status_check_state.status, "Not Started");
  EXPECT_TRUE(s.status_check_state.resources.empty());
  EXPECT_EQ(s.status_check_state.status_code, StatusCode::kOk);
  EXPECT_TRUE(s.forwarded_ports.empty());
  EXPECT_TRUE(s.debugging_containers.empty());
}

TEST(StateTest, SyncResetOnlyTouchesSync) {
  State s;
  Apply(PipelineStarted{.artifacts = {"app"}}, &s);
  Apply(At(FileSyncEvent{.file_count = 1, .image = "app:t", .status = "Succeeded"}), &s);
  Apply(At(DeployEvent{.status = "Complete"}), &s);
  Apply(PhasesReset{.sync = true}, &s);
  EXPECT_EQ(s.file_sync_state.status, "Not Started");
  EXPECT_EQ(s.deploy_state.status, "Complete");
}

}  // namespace
}  // namespace devloop::domain
