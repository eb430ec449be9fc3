// A Control whose implementation comes later. The API servers start before the
// dev loop exists, so a client can connect while the project is still being
// read; what it asks meanwhile waits, in order, and goes to the loop once
// Attach names it (or is answered with the status Fail gives, when the loop
// never comes).
//
//   DeferredControl control;
//   auto api = StartApiServers(..., &control, ...);   // answers at once
//   ... read the config, make the loop ...
//   control.Attach(loop);                             // waiting calls go to the loop
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_CONTROL_DEFERRED_CONTROL_H_
#define DEVLOOP_INFRA_CONTROL_DEFERRED_CONTROL_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "infra/control/control.h"

namespace devloop::control {

class DeferredControl : public Control {
 public:
  // Every later call goes to `target`, which must outlive them; the calls
  // that waited go first, in the order they came. Once only: a second Attach
  // or an Attach after Fail is ignored.
  void Attach(Control* target);
  // Answers the calls that waited, and every later one, with `status` (not OK).
  void Fail(absl::Status status);

  void Execute(const Intent& intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event& event, Done done) override;
  void Pending(PendingDone done) override;

 private:
  // A call, made on the target, or (target null) answered with the failure.
  using Call = absl::AnyInvocable<void(Control* target, const absl::Status& failed)>;
  void Dispatch(Call call);

  absl::Mutex mu_;
  Control* target_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::control

#endif  // DEVLOOP_INFRA_CONTROL_DEFERRED_CONTROL_H_
