// Linux-specific behaviour of PosixProcessRunner with real child processes. The
// behaviour every ProcessRunner shares is in
// testing/adapters/process_runner_contract.cc.
#include "infra/process/posix_process_runner.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::process {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int CountOpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// True while `pid` exists and is not a zombie.
bool IsAlive(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

struct Collected {
  absl::Mutex mu;
  std::vector<std::string> lines ABSL_GUARDED_BY(mu);
  LineCallback Callback() {
    return [this](absl::string_view line) {
      absl::MutexLock lock(&mu);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu);
    return lines;
  }
};

TEST(FindProgramTest, FindsWhatStartWouldRun) {
  absl::StatusOr<std::string> sh = FindProgram("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_THAT(*sh, ::testing::EndsWith("/sh"));
  EXPECT_EQ(access(sh->c_str(), X_OK), 0);
  EXPECT_EQ(FindProgram("devloop-no-such-program").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindProgram("/devloop/no/such/program").status().code(), absl::StatusCode::kNotFound);
}

TEST(PosixProcessRunnerTest, TimeoutKillsTheWholeProcessTree) {
  PosixProcessRunner runner;
  Collected out;
  // The shell starts two grandchildren that would sleep for 1000 s, prints their
  // pids, then waits.
  absl::StatusOr<ExitStatus> exit = runner.Run(
      {.argv = {"sh", "-c", "sleep 1000 & echo $!; sleep 1000 & echo $!; wait"},
       .timeout = absl::Milliseconds(300),
       .on_stdout = out.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->timed_out);
  EXPECT_EQ(exit->signal, SIGTERM);
  std::vector<std::string> pids = out.Get();
  ASSERT_EQ(pids.size(), 2u);
  for (const std::string& p : pids) {
    int pid = 0;
    ASSERT_TRUE(absl::SimpleAtoi(p, &pid)) << p;
    // The grandchildren were in the group: SIGTERM reached them. Reparented
    // zombies may linger briefly until init reaps them, so wait for that.
    for (int i = 0; i < 2000 && IsAlive(pid); ++i) usleep(1000);
    EXPECT_FALSE(IsAlive(pid)) << "grandchild " << pid << " survived the timeout";
  }
}

TEST(PosixProcessRunnerTest, ProcessIgnoringSigtermIsKilledAfterTheGrace) {
  PosixProcessRunner runner;
  Collected out;
  absl::StatusOr<std::unique_ptr<Process>> process =
      runner.Start({.argv = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"},
                    .kill_grace = absl::Milliseconds(100),
                    .on_stdout = out.Callback()});
  ASSERT_TRUE(process.ok()) << process.status();
  while (out.Get().empty()) usleep(1000);
  (*process)->Cancel();
  ExitStatus exit = (*process)->Wait();
  EXPECT_TRUE(exit.cancelled);
  EXPECT_EQ(exit.signal, SIGKILL);
}

TEST(PosixProcessRunnerTest, ReportsTheSignalThatEndedTheProcess) {
  PosixProcessRunner runner;
  absl::StatusOr<ExitStatus> exit = runner.Run({.argv = {"sh", "-c", "kill -KILL $$"}});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_EQ(exit->exit_code, -1);
  EXPECT_FALSE(exit->timed_out);
  EXPECT_FALSE(exit->success());
}

TEST(PosixProcessRunnerTest, StreamsHugeOutputCompletely) {
  PosixProcessRunner runner;
  int64_t lines = 0, bytes = 0;
  absl::StatusOr<ExitStatus> exit = runner.Run(
      {.argv = {"sh", "-c", "seq 1 200000; seq 1 1000 >&2"},
       .on_stdout = [&](absl::string_view line) { ++lines; bytes += line.size(); },
       .on_stderr = [&](absl::string_view) {}});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->success());
  EXPECT_EQ(lines, 200000);
  EXPECT_EQ(bytes, 1088895);  // digits of 1..200000
}

TEST(PosixProcessRunnerTest, SplitsOverlongLinesAndKeepsTheLastPartialLine) {
  PosixProcessRunner runner;
  Collected out;
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"printf", "abcdefgh\nxyz"}, .on_stdout = out.Callback(),
                  .max_line_bytes = 3});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_THAT(out.Get(), ElementsAre("abc", "def", "gh", "xyz"));
}

TEST(PosixProcessRunnerTest, UsesWorkingDirectoryAndEnvironment) {
  PosixProcessRunner runner;
  Collected out;
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"sh", "-c", "pwd; echo \"$DEVLOOP_X\"; echo \"${HOME-unset}\""},
                  .env = {{"DEVLOOP_X", "forty two"}, {"PATH", "/usr/bin:/bin"}},
                  .inherit_env = false,
                  .working_dir = "/tmp",
                  .on_stdout = out.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_THAT(out.Get(), ElementsAre("/tmp", "forty two", "unset"));
}

TEST(PosixProcessRunnerTest, ChildSeesNoDescriptorsButItsOwnThree) {
  PosixProcessRunner runner;
  Collected out;
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"sh", "-c", "ls /proc/$$/fd"}, .on_stdout = out.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  // 0, 1, 2 and the fd ls itself opens for the directory is in ls' own /proc.
  EXPECT_THAT(out.Get(), ElementsAre("0", "1", "2"));
}

// A descriptor opened without close-on-exec elsewhere in the process (Asio's
// sockets are) does not reach the child either.
TEST(PosixProcessRunnerTest, ChildInheritsNoDescriptorOpenedWithoutCloseOnExec) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // no O_CLOEXEC
  PosixProcessRunner runner;
  Collected out;
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"sh", "-c", "ls /proc/$$/fd"}, .on_stdout = out.Callback()});
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_THAT(out.Get(), ElementsAre("0", "1", "2"));
}

TEST(PosixProcessRunnerTest, LeaksNoDescriptors) {
  PosixProcessRunner runner;
  int before = CountOpenFds();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(runner.Run({.argv = {"true"}}).ok());
    ASSERT_TRUE(runner.Run({.argv = {"cat"}, .stdin_data = "x"}).ok());
    ASSERT_FALSE(runner.Run({.argv = {"/nonexistent/program"}}).ok());
  }
  EXPECT_EQ(CountOpenFds(), before);
}

TEST(PosixProcessRunnerTest, ChildThatClosesStdinEarlyDoesNotKillUs) {
  PosixProcessRunner runner;
  std::string big(8 << 20, 'x');
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"sh", "-c", "exec 0<&-; exit 3"}, .stdin_data = big});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 3);
}

TEST(PosixProcessRunnerTest, MissingWorkingDirectoryIsFailedPrecondition) {
  PosixProcessRunner runner;
  absl::StatusOr<ExitStatus> exit =
      runner.Run({.argv = {"true"}, .working_dir = "/nonexistent/dir"});
  EXPECT_EQ(exit.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(exit.status().message(), HasSubstr("/nonexistent/dir"));
}

TEST(PosixProcessRunnerTest, NonExecutableFileIsPermissionDenied) {
  PosixProcessRunner runner;
  absl::StatusOr<ExitStatus> exit = runner.Run({.argv = {"/etc/passwd"}});
  EXPECT_EQ(exit.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(PosixProcessRunnerTest, DestroyingTheHandleStopsTheProcess) {
  PosixProcessRunner runner;
  int pid = 0;
  {
    absl::StatusOr<std::unique_ptr<Process>> process = runner.Start({.argv = {"sleep", "1000"}});
    ASSERT_TRUE(process.ok()) << process.status();
    pid = (*process)->pid();
    EXPECT_TRUE(IsAlive(pid));
  }
  EXPECT_FALSE(IsAlive(pid));
}

}  // namespace
}  // namespace devloop::process
