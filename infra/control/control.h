// The control port of the Skaffold v1 API: what the transports call for Execute,
// AutoBuild/AutoSync/AutoDeploy and Handle. The dev loop's controller implements it;
// HubControl (below) is the implementation for a pipeline with nothing to run,
// which only records what a client asked for in the hub.
//
// Every call is asynchronous: it returns at once and reports its outcome through
// `done`, which the transports use to finish the RPC or write the HTTP response.
// So no gRPC reactor or Beast handler thread ever waits for the dev loop.
//
// Failure contract, shared by every implementation (the transports map the codes
// to gRPC codes and HTTP statuses):
//   InvalidArgument  the request is malformed (an Event with no member set)
//   AlreadyExists    a trigger is set to the value it already has
//                    ("auto build is already set to true")
//   Unavailable      the dev loop is shutting down ("devloop is shutting down")
//
//   HubControl control(&hub);
//   control.SetAutoTrigger(domain::Phase::kSync, true, [](absl::Status s) {
//     // s is AlreadyExists "auto sync is already set to true"
//   });
//
#ifndef DEVLOOP_INFRA_CONTROL_CONTROL_H_
#define DEVLOOP_INFRA_CONTROL_CONTROL_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/status/statusor.h"
#include "domain/events/event.h"
#include "domain/pipeline/spec.h"
#include "domain/state/state.h"
#include "infra/hub/hub.h"

namespace devloop::control {

// The phases an Execute request asks to run once.
struct Intent {
  bool build = false;
  bool sync = false;
  bool deploy = false;
  bool operator==(const Intent&) const = default;
};

// Implementations are thread-safe and never block the caller: the transports
// call them on their own I/O threads (gRPC reactors, Beast handlers). A real
// controller posts the request to the dev loop's executor and returns; the
// executor calls `done` when the controller has answered.
class Control {
 public:
  // Called exactly once with the outcome, from any thread, possibly before the call returns.
  using Done = absl::AnyInvocable<void(absl::Status)>;

  virtual ~Control() = default;

  // Runs the phases of `intent` once (resetting them to "Not Started" first).
  virtual void Execute(const Intent& intent, Done done) = 0;

  // Turns the automatic trigger of `phase` on or off.
  virtual void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) = 0;

  // Accepts a client's custom event into the event log.
  virtual void Handle(const domain::Event& event, Done done) = 0;

  // What waits for a trigger that is off (changed artifacts, files to sync, a
  // deploy), for the dashboard; not part of Skaffold's API. The default, for
  // a pipeline with nothing to run: nothing waits.
  using PendingDone = absl::AnyInvocable<void(absl::StatusOr<domain::PendingWork>)>;
  virtual void Pending(PendingDone done) { done(domain::PendingWork{}); }
};

// Control for a pipeline with nothing to run: records the requests in the hub
// (PhasesReset, TriggerChanged, the handled event as a LogEntry) and runs nothing.
// Answers every call inline, before it returns. Thread-safe.
class HubControl : public Control {
 public:
  struct Options {
    // Stamps handled events; tests pass a fixed time.
    std::function<absl::Time()> now = [] { return absl::Now(); };
  };
  // `hub` must outlive this object.
  explicit HubControl(hub::Hub* hub) : HubControl(hub, Options()) {}
  HubControl(hub::Hub* hub, Options options) : hub_(hub), options_(std::move(options)) {}

  void Execute(const Intent& intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event& event, Done done) override;

 private:
  absl::Status DoExecute(const Intent& intent);
  absl::Status DoSetAutoTrigger(domain::Phase phase, bool enabled);
  absl::Status DoHandle(const domain::Event& event);

  hub::Hub* const hub_;
  const Options options_;
  // Makes check-then-record of a trigger atomic against other control calls.
  absl::Mutex mu_;
};

}  // namespace devloop::control

#endif  // DEVLOOP_INFRA_CONTROL_CONTROL_H_
