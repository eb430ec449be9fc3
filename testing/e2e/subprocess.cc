#include "testing/e2e/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "testing/e2e/files.h"

extern char** environ;

namespace devloop::e2e {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const Options& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("Subprocess: empty argv");
  std::string output_path = options.output_path;
  if (output_path.empty()) {
    static std::atomic<int> counter{0};
    const char* tmp = getenv("TEST_TMPDIR");
    output_path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/subprocess-", getpid(), "-",
                               counter.fetch_add(1), ".log");
  }
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return absl::UnknownError(absl::StrCat("cannot create ", output_path, ": ", strerror(errno)));
  }
  // The child writes errno here if exec fails; a close-on-exec pipe reads EOF on
  // success.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(out_fd);
    return absl::UnknownError(absl::StrCat("pipe: ", strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    close(report[0]);
    close(report[1]);
    return absl::UnknownError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    int err = 0;
    if (!options.terminal.empty()) {
      // A session leader without a terminal gets the first one it opens.
      setsid();
      int tty = open(options.terminal.c_str(), O_RDWR);
      if (tty < 0) err = errno;
      for (int fd = 0; fd < 3 && tty >= 0; ++fd) dup2(tty, fd);
    } else {
      setpgid(0, 0);
    }
    if (err == 0 && !options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      err = errno;
    } else if (err == 0) {
      if (options.terminal.empty()) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(options.stdout_fd >= 0 ? options.stdout_fd : out_fd, 1);
        dup2(out_fd, 2);
      }
      // Signals the test process ignores would stay ignored in the child.
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      signal(SIGPIPE, SIG_DFL);
      execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = write(report[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  close(out_fd);
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot start \"", absl::StrJoin(options.argv, " "), "\"",
        options.cwd.empty() ? "" : absl::StrCat(" in ", options.cwd), ": ",
        strerror(child_errno)));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, output_path));
}

Subprocess::~Subprocess() {
  if (!Reap(false)) {
    kill(-pid_, SIGKILL);
    Reap(true);
  }
}

bool Subprocess::Reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
  }
  return reaped_;
}

absl::Status Subprocess::Signal(int signo) {
  if (Reap(false)) {
    return absl::FailedPreconditionError(absl::StrCat("process ", pid_, " already exited"));
  }
  if (kill(pid_, signo) != 0) {
    return absl::UnknownError(absl::StrCat("kill ", pid_, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  // Polling keeps this free of SIGCHLD handlers, which would change the test
  // process for every other component. 2 ms is far below anything measured.
  while (!Reap(false)) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return absl::UnknownError(absl::StrCat("process ", pid_, ": unexpected wait status ", status_));
}

bool Subprocess::Running() { return !Reap(false); }

std::string Subprocess::Output() const {
  absl::StatusOr<std::string> text = ReadFile(output_path_);
  return text.ok() ? *text : "";
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start({.argv = argv});
  if (!p.ok()) return p.status();
  absl::StatusOr<int> code = (*p)->Wait(timeout);
  if (!code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("\"", absl::StrJoin(argv, " "), "\": ",
                                                    code.status().message(), "; output: ",
                                                    (*p)->Output()));
  }
  CommandResult result{.exit_code = *code, .output = (*p)->Output()};
  std::remove((*p)->output_path().c_str());
  return result;
}

absl::Status WaitForOutput(const std::function<std::string()>& text, absl::string_view needle,
                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!absl::StrContains(text(), needle)) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("\"", needle, "\" not printed; output:\n", text()));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::OkStatus();
}

}  // namespace devloop::e2e
