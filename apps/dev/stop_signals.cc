#include "apps/dev/stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"

namespace devloop::apps {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

const char* SignalName(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}

// Best effort: stderr may be a closed pipe or a vanished terminal.
void WriteStderr(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += n;
  }
}

}  // namespace

StopSignals& StopSignals::Install() {
  // Leaked on purpose: the watcher thread uses it until the process exits.
  static StopSignals* const instance = [] {
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set = StopSet();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    auto* s = new StopSignals();
    std::thread([s] { s->Watch(); }).detach();
    return s;
  }();
  return *instance;
}

void StopSignals::Watch() {
  const sigset_t set = StopSet();
  while (true) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_signal_ != 0) {
        WriteStderr(absl::StrCat("\ndevloop: forced exit (", SignalName(signo), ")",
                                 forced_exit_note_.empty() ? "" : ": ", forced_exit_note_, "\n"));
        ::_exit(ForcedExitCode(signo));
      }
      first_signal_ = signo;
      callbacks.swap(callbacks_);
    }
    // Wait returns once the callbacks have run: what they stop is stopped.
    for (const std::function<void()>& callback : callbacks) callback();
    {
      std::lock_guard<std::mutex> lock(mu_);
      callbacks_ran_ = true;
    }
    cv_.notify_all();
  }
}

void StopSignals::OnStop(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_signal_ == 0) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

int StopSignals::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return callbacks_ran_; });
  return first_signal_;
}

bool StopSignals::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_signal_ != 0;
}

void StopSignals::SetForcedExitNote(std::string note) {
  std::lock_guard<std::mutex> lock(mu_);
  forced_exit_note_ = std::move(note);
}

}  // namespace devloop::apps
