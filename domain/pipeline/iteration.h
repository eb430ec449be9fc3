// The dev loop's iterations: one at a time, counted from 0 (the initial build
// and deploy), each one DevLoopEvent In Progress and then one Succeeded or
// Failed. The first failure noted while an iteration is open is its error.
//
//   Iteration it;
//   std::optional<DevLoopEvent> opened = it.Open();  // {0, "In Progress"}
//   it.Fail(ActionableErr{StatusCode::kBuildUserError, "exit 1", {}});
//   std::optional<DevLoopEvent> closed = it.Close();  // {0, "Failed", that error}
//
// Thread-compatible.
#ifndef DEVLOOP_DOMAIN_PIPELINE_ITERATION_H_
#define DEVLOOP_DOMAIN_PIPELINE_ITERATION_H_

#include <cstdint>
#include <optional>

#include "domain/events/event.h"

namespace devloop::domain {

class Iteration {
 public:
  // Closed -> open: returns the next iteration's In Progress event; nullopt
  // (and nothing changes) while one is open.
  std::optional<DevLoopEvent> Open();

  // Notes a failure of the open iteration; only the first one counts. Ignored
  // while none is open.
  void Fail(ActionableErr err);

  // Open -> closed: returns its Succeeded event, or Failed with the first
  // failure; nullopt (and nothing changes) while none is open.
  std::optional<DevLoopEvent> Close();

  // The iteration open or last closed; -1 before the first.
  int32_t number() const { return number_; }
  bool open() const { return open_; }
  // The open iteration's first failure.
  const std::optional<ActionableErr>& error() const { return error_; }

  bool operator==(const Iteration&) const = default;

 private:
  int32_t number_ = -1;
  bool open_ = false;
  std::optional<ActionableErr> error_;
};

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PIPELINE_ITERATION_H_
