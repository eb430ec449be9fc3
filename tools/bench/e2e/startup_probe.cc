// Starts a program and times it to its HTTP API's first answer, as closely as
// a client on the same machine can: the clock is read just before
// posix_spawn (no fork of a large parent), the port is tried every 100 us
// (--poll-us), and GET PATH goes on the first connection the port accepts.
//
//   startup_probe --port=N --log=FILE [--path=/v1/state] [--poll-us=100] -- PROGRAM ARGS...
//
// Each try (socket, a refused connect, close, a sleep of --poll-us) costs the
// probe CPU time that a loaded machine takes from the program: a coarser
// --poll-us measures less finely and disturbs less.
//
// The program runs in the probe's working directory, stdin /dev/null, stdout
// and stderr to FILE. Once answered the probe prints one line,
//   pid=P spawned_at_us=T accepting_us=A answered_us=B status=S
// (T is CLOCK_MONOTONIC at the spawn, as Python's time.monotonic() reads it)
// then waits for a line (or EOF) on its stdin, sends the program SIGINT, waits
// for it and prints "exit=CODE". devloop_latency.py --mode startup drives it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace {

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// A connected socket to 127.0.0.1:port, or -1 while nothing listens there.
int TryConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  close(fd);
  return -1;
}

// Sends GET path and reads the answer to its end; the HTTP status, or -1.
int Get(int fd, const std::string& path) {
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return -1;
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  int status = -1;
  if (std::sscanf(answer.c_str(), "HTTP/1.%*d %d", &status) != 1) return -1;
  return status;
}

int Usage() {
  std::fprintf(stderr,
               "usage: startup_probe --port=N --log=FILE [--path=/v1/state] [--poll-us=100] -- "
               "PROGRAM ARGS...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string log_path;
  std::string path = "/v1/state";
  long poll_us = 100;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.rfind("--port=", 0) == 0) {
      port = std::atoi(arg.c_str() + 7);
    } else if (arg.rfind("--log=", 0) == 0) {
      log_path = arg.substr(6);
    } else if (arg.rfind("--path=", 0) == 0) {
      path = arg.substr(7);
    } else if (arg.rfind("--poll-us=", 0) == 0) {
      poll_us = std::atol(arg.c_str() + 10);
    } else {
      std::fprintf(stderr, "startup_probe: unknown flag %s\n", arg.c_str());
      return Usage();
    }
  }
  if (port <= 0 || port > 65535 || log_path.empty() || i >= argc) return Usage();
  if (poll_us < 1 || poll_us > 1000000) {
    std::fprintf(stderr, "startup_probe: --poll-us must be 1..1000000, not %ld\n", poll_us);
    return Usage();
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);

  // The program starts as from an interactive shell: default signal actions
  // (a background job of a script ignores SIGINT, and would pass that on) and
  // nothing blocked.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  const int64_t started = NowUs();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[i], &actions, &attr, &argv[i], environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    std::fprintf(stderr, "startup_probe: cannot start %s: %s\n", argv[i], std::strerror(spawned));
    return 1;
  }

  int fd = -1;
  const int64_t deadline = started + 30 * 1000000;
  while ((fd = TryConnect(port)) < 0) {
    int exit_status = 0;
    if (waitpid(pid, &exit_status, WNOHANG) == pid) {
      std::fprintf(stderr, "startup_probe: %s exited before port %d accepted (see %s)\n", argv[i],
                   port, log_path.c_str());
      return 1;
    }
    if (NowUs() > deadline) {
      std::fprintf(stderr, "startup_probe: nothing accepted on port %d within 30 s\n", port);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return 1;
    }
    const timespec pause{.tv_sec = poll_us / 1000000, .tv_nsec = poll_us % 1000000 * 1000};
    nanosleep(&pause, nullptr);
  }
  const int64_t accepting = NowUs();
  const int status = Get(fd, path);
  const int64_t answered = NowUs();
  close(fd);
  std::printf("pid=%d spawned_at_us=%lld accepting_us=%lld answered_us=%lld status=%d\n",
              static_cast<int>(pid), static_cast<long long>(started),
              static_cast<long long>(accepting - started),
              static_cast<long long>(answered - started), status);
  std::fflush(stdout);

  char line[64];
  (void)std::fgets(line, sizeof line, stdin);
  // SIGINT, as Ctrl-C; SIGKILL if the program is still there 30 s later.
  kill(pid, SIGINT);
  int exit_status = 0;
  for (int waited_ms = 0;; waited_ms += 10) {
    const pid_t ended = waitpid(pid, &exit_status, WNOHANG);
    if (ended == pid || (ended < 0 && errno != EINTR)) break;
    if (waited_ms == 30000) kill(pid, SIGKILL);
    const timespec pause{.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  std::printf("exit=%d\n", WIFEXITED(exit_status) ? WEXITSTATUS(exit_status)
                                                  : 128 + WTERMSIG(exit_status));
  return 0;
}
