// A control port whose answers are held until the test releases them, from any
// thread: it proves a transport waits for no answer on its own threads (many
// calls outstanding at once, other requests still served) and that it delivers
// each answer, however late, to the right request.
//
//   HeldControl control;
//   auto server = HttpServer::Start({.port = 0}, &hub, &control);
//   ... send 64 POST /v1/execute ...
//   ASSERT_TRUE(control.AwaitHeld(64));
//   control.ReleaseAll([](const HeldControl::Call&) { return absl::OkStatus();
//   });
//
// Thread-safe.
#ifndef DEVLOOP_TESTING_TRANSPORT_HELD_CONTROL_H_
#define DEVLOOP_TESTING_TRANSPORT_HELD_CONTROL_H_

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/control/control.h"

namespace devloop::testing {

class HeldControl : public control::Control {
 public:
  // What a transport asked for.
  struct Call {
    enum class Kind { kExecute, kSetAutoTrigger, kHandle };
    Kind kind = Kind::kExecute;
    control::Intent intent;                       // kExecute
    domain::Phase phase = domain::Phase::kBuild;  // kSetAutoTrigger
    bool enabled = false;                         // kSetAutoTrigger
    domain::Event event;                          // kHandle
  };

  HeldControl() = default;
  HeldControl(const HeldControl &) = delete;
  HeldControl &operator=(const HeldControl &) = delete;
  // Drops the answers still held, unanswered (a Done's owner may be gone).
  ~HeldControl() override = default;

  void Execute(const control::Intent &intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event &event, Done done) override;

  // Waits until at least `n` calls are held (not yet released); false if that
  // does not happen within `timeout` (a cap for a broken transport, not a
  // timing assertion).
  bool AwaitHeld(size_t n, absl::Duration timeout = absl::Seconds(60));

  // Returns the number of calls held now.
  size_t held() const;

  // Returns every call received so far, released or not, in arrival order.
  std::vector<Call> calls() const;

  // Answers every call held now with `answer(call)`, in arrival order, on the
  // calling thread, with no lock of this object held.
  void ReleaseAll(const std::function<absl::Status(const Call &)> &answer);

 private:
  void Hold(Call call, Done done);

  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<Call, Done>> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_TRANSPORT_HELD_CONTROL_H_
