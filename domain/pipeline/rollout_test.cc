#include "domain/pipeline/rollout.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Stage = Rollout::Stage;

const absl::Time kT0 = absl::FromUnixSeconds(1800000000);
absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

ResourceObservation Ready() { return {.resource = "container/web", .ready_replicas = 1}; }

std::vector<std::string> Entries(const Rollout::Step& step) {
  std::vector<std::string> out;
  for (const CheckEvent& e : step.events) out.push_back(e.entry);
  return out;
}

TEST(RolloutTest, StagesTable) {
  using Op = std::function<Rollout::Step(Rollout&)>;
  const Op start = [](Rollout& r) {
    EXPECT_TRUE(r.Start({{"web", "web:1"}}, false).ok());
    return Rollout::Step{};
  };
  const Op succeeded = [](Rollout& r) { return r.Succeeded(1, {"container/web"}, At(0)); };
  const Op failed = [](Rollout& r) { return r.Failed(1, StatusCode::kOk, "port in use"); };
  auto observe = [](double at, ResourceObservation obs) -> Op {
    return [at, obs](Rollout& r) { return *r.Observe(1, obs, At(at)); };
  };
  auto tick = [](double at) -> Op { return [at](Rollout& r) { return r.Tick(At(at)); }; };
  const Op cancel = [](Rollout& r) { return r.Cancel("devloop is shutting down"); };
  struct Case {
    const char* name;
    bool status_check;
    std::vector<Op> ops;
    Stage want_stage;
    bool want_ended;
    std::optional<StatusCode> want_error;
    int64_t want_live;
  };
  const std::vector<Case> cases = {
      {"idle at first", true, {}, Stage::kIdle, false, std::nullopt, 0},
      {"deploying", true, {start}, Stage::kDeploying, false, std::nullopt, 0},
      {"a deployment that is up is checked",
       true,
       {start, succeeded},
       Stage::kChecking,
       false,
       std::nullopt,
       1},
      {"without checks a deployment that is up ends it",
       false,
       {start, succeeded},
       Stage::kIdle,
       true,
       std::nullopt,
       1},
      {"a failed deploy ends it as DEPLOY_UNKNOWN",
       true,
       {start, failed},
       Stage::kIdle,
       true,
       StatusCode::kDeployUnknown,
       0},
      {"a stable resource ends the check",
       true,
       {start, succeeded, observe(1, Ready()), observe(2, Ready())},
       Stage::kIdle,
       true,
       std::nullopt,
       1},
      {"a resource that exits within its window fails it",
       true,
       {start, succeeded, observe(1, Ready()),
        observe(1.5, {.resource = "container/web", .terminated = true, .exit_code = 3})},
       Stage::kIdle,
       true,
       StatusCode::kStatusCheckContainerTerminated,
       1},
      {"the deadline fails it",
       true,
       {start, succeeded, tick(600)},
       Stage::kIdle,
       true,
       StatusCode::kStatusCheckDeadlineExceeded,
       1},
      {"a tick before the deadline does nothing",
       true,
       {start, succeeded, tick(599)},
       Stage::kChecking,
       false,
       std::nullopt,
       1},
      {"cancel while deploying",
       true,
       {start, cancel},
       Stage::kIdle,
       true,
       StatusCode::kDeployCancelled,
       0},
      {"cancel while checking",
       true,
       {start, succeeded, cancel},
       Stage::kIdle,
       true,
       StatusCode::kStatusCheckUserCancelled,
       1},
      {"cancel while idle does nothing", true, {cancel}, Stage::kIdle, false, std::nullopt, 0},
  };
  for (const Case& c : cases) {
    Rollout r(c.status_check, StatusCheckOptions{});
    Rollout::Step last;
    for (const Op& op : c.ops) last = op(r);
    EXPECT_EQ(r.stage(), c.want_stage) << c.name;
    EXPECT_EQ(last.ended, c.want_ended) << c.name;
    EXPECT_EQ(last.error.has_value() ? std::optional(last.error->code) : std::nullopt, c.want_error)
        << c.name;
    EXPECT_EQ(r.deploy().live_id(), c.want_live) << c.name;
  }
}

TEST(RolloutTest, ResultsThatDoNotFitAreRefusedAndChangeNothing) {
  Rollout r(true, StatusCheckOptions{});
  EXPECT_EQ(r.CheckResult(1).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r.Start({{"web", "web:1"}}, false).ok());
  EXPECT_EQ(r.Start({{"web", "web:1"}}, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status other = r.CheckResult(7);
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(other.message(), "deploy result for deployment 7 but deployment 1 runs");
  const Rollout before = r;
  EXPECT_EQ(r.Succeeded(7, {}, kT0), Rollout::Step{});
  EXPECT_EQ(r.Failed(7, StatusCode::kDeployUnknown, "x"), Rollout::Step{});
  EXPECT_EQ(r, before);
  r.Succeeded(1, {"container/web"}, kT0);
  // No second deploy while the check runs.
  EXPECT_EQ(r.Start({{"web", "web:2"}}, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const Rollout checking = r;
  EXPECT_EQ(r.Observe(1, {.resource = "container/nope"}, kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r, checking);
}

TEST(RolloutTest, LateObservationsAreIgnored) {
  Rollout r(true, StatusCheckOptions{.stability_window = absl::ZeroDuration()});
  ASSERT_TRUE(r.Start({{"web", "web:1"}}, false).ok());
  Rollout::Step opened = r.Succeeded(1, {"container/web"}, kT0);
  EXPECT_THAT(Entries(opened),
              ElementsAre("Status check started",
                          "Resource container/web status updated to Pending: waiting for status"));
  EXPECT_EQ(r.check_deadline(), kT0 + absl::Minutes(10));
  // For another deployment: ignored, even for a resource this check lacks.
  EXPECT_THAT(r.Observe(2, {.resource = "container/nope"}, kT0)->events, IsEmpty());
  Rollout::Step done = *r.Observe(1, Ready(), At(1));
  EXPECT_TRUE(done.ended);
  EXPECT_THAT(Entries(done),
              ElementsAre("Resource container/web status updated to Succeeded: ready",
                          "Status check succeeded"));
  // After its end.
  EXPECT_EQ(*r.Observe(1, {.resource = "container/web", .terminated = true}, At(2)),
            Rollout::Step{});
  EXPECT_EQ(r.Tick(At(1000)), Rollout::Step{});
}

TEST(RolloutTest, ACheckOfNoResourcesEndsAtOnce) {
  Rollout r(true, StatusCheckOptions{});
  ASSERT_TRUE(r.Start({{"web", "web:1"}}, false).ok());
  Rollout::Step step = r.Succeeded(1, {}, kT0);
  EXPECT_TRUE(step.ended);
  EXPECT_EQ(step.error, std::nullopt);
  EXPECT_EQ(r.stage(), Stage::kIdle);
}

}  // namespace
}  // namespace devloop::domain
