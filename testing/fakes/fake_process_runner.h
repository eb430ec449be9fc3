// FakeProcessRunner: a ProcessRunner whose "programs" are C++ functions, for tests
// of the builders, hooks and the kubectl adapter that must not fork.
//
//   FakeProcessRunner runner;
//   runner.AddProgram("kubectl", [](FakeProcessRunner::Io& io) {
//     io.Out("deployment.apps/web configured");
//     return 0;
//   });
//   runner.Run({.argv = {"kubectl", "apply"}});   // ExitStatus{exit_code=0}
//   runner.started()[0].argv                       // {"kubectl", "apply"}
//
// Each started process runs its program on a thread of its own, as
// PosixProcessRunner does, so callbacks arrive on a runner thread. Timeouts and
// Cancel() are seen by a program that waits in Io::Sleep(); a program that
// returns on its own is not interrupted. An unknown program is NotFound, like a
// missing binary.
//
// Thread-safe.
#ifndef DEVLOOP_TESTING_FAKES_FAKE_PROCESS_RUNNER_H_
#define DEVLOOP_TESTING_FAKES_FAKE_PROCESS_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "infra/process/process_runner.h"

namespace devloop::testing {

class FakeProcessRunner : public process::ProcessRunner {
 public:
  // What a fake program sees and does.
  class Io {
   public:
    virtual ~Io() = default;
    virtual const process::ProcessSpec& spec() const = 0;
    const std::vector<std::string>& argv() const { return spec().argv; }
    // The child's value of `name` (spec env over the parent's when inherited).
    virtual std::string Env(const std::string& name) const = 0;
    virtual void Out(absl::string_view text) = 0;  // one or more lines
    virtual void Err(absl::string_view text) = 0;
    // Waits `d`; returns false early if the process was cancelled or timed out
    // (the program should then return; the exit status says SIGTERM).
    virtual bool Sleep(absl::Duration d) = 0;
  };
  // Returns the exit code.
  using Program = std::function<int(Io& io)>;

  // Makes `name` (argv[0], matched exactly) runnable.
  void AddProgram(const std::string& name, Program program);
  // Every spec passed to Start, in order.
  std::vector<process::ProcessSpec> started() const;

  absl::StatusOr<std::unique_ptr<process::Process>> Start(
      const process::ProcessSpec& spec) override;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Program> programs_ ABSL_GUARDED_BY(mu_);
  std::vector<process::ProcessSpec> started_ ABSL_GUARDED_BY(mu_);
  int next_pid_ ABSL_GUARDED_BY(mu_) = 100000;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_FAKES_FAKE_PROCESS_RUNNER_H_
