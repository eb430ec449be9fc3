#include "testing/browser/guarded_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/e2e/files.h"

extern char** environ;

namespace devloop::browser {
namespace {

// How often the keeper reaps the tree's dead while the program runs.
constexpr int kKeeperPollMs = 100;
// How long the keeper keeps killing a tree that will not die (a process stuck
// in the kernel) before it leaves the rest to init.
constexpr int64_t kKeeperGiveUpNs = 30'000'000'000;

// What the keeper tells the owner once the program started, or failed to.
struct StartReport {
  pid_t pid = 0;
  int exec_errno = 0;
};

// Everything below runs in the keeper or the program's child between fork
// and exec: async-signal-safe calls only (the test process may have threads).

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Reaps every dead child; notes whether the program was one of them.
void ReapWhatDied(pid_t program, bool* program_reaped) {
  pid_t r;
  while ((r = waitpid(-1, nullptr, WNOHANG)) > 0) {
    if (r == program) *program_reaped = true;
  }
}

// Closes every descriptor but `keep` (sorted): another owner's control pipe,
// inherited through fork, would keep that owner's keeper from seeing its EOF.
void CloseAllBut(const int (&keep)[3]) {
  unsigned first = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first) close_range(first, fd - 1, 0);
    if (static_cast<unsigned>(fd) + 1 > first) first = fd + 1;
  }
  close_range(first, ~0u, 0);
}

// SIGKILLs every child of the keeper: the subreaper is the parent of every
// orphan of the tree, including those in sessions of their own.
void KillChildren() {
  int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  pid_t pid = 0;
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] >= '0' && buf[i] <= '9') {
      pid = pid * 10 + (buf[i] - '0');
    } else if (pid > 0) {
      kill(pid, SIGKILL);
      pid = 0;
    }
  }
  if (pid > 0) kill(pid, SIGKILL);
}

// Kills the program's group, then whatever else is left, until the keeper has
// no child. The group is killed only while the program is unreaped: until
// then its id cannot belong to anyone else.
void KillTree(pid_t program, bool program_reaped) {
  if (!program_reaped) kill(-program, SIGKILL);
  const int64_t give_up = MonotonicNs() + kKeeperGiveUpNs;
  while (MonotonicNs() < give_up) {
    KillChildren();
    while (true) {
      pid_t r = waitpid(-1, nullptr, WNOHANG);
      if (r < 0 && errno == ECHILD) return;
      if (r <= 0) break;
    }
    timespec pause{0, 5'000'000};
    nanosleep(&pause, nullptr);
  }
}

[[noreturn]] void RunProgram(char** argv, char** envp, int out_fd, int exec_report_fd) {
  setpgid(0, 0);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  // The keeper ignores these; ignored signals would stay ignored after exec.
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(signo, SIG_DFL);
  execvpe(argv[0], argv, envp);
  int err = errno;
  ssize_t ignored = write(exec_report_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

[[noreturn]] void RunKeeper(char** argv, char** envp, int out_fd, int control_fd, int report_fd) {
  // A group of its own, deaf to Ctrl-C and SIGTERM: whatever ends the test
  // must leave the keeper alive to clean up after it.
  setpgid(0, 0);
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int keep[3] = {out_fd, control_fd, report_fd};
  std::sort(std::begin(keep), std::end(keep));
  CloseAllBut(keep);
  StartReport report;
  int exec_report[2];
  if (pipe2(exec_report, O_CLOEXEC) != 0) {
    report.exec_errno = errno;
  } else {
    report.pid = fork();
    if (report.pid < 0) report.exec_errno = errno;
    if (report.pid == 0) RunProgram(argv, envp, out_fd, exec_report[1]);
    close(exec_report[1]);
    // EOF (the close-on-exec end closed by a successful exec) means started.
    ssize_t n;
    do {
      n = read(exec_report[0], &report.exec_errno, sizeof(report.exec_errno));
    } while (n < 0 && errno == EINTR);
    close(exec_report[0]);
  }
  ssize_t ignored = write(report_fd, &report, sizeof(report));
  (void)ignored;
  close(report_fd);
  if (report.exec_errno != 0) {
    // The program's child exits right after reporting: reap it, not init.
    while (report.pid > 0 && waitpid(report.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  bool program_reaped = false;
  while (true) {
    pollfd p{control_fd, POLLIN, 0};
    int r = poll(&p, 1, kKeeperPollMs);
    if (r > 0) break;  // EOF: the owner stopped or died
    ReapWhatDied(report.pid, &program_reaped);
  }
  KillTree(report.pid, program_reaped);
  _exit(0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GuardedProcess>> GuardedProcess::Start(const Options& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("GuardedProcess: empty argv");
  // Everything the keeper and the program need is prepared before fork().
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
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

  int out_fd = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", options.output_path, ": ", strerror(errno)));
  }
  int control[2];
  int report[2];
  if (pipe2(control, O_CLOEXEC) != 0) {
    close(out_fd);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  if (pipe2(report, O_CLOEXEC) != 0) {
    for (int fd : {out_fd, control[0], control[1]}) close(fd);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  pid_t keeper = fork();
  const int fork_errno = errno;
  if (keeper == 0) {
    close(control[1]);
    close(report[0]);
    RunKeeper(argv.data(), envp.data(), out_fd, control[0], report[1]);
  }
  for (int fd : {out_fd, control[0], report[1]}) close(fd);
  if (keeper < 0) {
    close(control[1]);
    close(report[0]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(fork_errno)));
  }
  StartReport started;
  ssize_t n;
  do {
    n = read(report[0], &started, sizeof(started));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n != sizeof(started) || started.exec_errno != 0) {
    close(control[1]);
    while (waitpid(keeper, nullptr, 0) < 0 && errno == EINTR) {
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot start \"", absl::StrJoin(options.argv, " "),
        "\": ", n == sizeof(started) ? strerror(started.exec_errno) : "the keeper died"));
  }
  return std::unique_ptr<GuardedProcess>(
      new GuardedProcess(keeper, control[1], started.pid, options.output_path));
}

GuardedProcess::~GuardedProcess() { Stop(); }

bool GuardedProcess::Running() const { return control_fd_ >= 0 && kill(pid_, 0) == 0; }

std::string GuardedProcess::Output() const {
  absl::StatusOr<std::string> text = e2e::ReadFile(output_path_);
  return text.ok() ? *text : "";
}

void GuardedProcess::Stop() {
  if (control_fd_ < 0) return;
  close(control_fd_);
  control_fd_ = -1;
  while (waitpid(keeper_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace devloop::browser
