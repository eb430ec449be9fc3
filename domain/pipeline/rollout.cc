#include "domain/pipeline/rollout.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace devloop::domain {

Rollout::Stage Rollout::stage() const {
  if (deploy_.running_id() != 0) return Stage::kDeploying;
  if (check_.has_value() && !check_->done()) return Stage::kChecking;
  return Stage::kIdle;
}

absl::Time Rollout::check_deadline() const {
  return check_.has_value() ? check_->deadline() : absl::UnixEpoch();
}

absl::StatusOr<int64_t> Rollout::Start(const ImageTags& images, bool build_running) {
  if (stage() == Stage::kChecking) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot deploy while the status check of deployment ", check_id_, " runs"));
  }
  return deploy_.Start(images, build_running);  // refuses while a deploy runs
}

absl::Status Rollout::CheckResult(int64_t id) const {
  if (deploy_.running_id() != 0 && deploy_.running_id() == id) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "deploy result for deployment ", id, " but ",
      deploy_.running_id() != 0 ? absl::StrCat("deployment ", deploy_.running_id(), " runs")
                                : std::string("no deployment runs")));
}

Rollout::Step Rollout::Succeeded(int64_t id, const std::vector<std::string>& resources,
                                 absl::Time now) {
  if (!CheckResult(id).ok() || !deploy_.Complete(id).ok()) return Step{};
  if (!status_check_) return Step{{}, true, std::nullopt};
  check_.emplace(resources, now, options_);
  check_id_ = id;
  return CheckStep(check_->Start());
}

Rollout::Step Rollout::Failed(int64_t id, StatusCode code, const std::string& message) {
  if (!CheckResult(id).ok() || !deploy_.Fail(id, code).ok()) return Step{};
  return Step{{}, true, ActionableErr{deploy_.error_code(), message, {}}};
}

absl::StatusOr<Rollout::Step> Rollout::Observe(int64_t id, const ResourceObservation& obs,
                                               absl::Time now) {
  if (stage() != Stage::kChecking || id != check_id_) return Step{};
  absl::StatusOr<std::vector<CheckEvent>> events = check_->Observe(obs, now);
  if (!events.ok()) return events.status();
  return CheckStep(*std::move(events));
}

Rollout::Step Rollout::Tick(absl::Time now) {
  if (stage() != Stage::kChecking) return Step{};
  return CheckStep(check_->Tick(now));
}

Rollout::Step Rollout::Cancel(absl::string_view why) {
  switch (stage()) {
    case Stage::kIdle:
      return Step{};
    case Stage::kDeploying:
      (void)deploy_.Fail(deploy_.running_id(), StatusCode::kDeployCancelled);
      return Step{
          {},
          true,
          ActionableErr{StatusCode::kDeployCancelled, absl::StrCat("deploy cancelled: ", why), {}}};
    case Stage::kChecking: {
      Step step{check_->Cancel(why), true, std::nullopt};
      step.error =
          ActionableErr{StatusCode::kStatusCheckUserCancelled, "status check cancelled", {}};
      return step;
    }
  }
  return Step{};
}

Rollout::Step Rollout::CheckStep(std::vector<CheckEvent> events) {
  Step step{std::move(events), check_->done(), check_->failure()};
  return step;
}

std::ostream& operator<<(std::ostream& os, Rollout::Stage s) {
  switch (s) {
    case Rollout::Stage::kIdle:
      return os << "idle";
    case Rollout::Stage::kDeploying:
      return os << "deploying";
    case Rollout::Stage::kChecking:
      return os << "checking status";
  }
  return os << "Stage(" << static_cast<int>(s) << ")";
}

}  // namespace devloop::domain
