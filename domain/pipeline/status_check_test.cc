#include "domain/pipeline/status_check.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
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

// Reasons the kubectl adapter reports that are not container states: the
// exact classification, with the cluster's own words in the message.
TEST(ClassifyTest, KubernetesReasonsBeyondContainerStates) {
  struct Case {
    ResourceObservation obs;
    Classification want;
  };
  const std::vector<Case> cases = {
      {{.waiting_reason = "Unschedulable",
        .waiting_message = "0/1 nodes are available: 1 Insufficient cpu."},
       {ResourceStatus::kPending,
        "pod cannot be scheduled (Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.)",
        StatusCode::kStatusCheckUnknownUnschedulable}},
      {{.waiting_reason = "Unhealthy",
        .waiting_message = "Readiness probe failed: HTTP probe failed with statuscode: 503"},
       {ResourceStatus::kPending,
        "readiness probe failing (Unhealthy: Readiness probe failed: HTTP probe failed with "
        "statuscode: 503)",
        StatusCode::kStatusCheckUnhealthy}},
      {{.waiting_reason = "ProgressDeadlineExceeded",
        .waiting_message = "ReplicaSet \"web-7c5d8f9b4d\" has timed out progressing."},
       {ResourceStatus::kFailed,
        "rollout exceeded its progress deadline (ProgressDeadlineExceeded: ReplicaSet "
        "\"web-7c5d8f9b4d\" has timed out progressing.)",
        StatusCode::kStatusCheckDeadlineExceeded}},
      // Without the cluster's message the reason alone is the detail.
      {{.waiting_reason = "Unschedulable"},
       {ResourceStatus::kPending, "pod cannot be scheduled (Unschedulable)",
        StatusCode::kStatusCheckUnknownUnschedulable}},
      // A pod that keeps restarting fails even while its probe is what shows.
      {{.waiting_reason = "Unhealthy",
        .waiting_message = "Liveness probe failed",
        .restart_count = 3},
       {ResourceStatus::kFailed, "container restarted 3 times",
        StatusCode::kStatusCheckContainerRestarting}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Classify(c.obs, StatusCheckOptions{}), c.want) << c.obs.waiting_reason;
  }
}

TEST(ResourceObservationTest, PrintsTheFieldsThatAreSet) {
  std::ostringstream os;
  os << ResourceObservation{.resource = "deployment/web",
                            .ready_replicas = 1,
                            .desired_replicas = 2,
                            .waiting_reason = "CrashLoopBackOff",
                            .waiting_message = "back-off 40s",
                            .exit_code = 1,
                            .restart_count = 3,
                            .min_ready = absl::Seconds(10)};
  os << " " << ResourceObservation{.resource = "pod/x", .terminated = true,
                                   .terminated_reason = "NotFound", .health = Health::kStarting};
  EXPECT_EQ(os.str(),
            "{deployment/web 1/2 ready waiting CrashLoopBackOff \"back-off 40s\" exit 1 restarts 3 "
            "min_ready 10s} {pod/x 0/1 ready terminated NotFound health starting}");
}

std::vector<std::string> Statuses(const std::vector<CheckEvent>& events) {
  std::vector<std::string> out;
  for (const CheckEvent& e : events) {
    if (const auto* r = std::get_if<ResourceStatusCheckEvent>(&e.event))
      out.push_back(r->resource + ":" + r->status);
    if (const auto* s = std::get_if<StatusCheckEvent>(&e.event))
      out.push_back("check:" + s->status);
  }
  return out;
}

absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

ResourceObservation Ready(std::string resource) {
  return {.resource = std::move(resource), .ready_replicas = 1};
}

TEST(StatusCheckTest, EventsOnlyOnChangeAndOneFinalPerResource) {
  StatusCheck check({"a", "b"}, kT0, {});
  EXPECT_THAT(Statuses(check.Start()), ElementsAre("check:In Progress", "a:Pending", "b:Pending"));
  auto creating = check.Observe({.resource = "a", .waiting_reason = "ContainerCreating"}, kT0);
  EXPECT_THAT(*creating, IsEmpty());  // still Pending: a new reason is no new event
  EXPECT_THAT(*check.Observe({.resource = "a", .waiting_reason = "ContainerCreating"}, kT0), IsEmpty());
  // Ready starts the stability window (still Pending); still ready after it: Succeeded.
  EXPECT_THAT(*check.Observe(Ready("a"), kT0), IsEmpty());
  EXPECT_THAT(*check.Observe(Ready("a"), At(0.5)), IsEmpty());
  EXPECT_THAT(Statuses(*check.Observe(Ready("a"), At(1))), ElementsAre("a:Succeeded"));
  // Final: later observations of "a" say nothing.
  EXPECT_THAT(*check.Observe({.resource = "a", .terminated = true}, At(1)), IsEmpty());
  EXPECT_FALSE(check.done());
  check.Observe(Ready("b"), At(1)).IgnoreError();
  EXPECT_THAT(Statuses(*check.Observe(Ready("b"), At(2))),
              ElementsAre("b:Succeeded", "check:Succeeded"));
  EXPECT_TRUE(check.succeeded());
  EXPECT_EQ(check.failure(), std::nullopt);
  EXPECT_THAT(*check.Observe({.resource = "b"}, At(2)), IsEmpty());
}

TEST(StatusCheckTest, OneFailureFailsTheCheckAndEndsTheOthers) {
  StatusCheck check({"a", "b", "c"}, kT0, {});
  check.Start();
  check.Observe(Ready("c"), kT0).IgnoreError();
  check.Observe(Ready("c"), At(1)).IgnoreError();
  auto out = check.Observe({.resource = "a", .waiting_reason = "ImagePullBackOff"}, At(1));
  EXPECT_THAT(Statuses(*out), ElementsAre("a:Failed", "b:Failed", "check:Failed"));
  const auto& b = std::get<ResourceStatusCheckEvent>((*out)[1].event);
  EXPECT_EQ(b.status_code, StatusCode::kStatusCheckUserCancelled);
  const auto& overall = std::get<StatusCheckEvent>((*out)[2].event);
  EXPECT_EQ(overall.err_code, StatusCode::kStatusCheckImagePullErr);
  EXPECT_EQ((*out)[2].entry, "Status check failed");
  EXPECT_TRUE(check.done());
  EXPECT_FALSE(check.succeeded());
  ASSERT_TRUE(check.failure().has_value());
  EXPECT_EQ(check.failure()->code, StatusCode::kStatusCheckImagePullErr);
  EXPECT_EQ(check.status("c"), ResourceStatus::kSucceeded);
  EXPECT_THAT(check.Tick(kT0 + absl::Hours(1)), IsEmpty());
}

TEST(StatusCheckTest, DeadlineDefaultsToTenMinutes) {
  StatusCheck check({"a"}, kT0, {});
  check.Start();
  EXPECT_EQ(check.deadline(), kT0 + absl::Minutes(10));
  EXPECT_THAT(check.Tick(kT0 + absl::Minutes(10) - absl::Nanoseconds(1)), IsEmpty());
  std::vector<CheckEvent> out = check.Tick(kT0 + absl::Minutes(10));
  EXPECT_THAT(Statuses(out), ElementsAre("a:Failed", "check:Failed"));
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[0].event).status_code,
            StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(std::get<StatusCheckEvent>(out[1].event).err_code,
            StatusCode::kStatusCheckDeadlineExceeded);
}

TEST(StatusCheckTest, TheDeadlineSaysWhatTheResourceWasWaitingOn) {
  StatusCheck check({"deployment/app", "deployment/web"}, kT0, {.deadline = absl::Seconds(8)});
  check.Start();
  check
      .Observe({.resource = "deployment/app",
                .waiting_reason = "Unschedulable",
                .waiting_message = "0/1 nodes are available: 1 Insufficient cpu."},
               At(1))
      .IgnoreError();
  std::vector<CheckEvent> out = check.Tick(kT0 + absl::Seconds(8));
  ASSERT_THAT(Statuses(out), ElementsAre("deployment/app:Failed", "deployment/web:Failed",
                                         "check:Failed"));
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[0].event).message,
            "status check stopped: deadline of 8s exceeded; it was pod cannot be scheduled "
            "(Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.)");
  // One never observed says so.
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[1].event).message,
            "status check stopped: deadline of 8s exceeded; it was waiting for status");
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
  check.Observe(Ready("a"), kT0).IgnoreError();
  check.Observe(Ready("a"), At(1)).IgnoreError();
  std::vector<CheckEvent> out = check.Cancel("shutting down");
  EXPECT_THAT(Statuses(out), ElementsAre("b:Failed", "check:Failed"));
  EXPECT_EQ(std::get<StatusCheckEvent>(out[1].event).err_code,
            StatusCode::kStatusCheckUserCancelled);
  EXPECT_THAT(check.Cancel("again"), IsEmpty());
}

// The stability window, as a table: observations of one resource "web" at
// seconds after the start, and how the check stands after the last one.
TEST(StatusCheckTest, StabilityWindowTable) {
  struct Step {
    double at;
    ResourceObservation obs;
  };
  struct Case {
    const char* name;
    StatusCheckOptions options;
    std::vector<Step> steps;
    ResourceStatus want;
    StatusCode want_code;                   // of the last event
    std::vector<std::string> want_message;  // substrings of its message
  };
  auto ready = [](int32_t restarts = 0) {
    return ResourceObservation{.resource = "web", .ready_replicas = 1, .restart_count = restarts};
  };
  ResourceObservation exit3{.resource = "web",
                            .terminated = true,
                            .terminated_reason = "Error",
                            .exit_code = 3,
                            .last_log_lines = {"listening on :8080", "panic: no database"}};
  ResourceObservation restarted = ready(1);
  restarted.exit_code = 137;
  restarted.last_log_lines = {"out of memory"};
  ResourceObservation min_ready_5s = ready();
  min_ready_5s.min_ready = absl::Seconds(5);
  ResourceObservation min_ready_2s = ready();
  min_ready_2s.min_ready = absl::Seconds(2);
  const std::vector<Case> cases = {
      {"the first ready observation only starts the window",
       {},
       {{0, ready()}},
       ResourceStatus::kPending,
       StatusCode::kStatusCheckDeploymentRolloutPending,
       {"ready; waiting 1s"}},
      {"ready for the whole window succeeds",
       {},
       {{0, ready()}, {0.5, ready()}, {1, ready()}},
       ResourceStatus::kSucceeded,
       StatusCode::kStatusCheckSuccess,
       {"ready"}},
      {"ready just short of the window is not yet up",
       {},
       {{0, ready()}, {0.999, ready()}},
       ResourceStatus::kPending,
       StatusCode::kStatusCheckDeploymentRolloutPending,
       {"ready; waiting 1s"}},
      {"ready then exit(3) within the window fails with the exit code and the log lines",
       {},
       {{0, ready()}, {0.5, exit3}},
       ResourceStatus::kFailed,
       StatusCode::kStatusCheckContainerTerminated,
       {"exit code 3", "500ms after it became ready", "listening on :8080\n  panic: no database"}},
      {"a restart within the window fails as restarting, with the exit code and the log lines",
       {},
       {{0, ready()}, {0.5, restarted}},
       ResourceStatus::kFailed,
       StatusCode::kStatusCheckContainerRestarting,
       {"restarted", "exit code 137", "out of memory"}},
      {"a restart before it was ever ready is not a stability failure",
       {},
       {{0, ready(1)}, {1, ready(1)}},
       ResourceStatus::kSucceeded,
       StatusCode::kStatusCheckSuccess,
       {"ready"}},
      {"not ready in between starts the window again",
       {},
       {{0, ready()}, {0.5, {.resource = "web"}}, {1, ready()}, {1.5, ready()}},
       ResourceStatus::kPending,
       StatusCode::kStatusCheckDeploymentRolloutPending,
       {"ready; waiting 1s"}},
      {"minReadySeconds longer than the window replaces it",
       {},
       {{0, min_ready_5s}, {1, min_ready_5s}, {4.5, min_ready_5s}},
       ResourceStatus::kPending,
       StatusCode::kStatusCheckDeploymentRolloutPending,
       {"waiting 5s"}},
      {"minReadySeconds ends the window when it passes",
       {},
       {{0, min_ready_5s}, {5, min_ready_5s}},
       ResourceStatus::kSucceeded,
       StatusCode::kStatusCheckSuccess,
       {"ready"}},
      {"minReadySeconds shorter than the window replaces it too",
       {.stability_window = absl::Seconds(10)},
       {{0, min_ready_2s}, {2, min_ready_2s}},
       ResourceStatus::kSucceeded,
       StatusCode::kStatusCheckSuccess,
       {"ready"}},
      {"a zero window succeeds on the first ready observation",
       {.stability_window = absl::ZeroDuration()},
       {{0, ready()}},
       ResourceStatus::kSucceeded,
       StatusCode::kStatusCheckSuccess,
       {"ready"}},
      {"an exit before ready fails with the exit code and the log lines",
       {},
       {{0, exit3}},
       ResourceStatus::kFailed,
       StatusCode::kStatusCheckContainerTerminated,
       {"exit code 3 (Error); last log lines:\n  listening on :8080"}},
  };
  for (const Case& c : cases) {
    StatusCheck check({"web"}, kT0, c.options);
    check.Start();
    std::vector<CheckEvent> last;
    for (const Step& step : c.steps) {
      absl::StatusOr<std::vector<CheckEvent>> out = check.Observe(step.obs, At(step.at));
      ASSERT_TRUE(out.ok()) << c.name << ": " << out.status();
      for (CheckEvent& e : *out) {
        if (std::holds_alternative<ResourceStatusCheckEvent>(e.event)) last = {e};
      }
    }
    EXPECT_EQ(check.status("web"), c.want) << c.name;
    for (const std::string& part : c.want_message) {
      EXPECT_THAT(check.message("web"), HasSubstr(part)) << c.name;
    }
    if (c.want == ResourceStatus::kPending) {
      // Still Pending: Start's event was the only one (one event per change).
      EXPECT_TRUE(last.empty()) << c.name;
    } else {
      ASSERT_EQ(last.size(), 1u) << c.name;
      const auto& event = std::get<ResourceStatusCheckEvent>(last[0].event);
      EXPECT_EQ(event.status_code, c.want_code) << c.name;
      for (const std::string& part : c.want_message) {
        EXPECT_THAT(event.message, HasSubstr(part)) << c.name;
      }
    }
    EXPECT_EQ(check.done(), c.want != ResourceStatus::kPending) << c.name;
  }
}

TEST(StatusCheckTest, ExitWithinTheWindowFailsTheCheckWithTheExitCodeAndLogLines) {
  StatusCheck check({"container/web", "container/db"}, kT0, {});
  check.Start();
  check.Observe(Ready("container/db"), kT0).IgnoreError();
  check.Observe(Ready("container/web"), kT0).IgnoreError();
  absl::StatusOr<std::vector<CheckEvent>> out =
      check.Observe({.resource = "container/web",
                     .terminated = true,
                     .terminated_reason = "Error",
                     .exit_code = 3,
                     .last_log_lines = {"starting", "fatal: config missing"}},
                    At(0.5));
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(Statuses(*out),
              ElementsAre("container/web:Failed", "container/db:Failed", "check:Failed"));
  EXPECT_EQ(
      (*out)[0].entry,
      "Resource container/web status updated to Failed: container terminated with exit code 3 "
      "(Error) 500ms after it became ready; last log lines:\n  starting\n  fatal: config missing");
  ASSERT_TRUE(check.failure().has_value());
  EXPECT_EQ(check.failure()->code, StatusCode::kStatusCheckContainerTerminated);
  EXPECT_THAT(check.failure()->message, HasSubstr("exit code 3"));
  EXPECT_THAT(check.failure()->message, HasSubstr("fatal: config missing"));
}

TEST(StatusCheckTest, NeverReadyUntilTheDeadlineIsDeadlineExceeded) {
  StatusCheck check({"a", "b"}, kT0, {.deadline = absl::Seconds(5)});
  check.Start();
  for (double t = 0; t < 5; t += 0.5) {
    check.Observe({.resource = "a", .waiting_reason = "ContainerCreating"}, At(t)).IgnoreError();
  }
  // b becomes ready just before the deadline: still inside its window.
  check.Observe(Ready("b"), At(4.5)).IgnoreError();
  EXPECT_FALSE(check.done());
  std::vector<CheckEvent> out = check.Tick(At(5));
  EXPECT_THAT(Statuses(out), ElementsAre("a:Failed", "b:Failed", "check:Failed"));
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[0].event).status_code,
            StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(std::get<ResourceStatusCheckEvent>(out[1].event).status_code,
            StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(check.failure()->code, StatusCode::kStatusCheckDeadlineExceeded);
}

TEST(StatusCheckTest, ProgressDeadlineExceededFailsAtOnceButUnschedulableWaits) {
  StatusCheck check({"deployment/web", "deployment/db"}, kT0, {});
  check.Start();
  auto waiting = check.Observe({.resource = "deployment/db",
                                .waiting_reason = "Unschedulable",
                                .waiting_message = "0/1 nodes are available"},
                               kT0);
  EXPECT_THAT(*waiting, IsEmpty());
  EXPECT_EQ(check.status("deployment/db"), ResourceStatus::kPending);
  EXPECT_EQ(check.message("deployment/db"),
            "pod cannot be scheduled (Unschedulable: 0/1 nodes are available)");
  auto out = check.Observe({.resource = "deployment/web",
                            .waiting_reason = "ProgressDeadlineExceeded",
                            .waiting_message = "timed out"},
                           At(1));
  EXPECT_THAT(Statuses(*out), ElementsAre("deployment/web:Failed", "deployment/db:Failed",
                                          "check:Failed"));
  ASSERT_TRUE(check.failure().has_value());
  EXPECT_EQ(check.failure()->code, StatusCode::kStatusCheckDeadlineExceeded);
  EXPECT_EQ(check.failure()->message,
            "rollout exceeded its progress deadline (ProgressDeadlineExceeded: timed out)");
}

TEST(StatusCheckTest, AResourceNamedTwiceIsCheckedOnce) {
  StatusCheck check({"a", "a"}, kT0, {.stability_window = absl::ZeroDuration()});
  EXPECT_THAT(Statuses(check.Start()), ElementsAre("check:In Progress", "a:Pending"));
  EXPECT_THAT(Statuses(*check.Observe(Ready("a"), kT0)),
              ElementsAre("a:Succeeded", "check:Succeeded"));
}

}  // namespace
}  // namespace devloop::domain
