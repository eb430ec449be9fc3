#include "testing/browser/guarded_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/browser/process_table.h"
#include "testing/e2e/files.h"

namespace devloop::browser {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A sleep duration no other process uses, to find the tree's processes by
// (GNU sleep takes a fraction). Pids repeat across Bazel's sandboxes (each
// has its own pid namespace): the clock makes the marker unique.
std::string UniqueMarker() {
  static std::atomic<int> counter{0};
  return absl::StrCat("1000.", absl::ToUnixNanos(absl::Now()) % 1'000'000'000, getpid(),
                      counter.fetch_add(1), "1");
}

// A shell that starts three sleeps the way Chromium's processes leave home: a
// plain child, one in a session of its own (setsid, like its crash handler),
// and an orphan whose parent already exited (a double fork). Only the sleeps
// carry the marker: the shell reads it from its environment.
GuardedProcess::Options TreeOf(const std::string& marker, const std::string& output_path) {
  return {.argv = {"/bin/sh", "-c",
                   "sleep $MARKER & setsid sleep $MARKER & (sleep $MARKER &); echo started; wait"},
          .env = {{"MARKER", marker}},
          .output_path = output_path};
}

std::string TempPath(absl::string_view name) {
  absl::StatusOr<std::string> dir = e2e::MakeTempDir("guarded");
  EXPECT_TRUE(dir.ok()) << dir.status();
  return absl::StrCat(dir.value_or("/tmp"), "/", name);
}

// Waits until `count` processes mention `marker`; returns them.
std::vector<std::string> WaitForProcesses(const std::string& marker, size_t count) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::vector<std::string> found = ProcessesMentioning(marker);
  while (found.size() < count && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    found = ProcessesMentioning(marker);
  }
  return found;
}

TEST(GuardedProcessTest, StopKillsAndReapsTheWholeTreeBeforeReturning) {
  const std::string marker = UniqueMarker();
  absl::StatusOr<std::unique_ptr<GuardedProcess>> tree =
      GuardedProcess::Start(TreeOf(marker, TempPath("tree.log")));
  ASSERT_TRUE(tree.ok()) << tree.status();
  std::vector<std::string> sleeps = WaitForProcesses(marker, 3);
  ASSERT_THAT(sleeps, SizeIs(3));
  EXPECT_TRUE((*tree)->Running());

  (*tree)->Stop();
  // Gone and reaped at once: not even a zombie keeps its /proc entry.
  for (const std::string& line : sleeps) {
    std::string pid = line.substr(0, line.find(':'));
    EXPECT_NE(access(absl::StrCat("/proc/", pid).c_str(), F_OK), 0) << line << " is left";
  }
  EXPECT_THAT(ProcessesMentioning(marker), IsEmpty());
  EXPECT_FALSE((*tree)->Running());
  (*tree)->Stop();  // idempotent
}

TEST(GuardedProcessTest, TheTreeDiesWithAnOwnerThatWasKilled) {
  const std::string marker = UniqueMarker();
  const std::string log = TempPath("orphan.log");
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    // The owner: starts the tree, waits for it, and dies without a word.
    absl::StatusOr<std::unique_ptr<GuardedProcess>> tree =
        GuardedProcess::Start(TreeOf(marker, log));
    if (!tree.ok()) _exit(2);
    WaitForProcesses(marker, 3);
    raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(owner, &status, 0), owner);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the owner should have died of SIGKILL";
  ASSERT_THAT(e2e::ReadFile(log).value_or(""), HasSubstr("started"));
  EXPECT_THAT(WaitUntilNoProcessMentions(marker), IsEmpty());
}

TEST(GuardedProcessTest, ReportsOutputAndTheProgramsExit) {
  absl::StatusOr<std::unique_ptr<GuardedProcess>> p =
      GuardedProcess::Start({.argv = {"/bin/sh", "-c", "echo \"hello from $GREETER\"; exit 3"},
                             .env = {{"GREETER", "the tree"}},
                             .output_path = TempPath("hello.log")});
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while ((*p)->Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE((*p)->Running());
  EXPECT_EQ((*p)->Output(), "hello from the tree\n");
}

TEST(GuardedProcessTest, AProgramThatCannotRunIsFailedPrecondition) {
  absl::StatusOr<std::unique_ptr<GuardedProcess>> p = GuardedProcess::Start(
      {.argv = {"/nonexistent/program"}, .output_path = TempPath("none.log")});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(),
              HasSubstr("cannot start \"/nonexistent/program\": No such file or directory"));
}

}  // namespace
}  // namespace devloop::browser
