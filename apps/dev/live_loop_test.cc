// What `devloop dev` watches for a test command's dependencies
// (test[].custom[].dependencies): its paths as written, or the files its
// dependencies.command prints, the command run for real.
#include "apps/dev/live_loop.h"

#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::apps {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TestWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-test-watch-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  process::PosixProcessRunner runner_;
  std::string dir_;
};

TEST_F(TestWatchTest, PathsAreWatchedAsWritten) {
  absl::StatusOr<std::optional<fs::WatchedArtifact>> watch = TestWatch(
      {.image = "web", .working_dir = dir_, .paths = {"tests/**"}, .ignore = {"tests/tmp/**"}},
      2, &runner_);
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(watch->has_value());
  EXPECT_EQ((*watch)->name, "test dependencies 2 web");
  EXPECT_EQ((*watch)->context_dir, dir_);
  EXPECT_THAT((*watch)->dependencies, ElementsAre("tests/**"));
  EXPECT_THAT((*watch)->ignore, ElementsAre("tests/tmp/**"));
  EXPECT_FALSE((*watch)->honour_dockerignore);
}

TEST_F(TestWatchTest, TheCommandListsTheFiles) {
  absl::StatusOr<std::optional<fs::WatchedArtifact>> watch =
      TestWatch({.image = "web",
                 .working_dir = dir_,
                 .command = "sh -c 'echo \"[\\\"a.txt\\\", \\\"lib/b.txt\\\"]\"'"},
                0, &runner_);
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(watch->has_value());
  EXPECT_EQ((*watch)->name, "test dependencies 0 web");
  EXPECT_THAT((*watch)->dependencies, ElementsAre("a.txt", "lib/b.txt"));
  EXPECT_THAT((*watch)->ignore, IsEmpty());
}

TEST_F(TestWatchTest, AnEmptyListWatchesNothing) {
  absl::StatusOr<std::optional<fs::WatchedArtifact>> watch =
      TestWatch({.image = "web", .working_dir = dir_, .command = "echo []"}, 0, &runner_);
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_FALSE(watch->has_value());
}

TEST_F(TestWatchTest, ErrorsNameTheCommandAndWhereItIsWritten) {
  const config::SourcePos pos{.file = "skaffold.yaml", .line = 21, .column = 16};
  absl::StatusOr<std::optional<fs::WatchedArtifact>> failed = TestWatch(
      {.image = "web", .working_dir = dir_, .command = "exit 4", .command_pos = pos}, 0,
      &runner_);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(),
              HasSubstr("skaffold.yaml:21:16: test[web].custom.dependencies.command \"exit 4\" "
                        "failed"));
  absl::StatusOr<std::optional<fs::WatchedArtifact>> not_a_list = TestWatch(
      {.image = "web", .working_dir = dir_, .command = "echo a.txt", .command_pos = pos}, 0,
      &runner_);
  ASSERT_FALSE(not_a_list.ok());
  EXPECT_THAT(not_a_list.status().message(),
              AllOf(HasSubstr("skaffold.yaml:21:16: test[web].custom.dependencies.command "
                              "\"echo a.txt\" must print a JSON array of paths"),
                    HasSubstr("a.txt")));
}

}  // namespace
}  // namespace devloop::apps
