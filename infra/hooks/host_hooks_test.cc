// HostHooks with real processes: the environment a hook sees, its directory,
// its output as the console shows it, and the error of a hook that fails.
#include "infra/hooks/host_hooks.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::hooks {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Collects what the hooks print, from the runner's threads.
class Lines {
 public:
  std::function<void(absl::string_view)> Sink() {
    return [this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

std::string TempDir() {
  std::string pattern = ::testing::TempDir();
  if (pattern.empty() || pattern.back() != '/') pattern += '/';
  pattern += "hooksXXXXXX";
  char* made = mkdtemp(pattern.data());
  return made == nullptr ? "" : std::string(made);
}

TEST(HostHooksTest, HookSeesTheRunnersVariablesThePhasesAndTheProcessEnvironment) {
  setenv("DEVLOOP_HOOKS_TEST_PARENT", "from-parent", 1);
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {.env = {{"SKAFFOLD_WORK_DIR", "/w"}, {"SKAFFOLD_IMAGE", "base"}}});
  Lines lines;
  absl::Status s = hooks.Run(
      {{.command = {"sh", "-c",
                    "echo $SKAFFOLD_WORK_DIR $SKAFFOLD_IMAGE $DEVLOOP_HOOKS_TEST_PARENT; "
                    "echo to-stderr >&2"}}},
      {.phase = "before-build",
       .env = {{"SKAFFOLD_IMAGE", "web:v1"}},
       .on_output = lines.Sink()});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(lines.Get(), ElementsAre("[before-build hook] /w web:v1 from-parent",
                                       "[before-build hook] to-stderr"))
      << "the phase's variables win over the runner's; the parent's environment is kept";
}

TEST(HostHooksTest, HookRunsInItsDirectory) {
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {});
  Lines lines;
  ASSERT_TRUE(hooks.Run({{.command = {"pwd"}, .dir = dir}},
                        {.phase = "after-sync", .on_output = lines.Sink()})
                  .ok());
  EXPECT_THAT(lines.Get(), ElementsAre(absl::StrCat("[after-sync hook] ", dir)));
}

TEST(HostHooksTest, FailingHookStopsTheRestAndSaysHowItEndedWithItsLastLines) {
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {.tail_lines = 2});
  Lines lines;
  absl::Status s = hooks.Run(
      {{.command = {"sh", "-c", "echo one"}},
       {.command = {"sh", "-c", "echo a; echo b; echo c >&2; exit 3"}},
       {.command = {"sh", "-c", "echo never"}}},
      {.phase = "before-build",
       .on_output = lines.Sink(),
       .failure_code = domain::StatusCode::kBuildUserError,
       .subject = "of artifact web"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("before-build hook 2 of artifact web"),
                    HasSubstr("`sh -c echo a; echo b; echo c >&2; exit 3`"),
                    HasSubstr("exited with status 3"), HasSubstr("b\nc"), Not(HasSubstr("a\n"))))
      << "the last tail_lines lines, both streams";
  EXPECT_THAT(lines.Get(), Not(::testing::Contains("[before-build hook] never")));
}

TEST(HostHooksTest, HookThatCannotStartFails) {
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {});
  absl::Status s = hooks.Run({{.command = {"/nonexistent/hook"}}},
                             {.phase = "after-deploy",
                              .failure_code = domain::StatusCode::kDeployUnknown,
                              .first_number = 4});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kDeployUnknown);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("after-deploy hook 4"), HasSubstr("could not start"),
                                 HasSubstr("printed nothing")));
}

TEST(HostHooksTest, HookInAMissingDirectoryFails) {
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {});
  absl::Status s =
      hooks.Run({{.command = {"true"}, .dir = "/nonexistent/dir"}}, {.phase = "before-sync"});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), AllOf(HasSubstr("in /nonexistent/dir"), HasSubstr("could not start")));
}

TEST(HostHooksTest, HookPastItsTimeoutIsStoppedAndFails) {
  process::PosixProcessRunner runner;
  HostHooks hooks(&runner, {.timeout = absl::Milliseconds(200)});
  absl::Status s = hooks.Run({{.command = {"sleep", "30"}}}, {.phase = "before-build"});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("was stopped after"));
}

TEST(HostHooksTest, RelativeDirsAreUnderTheConfigsDirectory) {
  std::vector<HostCommand> got = HostCommands(
      {{.command = {"a"}}, {.command = {"b"}, .dir = "scripts"}, {.command = {"c"}, .dir = "/abs"}},
      "/src/p");
  EXPECT_THAT(got, ElementsAre(HostCommand{{"a"}, "/src/p"}, HostCommand{{"b"}, "/src/p/scripts"},
                               HostCommand{{"c"}, "/abs"}));
}

TEST(HostHooksTest, RepoAndTagSplitAsSkaffoldDoes) {
  EXPECT_EQ(RepoAndTag("web:v1"), std::make_pair(std::string("web"), std::string("v1")));
  EXPECT_EQ(RepoAndTag("127.0.0.1:5000/web:v1@sha256:ab"),
            std::make_pair(std::string("127.0.0.1:5000/web"), std::string("v1")));
  EXPECT_EQ(RepoAndTag("127.0.0.1:5000/web"),
            std::make_pair(std::string("127.0.0.1:5000/web"), std::string("latest")));
}

}  // namespace
}  // namespace devloop::hooks
