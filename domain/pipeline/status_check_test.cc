#include "domain/pipeline/status_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);

TEST(ClassifyTest, Table) {
  struct Case {
    ResourceObservation obs;
    ResourceStatus status;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {{.ready_replicas = 1}, ResourceStatus::kSucceeded, StatusCode::kStatusCheckSuccess},
      {{.ready_replicas = 0}, ResourceStatus::kPending, StatusCode::kStatusCheckDeploymentRolloutPending},
      {{.ready_replicas = 2, .desired_replicas = 3}, ResourceStatus::kPending, StatusCode::kStatusCheckDeploymentRolloutPending},
      {{.waiting_reason = "ContainerCreating"}, ResourceStatus::kPending, StatusCode::kStatusCheckContainerCreating},
      {{.waiting_reason = "PodInitializing"}, ResourceStatus::kPending, StatusCode::kStatusCheckPodInitializing},
      {{.waiting_reason = "Whatever"}, ResourceStatus::kPending, StatusCode::kStatusCheckContainerWaitingUnknown},
      {{.waiting_reason = "ImagePullBackOff"}, ResourceStatus::kFailed, StatusCode::kStatusCheckImagePullErr},
      {{.waiting_reason = "ErrImagePull"}, ResourceStatus::kFailed, StatusCode::kStatusCheckImagePullErr},
      {{.waiting_reason = "CrashLoopBackOff"}, ResourceStatus::kFailed, StatusCode::kStatusCheckContainerRestarting},
      {{.waiting_reason = "RunContainerError"}, ResourceStatus::kFailed, StatusCode::kStatusCheckRunContainerErr},
      {{.terminated = true, .exit_code = 2}, ResourceStatus::kFailed, StatusCode::kStatusCheckContainerTerminated},
      {{.ready_replicas = 1, .restart_count = 3}, ResourceStatus::kFailed, StatusCode::kStatusCheckContainerRestarting},
      {{.ready_replicas = 1, .restart_count = 2}, ResourceStatus::kSucceeded, StatusCode::kStatusCheckSuccess},
      {{.ready_replicas = 1, .health = Health::kUnhealthy}, ResourceStatus::kFailed, StatusCode::kStatusCheckUnhealthy},
      {{.ready_replicas = 1, .health = Health::kStarting}, ResourceStatus::kPending, StatusCode::kStatusCheckDeploymentRolloutPending},
      {{.ready_replicas = 1, .health = Health::kHealthy}, ResourceStatus::kSucceeded, StatusCode::kStatusCheckSuccess},
  };
  for (const Case& c : cases) {
    Classification got = Classify(c.obs, StatusCheckOptions{});
    EXPECT_EQ(got.status, c.status) << got;
    EXPECT_EQ(got.code, c.code) << got;
    EXPECT_FALSE(got.message.empty());
  }
}

std::vector<std::string> Statuses(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (const auto* r = std::get_if<ResourceStatusCheckEvent>(&e)) out.push_back(r->resource + ":" + r->status);
    if (const auto* s = std::get_if<StatusCheckEvent>(&e)) out.push_back("check:" + s->status);
  }
  return out;
}

TEST(StatusCheckTest, EventsOnlyOnChangeAndOneFinalPerResource) {
  StatusCheck check({"a", "b"}, kT0, {});
  EXPECT_THAT(Statuses(check.Start()), ElementsAre("check:In Progress", "a:Pending", "b:Pending"));
  auto creating = check.Observe({.resource = "a", .waiting_reason = "ContainerCreating"}, kT0);
  EXPECT_THAT(Statuses(*creating), ElementsAre("a:Pending"));  // message changed
  EXPECT_THAT(*check.Observe({.resource = "a", .waiting_reason = "ContainerCreating"}, kT0), IsEmpty());
  EXPECT_THAT(Statuses(*check.Observe({.resource = "a", .ready_replicas = 1}, kT0)), ElementsAre("a:Succeeded"));
  // Final: later observations of "a" say nothing.
  EXPECT_THAT(*check.Observe({.resource = "a", .terminated = true}, kT0), IsEmpty());
  EXPECT_FALSE(check.done());
  EXPECT_THAT(Statuses(*check.Observe({.resource = "b", .ready_replicas = 1}, kT0)),
              ElementsAre("b:Succeeded", "check:Succeeded"));
  EXPECT_TRUE(check.succeeded());
  EXPECT_THAT(*check.Observe({.resource = "b"}, kT0), IsEmpty());
}

TEST(StatusCheckTest, OneFailureFailsTheCheckAndEndsTheOthers) {
  StatusCheck check({"a", "b", "c"}, kT0, {});
  check.Start();
  check.Observe({.resource = "c", .ready_replicas = 1}, kT0).IgnoreError();
  auto out = check.Observe({.resource = "a", .waiting_reason = "ImagePullBackOff"}, kT0);
  EXPECT_THAT(Statuses(*out), ElementsAre("a:Failed", "b:Failed", "check:Failed"));
  const auto& b = std::get<ResourceStatusCheckEvent>((*out)[1]);
  EXPECT_EQ(b.status_code, StatusCode::kStatusCheckUserCancelled);
  const auto& overall = std::get<StatusCheckEvent>((*out)[2]);
  EXPECT_EQ(overall.err_code, StatusCode::kStatusCheckImagePullErr);
  EXPECT_TRUE(check.done());
  EXPECT_FALSE(check.succeeded());
  EXPECT_THAT(check.Tick(kT0 + absl::Hours(1)), IsEmpty());
}

TEST(StatusCheckTest, DeadlineDefaultsToTenMinutes) {
  StatusCheck check({"a"}, kT0, {});
  check.Start();
  EXPECT_EQ(check.deadline(), kT0 + absl::Minutes(10));
  EXPECT_THAT(check.Tick(kT0 + absl::Minutes(10) - absl::Nanoseconds(1)), IsEmpty());
  std::vector<Event> out = check.Tick(kT0 + absl::Minutes(10));
  EXPECT_THAT(Statuses(out), ElementsAre("a:Failed", "check:Failed"));
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[0]).status_code,
            StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(std::get<StatusCheckEvent>(out[1]).err_code, StatusCode::kStatusCheckDeadlineExceeded);
}

TEST(StatusCheckTest, ObservationPastTheDeadlineFailsIt) {
  StatusCheck check({"a"}, kT0, {.deadline = absl::Seconds(5)});
  check.Start();
  auto out = check.Observe({.resource = "a", .ready_replicas = 1}, kT0 + absl::Seconds(5));
  EXPECT_THAT(Statuses(*out), ElementsAre("a:Failed", "check:Failed"));
}

TEST(StatusCheckTest, NoResourcesSucceedsAtOnceAndUnknownResourceIsAnError) {
  StatusCheck empty({}, kT0, {});
  EXPECT_THAT(Statuses(empty.Start()), ElementsAre("check:In Progress", "check:Succeeded"));
  StatusCheck check({"a"}, kT0, {});
  check.Start();
  EXPECT_EQ(check.Observe({.resource = "zz"}, kT0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatusCheckTest, CancelEndsEveryPendingResource) {
  StatusCheck check({"a", "b"}, kT0, {});
  check.Start();
  check.Observe({.resource = "a", .ready_replicas = 1}, kT0).IgnoreError();
  std::vector<Event> out = check.Cancel("shutting down");
  EXPECT_THAT(Statuses(out), ElementsAre("b:Failed", "check:Failed"));
  EXPECT_EQ(std::get<StatusCheckEvent>(out[1]).err_code, StatusCode::kStatusCheckUserCancelled);
  EXPECT_THAT(check.Cancel("again"), IsEmpty());
}

}  // namespace
}  // namespace devloop::domain
