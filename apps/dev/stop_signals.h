// How the long-running commands (`devloop dev`, and `run`/`deploy` while they
// forward ports) are stopped, whatever became of the terminal:
//  - SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal was closed) each ask for
//    a clean stop: the command cleans up and exits;
//  - SIGPIPE is ignored, so a write to a stdout nobody reads any more
//    (`devloop dev | tee log`, where the same Ctrl-C ended tee) fails with
//    EPIPE instead of killing devloop before it cleans up;
//  - a second stop signal, once stopping began, ends the process at once with
//    exit code 128 + the signal (the user insists; what is left is removed by
//    the next devloop of the project, see infra/deploy/run_registry.h).
//
// The signals are blocked in every thread and taken by one watcher thread
// with sigwait, so no code runs in a signal handler.
//
//   StopSignals& signals = StopSignals::Install();  // first, before any thread
//   signals.OnStop([&] { outcome.Interrupt(); });   // optional
//   int signo = signals.Wait();                     // the first stop signal
//   ... clean up; a second Ctrl-C meanwhile exits at once ...
//
// Thread-safe. Process-wide: one instance, never destroyed.
#ifndef DEVLOOP_APPS_DEV_STOP_SIGNALS_H_
#define DEVLOOP_APPS_DEV_STOP_SIGNALS_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace devloop::apps {

class StopSignals {
 public:
  // Blocks SIGINT, SIGTERM and SIGHUP, ignores SIGPIPE and starts the watcher.
  // Idempotent. REQUIRES: the first call comes before any other thread starts
  // (threads inherit the blocked mask; one started earlier would take a
  // signal with its default action, which ends the process uncleaned).
  static StopSignals& Install();

  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Runs `callback` on the watcher thread at the first stop signal, or now (on
  // the caller's thread) if it has arrived already. It must not block.
  void OnStop(std::function<void()> callback);

  // Blocks until the first stop signal has arrived and its OnStop callbacks
  // have run; returns its number.
  int Wait();

  // Whether a stop signal has arrived.
  bool stopping() const;

  // The line written to stderr on a forced exit (after "devloop: forced exit").
  void SetForcedExitNote(std::string note);

 private:
  StopSignals() = default;
  void Watch();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int first_signal_ = 0;  // guarded by mu_; 0 until a stop signal arrives
  bool callbacks_ran_ = false;  // guarded by mu_; the OnStop callbacks of the first signal ran
  std::vector<std::function<void()>> callbacks_;  // guarded by mu_
  std::string forced_exit_note_;                  // guarded by mu_
};

// Exit code of a process ended by a second stop signal `signo` (130 for SIGINT).
inline int ForcedExitCode(int signo) { return 128 + signo; }

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_STOP_SIGNALS_H_
