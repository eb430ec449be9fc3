#include "infra/control/deferred_control.h"

#include <utility>

namespace devloop::control {

void DeferredControl::Attach(Control* target) {
  absl::MutexLock lock(&mu_);
  if (target_ != nullptr || !failed_.ok()) return;
  // Under the lock, so a call that comes meanwhile cannot pass those that
  // waited. The target only starts work (it answers later, or inline without
  // calling back here).
  for (Call& call : waiting_) call(target, absl::OkStatus());
  waiting_.clear();
  target_ = target;
}

void DeferredControl::Fail(absl::Status status) {
  if (status.ok()) status = absl::InternalError("DeferredControl::Fail without an error");
  std::vector<Call> waiting;
  {
    absl::MutexLock lock(&mu_);
    if (target_ != nullptr || !failed_.ok()) return;
    failed_ = status;
    waiting.swap(waiting_);
  }
  for (Call& call : waiting) call(nullptr, status);
}

void DeferredControl::Dispatch(Call call) {
  Control* target = nullptr;
  absl::Status failed;
  {
    absl::MutexLock lock(&mu_);
    if (target_ == nullptr && failed_.ok()) {
      waiting_.push_back(std::move(call));
      return;
    }
    target = target_;
    failed = failed_;
  }
  call(target, failed);
}

void DeferredControl::Execute(const Intent& intent, Done done) {
  Dispatch([intent, done = std::move(done)](Control* target, const absl::Status& failed) mutable {
    if (target == nullptr) return done(failed);
    target->Execute(intent, std::move(done));
  });
}

void DeferredControl::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  Dispatch([phase, enabled, done = std::move(done)](Control* target,
                                                    const absl::Status& failed) mutable {
    if (target == nullptr) return done(failed);
    target->SetAutoTrigger(phase, enabled, std::move(done));
  });
}

void DeferredControl::Handle(const domain::Event& event, Done done) {
  Dispatch([event, done = std::move(done)](Control* target, const absl::Status& failed) mutable {
    if (target == nullptr) return done(failed);
    target->Handle(event, std::move(done));
  });
}

void DeferredControl::Pending(PendingDone done) {
  Dispatch([done = std::move(done)](Control* target, const absl::Status& failed) mutable {
    if (target == nullptr) return done(failed);
    target->Pending(std::move(done));
  });
}

}  // namespace devloop::control
