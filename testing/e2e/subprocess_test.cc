#include "testing/e2e/subprocess.h"

#include <signal.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

TEST(SubprocessTest, ReportsExitCodeAndCapturesOutput) {
  absl::StatusOr<std::unique_ptr<Subprocess>> p =
      Subprocess::Start({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_EQ((*p)->Output(), "out\nerr\n");
  EXPECT_FALSE((*p)->Running());
}

TEST(SubprocessTest, RunsInTheGivenDirectoryWithTheGivenEnvironment) {
  absl::StatusOr<CommandResult> r = RunCommand({"/bin/sh", "-c", "pwd; echo $DEVLOOP_X"});
  ASSERT_TRUE(r.ok());
  absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(
      {.argv = {"/bin/sh", "-c", "pwd; echo $DEVLOOP_X"}, .cwd = "/", .env = {{"DEVLOOP_X", "42"}}});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE((*p)->Wait(absl::Seconds(30)).ok());
  EXPECT_EQ((*p)->Output(), "/\n42\n");
}

TEST(SubprocessTest, SigintEndsAProgramThatDoesNotHandleIt) {
  absl::StatusOr<std::unique_ptr<Subprocess>> p =
      Subprocess::Start({.argv = {"/bin/busybox", "sleep", "1000"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE((*p)->Running());
  EXPECT_EQ((*p)->Wait(absl::Milliseconds(1)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE((*p)->Signal(SIGINT).ok());
  absl::StatusOr<int> code = (*p)->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, -SIGINT);
  EXPECT_FALSE((*p)->Signal(SIGINT).ok());  // already gone
}

TEST(SubprocessTest, AProgramThatCannotStartIsAnErrorNotAnExitCode) {
  absl::StatusOr<std::unique_ptr<Subprocess>> p =
      Subprocess::Start({.argv = {"/no/such/devloop", "dev"}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/no/such/devloop"));
  p = Subprocess::Start({.argv = {"/bin/true"}, .cwd = "/no/such/dir"});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/no/such/dir"));
}

TEST(SubprocessTest, DestructorKillsTheWholeProcessGroup) {
  std::string pid_file = std::string(getenv("TEST_TMPDIR")) + "/grandchild.pid";
  {
    absl::StatusOr<std::unique_ptr<Subprocess>> p = Subprocess::Start(
        {.argv = {"/bin/sh", "-c", "/bin/busybox sleep 1000 & echo $! > " + pid_file + "; wait"}});
    ASSERT_TRUE(p.ok()) << p.status();
    // Wait until the grandchild exists.
    while (true) {
      absl::StatusOr<CommandResult> r = RunCommand({"/bin/cat", pid_file});
      ASSERT_TRUE(r.ok());
      if (r->exit_code == 0 && !r->output.empty()) break;
    }
  }
  absl::StatusOr<CommandResult> r = RunCommand({"/bin/cat", pid_file});
  ASSERT_TRUE(r.ok());
  int grandchild = std::stoi(r->output);
  // The grandchild may linger as a zombie of init for a moment; it must not be
  // running (signal 0 fails, or /proc says Z).
  absl::StatusOr<CommandResult> state =
      RunCommand({"/bin/sh", "-c", "for i in $(seq 1 1000); do s=$(cut -d' ' -f3 /proc/" +
                                       std::to_string(grandchild) +
                                       "/stat 2>/dev/null) || { echo gone; exit; };"
                                       " [ \"$s\" = Z ] && { echo zombie; exit; }; sleep 0.01; done;"
                                       " echo alive"});
  ASSERT_TRUE(state.ok());
  EXPECT_NE(state->output, "alive\n");
}

TEST(RunCommandTest, KillsACommandThatOverrunsItsTimeout) {
  absl::StatusOr<CommandResult> r =
      RunCommand({"/bin/busybox", "sleep", "1000"}, absl::Milliseconds(50));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace devloop::e2e
