#include "testing/transport/held_control.h"

#include <utility>

namespace devloop::testing {

void HeldControl::Execute(const control::Intent &intent, Done done) {
  Hold(Call{.kind = Call::Kind::kExecute, .intent = intent}, std::move(done));
}

void HeldControl::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  Hold(Call{.kind = Call::Kind::kSetAutoTrigger, .phase = phase, .enabled = enabled},
       std::move(done));
}

void HeldControl::Handle(const domain::Event &event, Done done) {
  Hold(Call{.kind = Call::Kind::kHandle, .event = event}, std::move(done));
}

void HeldControl::Hold(Call call, Done done) {
  absl::MutexLock lock(&mu_);
  calls_.push_back(call);
  held_.emplace_back(std::move(call), std::move(done));
}

bool HeldControl::AwaitHeld(size_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.size() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

size_t HeldControl::held() const {
  absl::MutexLock lock(&mu_);
  return held_.size();
}

std::vector<HeldControl::Call> HeldControl::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

void HeldControl::ReleaseAll(const std::function<absl::Status(const Call &)> &answer) {
  std::vector<std::pair<Call, Done>> held;
  {
    absl::MutexLock lock(&mu_);
    held.swap(held_);
  }
  for (auto &[call, done] : held) done(answer(call));
}

}  // namespace devloop::testing
