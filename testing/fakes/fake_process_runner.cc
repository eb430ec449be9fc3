#include "testing/fakes/fake_process_runner.h"

#include <signal.h>
#include <stdlib.h>

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace devloop::testing {
namespace {

using process::ExitStatus;
using process::ProcessSpec;

class FakeProcess : public process::Process, public FakeProcessRunner::Io {
 public:
  FakeProcess(ProcessSpec spec, FakeProcessRunner::Program program, int pid)
      : spec_(std::move(spec)), pid_(pid), deadline_(absl::Now() + spec_.timeout) {
    thread_ = std::thread([this, program = std::move(program)] {
      int code = program(*this);
      absl::MutexLock lock(&mu_);
      if (stopped_) {
        status_.signal = SIGTERM;
      } else {
        status_.exit_code = code;
      }
      done_ = true;
    });
  }
  ~FakeProcess() override {
    Cancel();
    Wait();
  }

  int pid() const override { return pid_; }
  void Cancel() override {
    absl::MutexLock lock(&mu_);
    if (done_ || stopped_) return;
    stopped_ = true;
    status_.cancelled = true;
  }
  ExitStatus Wait() override {
    absl::MutexLock lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
    absl::MutexLock l(&mu_);
    return status_;
  }

  const ProcessSpec& spec() const override { return spec_; }
  std::string Env(const std::string& name) const override {
    if (auto it = spec_.env.find(name); it != spec_.env.end()) return it->second;
    const char* v = spec_.inherit_env ? getenv(name.c_str()) : nullptr;
    return v == nullptr ? "" : v;
  }
  void Out(absl::string_view text) override { Emit(spec_.on_stdout, text); }
  void Err(absl::string_view text) override { Emit(spec_.on_stderr, text); }
  bool Sleep(absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    absl::Time until = std::min(absl::Now() + d, deadline_);
    mu_.AwaitWithDeadline(absl::Condition(&stopped_), until);
    if (!stopped_ && absl::Now() >= deadline_) {
      stopped_ = true;
      status_.timed_out = true;
    }
    return !stopped_;
  }

 private:
  static void Emit(const process::LineCallback& callback, absl::string_view text) {
    if (callback == nullptr) return;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    for (absl::string_view line : absl::StrSplit(text, '\n')) callback(line);
  }

  const ProcessSpec spec_;
  const int pid_;
  const absl::Time deadline_;
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  ExitStatus status_ ABSL_GUARDED_BY(mu_);
  absl::Mutex join_mu_;
  std::thread thread_;
};

}  // namespace

void FakeProcessRunner::AddProgram(const std::string& name, Program program) {
  absl::MutexLock lock(&mu_);
  programs_[name] = std::move(program);
}

std::vector<ProcessSpec> FakeProcessRunner::started() const {
  absl::MutexLock lock(&mu_);
  return started_;
}

absl::StatusOr<std::unique_ptr<process::Process>> FakeProcessRunner::Start(
    const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("cannot start a process: empty argv");
  Program program;
  int pid;
  {
    absl::MutexLock lock(&mu_);
    auto it = programs_.find(spec.argv[0]);
    if (it == programs_.end()) {
      return absl::NotFoundError(
          absl::StrCat("cannot run '", spec.argv[0], "': no such fake program"));
    }
    program = it->second;
    started_.push_back(spec);
    pid = next_pid_++;
  }
  return std::make_unique<FakeProcess>(spec, std::move(program), pid);
}

}  // namespace devloop::testing
