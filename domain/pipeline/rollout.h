// The deploy and status-check sequence of an iteration. A deployment starts
// beside the live one; once it is up (it becomes the live one) its resources
// are status-checked, if checks are on, until all are stable, one fails, or the
// deadline passes. A failed deploy leaves the last good deployment live.
//
//   Idle --Start--> Deploying --Succeeded--> Checking --(check ends)--> Idle
//                      |              \--(checks off)--> Idle
//                      \--Failed--> Idle
//
//   Rollout rollout(/*status_check=*/true, StatusCheckOptions{});
//   DEVLOOP_ASSIGN_OR_RETURN(int64_t id, rollout.Start({{"web", "web:1"}}, false));
//   DEVLOOP_RETURN_IF_ERROR(rollout.CheckResult(id));
//   Rollout::Step step = rollout.Succeeded(id, {"container/web"}, now);
//   DEVLOOP_ASSIGN_OR_RETURN(step, rollout.Observe(id, observation, later));
//   if (step.ended) ... step.error ...
//
// Thread-compatible; deterministic (time comes in as values).
#ifndef DEVLOOP_DOMAIN_PIPELINE_ROLLOUT_H_
#define DEVLOOP_DOMAIN_PIPELINE_ROLLOUT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/pipeline/deploy_machine.h"
#include "domain/pipeline/status_check.h"

namespace devloop::domain {

class Rollout {
 public:
  enum class Stage { kIdle, kDeploying, kChecking };

  // What a step of the sequence leads to.
  struct Step {
    std::vector<CheckEvent> events;      // the status check's, in order
    bool ended = false;                  // the sequence is over: back to idle
    std::optional<ActionableErr> error;  // when it ended failed: why
    bool operator==(const Step&) const = default;
  };

  Rollout() = default;
  Rollout(bool status_check, StatusCheckOptions options)
      : status_check_(status_check), options_(options) {}

  // Returns whether deploying `newest` would change what runs (DeployMachine::Due).
  bool Due(const ImageTags& newest) const { return deploy_.Due(newest); }

  // Idle -> Deploying: returns the new deployment's id. FailedPrecondition
  // (nothing changes) unless idle, while a build runs, or if an image has no
  // built tag.
  absl::StatusOr<int64_t> Start(const ImageTags& images, bool build_running);

  // OK if a deploy result for deployment `id` fits: FailedPrecondition unless
  // it is the one deploying.
  absl::Status CheckResult(int64_t id) const;

  // Deploying -> Checking `resources` from `now` (a resource named twice is
  // checked once), or -> Idle with checks off. Ignored unless CheckResult(id).
  Step Succeeded(int64_t id, const std::vector<std::string>& resources, absl::Time now);

  // Deploying -> Idle, failed with `code` (DEPLOY_UNKNOWN for none) and
  // `message`. Ignored unless CheckResult(id).
  Step Failed(int64_t id, StatusCode code, const std::string& message);

  // Folds an observation of deployment `id`'s check. Observations race with
  // the end of their check: one for another deployment or an ended check is
  // ignored. InvalidArgument (nothing changes) for a resource not checked.
  absl::StatusOr<Step> Observe(int64_t id, const ResourceObservation& obs, absl::Time now);

  // Reaching `now`: the check's deadline, if due.
  Step Tick(absl::Time now);

  // Ends whatever runs (shutdown, `why`): a deploy in flight fails as
  // cancelled, a check is cancelled.
  Step Cancel(absl::string_view why);

  // Back to Not Started (an Execute intent) and a deploy intent's retry of a
  // failed attempt (DeployMachine::Reset, ForgetFailure).
  void ResetStatus() { deploy_.Reset(); }
  void ForgetFailure() { deploy_.ForgetFailure(); }

  Stage stage() const;
  const DeployMachine& deploy() const { return deploy_; }
  // The running or last check's deadline (the epoch before the first).
  absl::Time check_deadline() const;

  bool operator==(const Rollout&) const = default;

 private:
  Step CheckStep(std::vector<CheckEvent> events);

  bool status_check_ = true;
  StatusCheckOptions options_;
  DeployMachine deploy_;
  std::optional<StatusCheck> check_;
  int64_t check_id_ = 0;  // the deployment check_ checks
};

std::ostream& operator<<(std::ostream& os, Rollout::Stage s);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_ROLLOUT_H_
