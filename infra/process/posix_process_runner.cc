#include "infra/process/posix_process_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "infra/log/log.h"
#include "infra/log/redact.h"

extern char** environ;

namespace devloop::process {
namespace {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) {
    Reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

absl::Status ErrnoStatus(int err, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err)));
}

std::string DescribeArgv(const std::vector<std::string>& argv) {
  return absl::StrCat("'", log::DescribeCommand(argv), "'");
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Resolves argv[0] the way execvp would, but with the child's PATH.
absl::StatusOr<std::string> ResolveProgram(const ProcessSpec& spec) {
  const std::string& program = spec.argv[0];
  if (program.find('/') != std::string::npos) {
    struct stat st;
    if (stat(program.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("cannot run ", DescribeArgv(spec.argv), ": ",
                                              program, " does not exist"));
    }
    if (!S_ISREG(st.st_mode) || access(program.c_str(), X_OK) != 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot run ", DescribeArgv(spec.argv),
                                                      ": ", program, " is not executable"));
    }
    return program;
  }
  std::string path;
  if (auto it = spec.env.find("PATH"); it != spec.env.end()) {
    path = it->second;
  } else if (const char* p = getenv("PATH"); p != nullptr && spec.inherit_env) {
    path = p;
  } else {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("cannot run ", DescribeArgv(spec.argv), ": ", program,
                                          " is not in PATH (", path, ")"));
}

std::vector<std::string> BuildEnvironment(const ProcessSpec& spec) {
  std::vector<std::string> env;
  if (spec.inherit_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      absl::string_view entry(*e);
      absl::string_view name = entry.substr(0, entry.find('='));
      if (spec.env.count(std::string(name)) == 0) env.emplace_back(entry);
    }
  }
  for (const auto& [name, value] : spec.env) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

// Splits a byte stream into lines for one callback.
class LineSplitter {
 public:
  LineSplitter(const LineCallback* callback, size_t max_line)
      : callback_(callback), max_line_(max_line) {}

  void Append(const char* data, size_t n) {
    if (*callback_ == nullptr) return;
    partial_.append(data, n);
    size_t start = 0;
    while (true) {
      size_t nl = partial_.find('\n', start);
      if (nl == std::string::npos) break;
      Emit(absl::string_view(partial_).substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
    while (partial_.size() >= max_line_) {
      (*callback_)(absl::string_view(partial_).substr(0, max_line_));
      partial_.erase(0, max_line_);
    }
  }

  void Finish() {
    if (*callback_ != nullptr && !partial_.empty()) Emit(partial_);
    partial_.clear();
  }

 private:
  void Emit(absl::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (line.size() > max_line_) {
      (*callback_)(line.substr(0, max_line_));
      line.remove_prefix(max_line_);
    }
    (*callback_)(line);
  }

  const LineCallback* callback_;
  size_t max_line_;
  std::string partial_;
};

class PosixProcess : public Process {
 public:
  PosixProcess(ProcessSpec spec, pid_t pid, Fd pidfd, Fd stdin_fd, Fd stdout_fd, Fd stderr_fd,
               Fd cancel_fd)
      : spec_(std::move(spec)),
        pid_(pid),
        pidfd_(std::move(pidfd)),
        stdin_(std::move(stdin_fd)),
        stdout_(std::move(stdout_fd)),
        stderr_(std::move(stderr_fd)),
        cancel_(std::move(cancel_fd)) {
    thread_ = std::thread([this] { Loop(); });
  }

  ~PosixProcess() override {
    Cancel();
    Wait();
  }

  int pid() const override { return pid_; }

  void Cancel() override {
    uint64_t one = 1;
    // An eventfd write only fails if the counter would overflow; ignoring is safe.
    (void)!write(cancel_.get(), &one, sizeof(one));
  }

  ExitStatus Wait() override {
    absl::MutexLock lock(&join_mu_);
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  void Loop();
  void BeginStop(absl::Time now);
  bool ReadInto(Fd& fd, LineSplitter& splitter);
  void WriteStdin();

  const ProcessSpec spec_;
  const pid_t pid_;
  Fd pidfd_;
  Fd stdin_;
  Fd stdout_;
  Fd stderr_;
  Fd cancel_;
  size_t stdin_offset_ = 0;
  bool stopping_ = false;
  absl::Time kill_at_ = absl::InfiniteFuture();
  ExitStatus status_;  // written by the thread, read after join
  absl::Mutex join_mu_;
  std::thread thread_;
};

void PosixProcess::BeginStop(absl::Time now) {
  if (stopping_) return;
  stopping_ = true;
  kill(-pid_, SIGTERM);
  kill_at_ = now + spec_.kill_grace;
}

// Returns false at end of file (and closes the descriptor).
bool PosixProcess::ReadInto(Fd& fd, LineSplitter& splitter) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      splitter.Append(buf, n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fd.Reset();
    splitter.Finish();
    return false;
  }
}

void PosixProcess::WriteStdin() {
  const std::string& data = *spec_.stdin_data;
  while (stdin_offset_ < data.size()) {
    ssize_t n = send(stdin_.get(), data.data() + stdin_offset_, data.size() - stdin_offset_,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      stdin_offset_ += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // The child closed its stdin: it does not want the rest.
  }
  stdin_.Reset();
}

void PosixProcess::Loop() {
  LineSplitter out(&spec_.on_stdout, spec_.max_line_bytes);
  LineSplitter err(&spec_.on_stderr, spec_.max_line_bytes);
  const absl::Time deadline = absl::Now() + spec_.timeout;
  if (stdin_.valid() && spec_.stdin_data.has_value()) WriteStdin();
  int wait_status = 0;
  bool exited = false;
  while (!exited) {
    absl::Time now = absl::Now();
    if (!stopping_ && now >= deadline) {
      status_.timed_out = true;
      BeginStop(now);
    }
    if (stopping_ && now >= kill_at_) {
      kill(-pid_, SIGKILL);
      kill_at_ = absl::InfiniteFuture();
    }
    absl::Time wake = std::min(stopping_ ? kill_at_ : deadline, absl::InfiniteFuture());
    int timeout_ms = -1;
    if (wake != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(
          std::min<int64_t>(absl::ToInt64Milliseconds(wake - now) + 1, 1 << 30));
    }
    pollfd fds[5];
    int n = 0;
    int i_pid = -1, i_cancel = -1, i_out = -1, i_err = -1, i_in = -1;
    fds[i_pid = n++] = {pidfd_.get(), POLLIN, 0};
    fds[i_cancel = n++] = {cancel_.get(), POLLIN, 0};
    if (stdout_.valid()) fds[i_out = n++] = {stdout_.get(), POLLIN, 0};
    if (stderr_.valid()) fds[i_err = n++] = {stderr_.get(), POLLIN, 0};
    if (stdin_.valid()) fds[i_in = n++] = {stdin_.get(), POLLOUT, 0};
    int ready = poll(fds, n, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      DEVLOOP_LOG(ERROR) << "poll for process " << pid_ << ": " << strerror(errno);
      kill(-pid_, SIGKILL);
      stopping_ = true;
      kill_at_ = absl::InfiniteFuture();
    }
    if (ready <= 0) continue;
    if (i_out >= 0 && fds[i_out].revents != 0) ReadInto(stdout_, out);
    if (i_err >= 0 && fds[i_err].revents != 0) ReadInto(stderr_, err);
    if (i_in >= 0 && fds[i_in].revents != 0) WriteStdin();
    if (fds[i_cancel].revents != 0) {
      uint64_t count;
      (void)!read(cancel_.get(), &count, sizeof(count));
      if (!status_.timed_out && !stopping_) status_.cancelled = true;
      BeginStop(absl::Now());
    }
    if (fds[i_pid].revents != 0) {
      // The child is a zombie now, so its pid (and process group id) cannot be
      // reused until we reap it: a group kill here cannot hit a stranger.
      if (stopping_) kill(-pid_, SIGKILL);
      while (waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
    }
  }
  // Output written before the exit is still in the pipes; take it. Output that
  // background children write later is not waited for.
  if (stdout_.valid()) ReadInto(stdout_, out);
  if (stderr_.valid()) ReadInto(stderr_, err);
  out.Finish();
  err.Finish();
  stdout_.Reset();
  stderr_.Reset();
  stdin_.Reset();
  if (WIFEXITED(wait_status)) {
    status_.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status_.signal = WTERMSIG(wait_status);
  }
}

absl::Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoStatus(errno, "fcntl(O_NONBLOCK)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FindProgram(const std::string& program) {
  return ResolveProgram(ProcessSpec{.argv = {program}});
}

absl::StatusOr<std::unique_ptr<Process>> PosixProcessRunner::Start(const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("cannot start a process: empty argv");
  if (spec.max_line_bytes == 0) {
    return absl::InvalidArgumentError("cannot start a process: max_line_bytes is 0");
  }
  if (!spec.working_dir.empty()) {
    struct stat st;
    if (stat(spec.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat("cannot run ", DescribeArgv(spec.argv),
                                                        ": working directory ", spec.working_dir,
                                                        " does not exist"));
    }
  }
  absl::StatusOr<std::string> program = ResolveProgram(spec);
  if (!program.ok()) return program.status();

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  // stdin is a socket so that writing to a child that closed it gives EPIPE
  // (MSG_NOSIGNAL) rather than a process-wide SIGPIPE.
  Fd in_parent, in_child;
  if (spec.stdin_data.has_value()) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoStatus(errno, "socketpair");
    }
    in_parent = Fd(sv[0]);
    in_child = Fd(sv[1]);
    shutdown(in_child.get(), SHUT_WR);
  } else {
    in_child = Fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!in_child.valid()) return ErrnoStatus(errno, "open /dev/null");
  }
  Fd cancel(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!cancel.valid()) return ErrnoStatus(errno, "eventfd");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // Nothing else of devloop's reaches the child, whatever flags it was opened
  // with: a listening socket (a forward's, an API server's) that a long-lived
  // child inherited would keep its port taken after devloop closed it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  // The parent may ignore SIGPIPE or SIGINT; the child starts with defaults.
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = BuildEnvironment(spec);
  std::vector<char*> envp, argv;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, program->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    std::string what = absl::StrCat("cannot run ", DescribeArgv(spec.argv), ": ", strerror(rc));
    if (rc == ENOENT) return absl::NotFoundError(what);
    if (rc == EACCES || rc == ENOEXEC) return absl::PermissionDeniedError(what);
    return absl::InternalError(what);
  }
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    int err = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return ErrnoStatus(err, "pidfd_open (Linux 5.3 or newer is required)");
  }
  out_w.Reset();
  err_w.Reset();
  in_child.Reset();
  for (const Fd* fd : {&out_r, &err_r, &in_parent}) {
    if (fd->valid()) {
      if (absl::Status s = SetNonBlocking(fd->get()); !s.ok()) {
        kill(-pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return s;
      }
    }
  }
  DEVLOOP_VLOG(1) << "started " << DescribeArgv(spec.argv) << " as pid " << pid;
  return std::make_unique<PosixProcess>(spec, pid, std::move(pidfd), std::move(in_parent),
                                        std::move(out_r), std::move(err_r), std::move(cancel));
}

}  // namespace devloop::process
