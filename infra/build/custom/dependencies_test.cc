#include "infra/build/custom/dependencies.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::build {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class CustomDependenciesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-custom-deps-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  absl::StatusOr<CustomWatch> Resolve(const config::CustomDependencies& deps) {
    return ResolveCustomDependencies(deps, dir_, &runner_);
  }

  process::PosixProcessRunner runner_;
  std::string dir_;
};

TEST_F(CustomDependenciesTest, PathsAndIgnore) {
  absl::StatusOr<CustomWatch> watch =
      Resolve({.paths = {"src", "./build.sh", dir_ + "/web/*.html", "/elsewhere/x"},
               .ignore = {"src/*.md"}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.dependencies = {"src", "build.sh", "web/*.html"},
                                 .ignore = {"src/*.md"}}));
}

TEST_F(CustomDependenciesTest, TheWholeContext) {
  absl::StatusOr<CustomWatch> watch = Resolve({.paths = {"src", "."}, .ignore = {"*.md"}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.ignore = {"*.md"}}));
}

// Skaffold lists no dependencies for a custom artifact that declares none.
TEST_F(CustomDependenciesTest, NoneMeansNoFileConcernsTheArtifact) {
  absl::StatusOr<CustomWatch> watch = Resolve({});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_FALSE(watch->watched);
  watch = Resolve({.ignore = {"*.md"}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_FALSE(watch->watched);
}

TEST_F(CustomDependenciesTest, DockerfileInputsWithBuildArgs) {
  std::ofstream(dir_ + "/Dockerfile.dev")
      << "ARG SRC=app\nFROM scratch AS b\nCOPY go.mod $SRC/ /src/\n"
         "FROM scratch\nCOPY --from=b /src /src\nADD static /www\n";
  absl::StatusOr<CustomWatch> watch = Resolve(
      {.ignore = {"x"}, .dockerfile = "Dockerfile.dev", .dockerfile_build_args = {{"SRC", "cmd"}}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.dependencies = {"Dockerfile.dev", "go.mod", "cmd", "static"},
                                 .honour_dockerignore = true}));
}

TEST_F(CustomDependenciesTest, DockerfileErrorsNameTheField) {
  absl::StatusOr<CustomWatch> missing = Resolve({.dockerfile = "Nope"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("custom.dependencies.dockerfile.path"));
  std::ofstream(dir_ + "/Dockerfile") << "COPY a b\n";
  absl::StatusOr<CustomWatch> bad = Resolve({.dockerfile = "Dockerfile"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("line 1: expected FROM before COPY"));
}

TEST_F(CustomDependenciesTest, CommandPrintsTheList) {
  std::ofstream(dir_ + "/deps.sh") << "echo '[\"main.go\", \"'$(pwd)'/lib\", \"/elsewhere\"]'\n";
  absl::StatusOr<CustomWatch> watch = Resolve({.command = "sh  deps.sh"});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.dependencies = {"main.go", "lib"}}));
}

TEST_F(CustomDependenciesTest, CommandErrors) {
  absl::StatusOr<CustomWatch> failed = Resolve({.command = "sh -c exit"});
  // "sh -c exit" is split on spaces: sh runs `exit`, which succeeds, printing nothing.
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument) << failed.status();
  absl::StatusOr<CustomWatch> not_a_list = Resolve({.command = "echo {\"a\":1}"});
  EXPECT_EQ(not_a_list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_a_list.status().message(), HasSubstr("must print a JSON array of paths"));
  absl::StatusOr<CustomWatch> exit1 = Resolve({.command = "false"});
  EXPECT_EQ(exit1.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(exit1.status().message(), HasSubstr("custom.dependencies.command \"false\" failed"));
  absl::StatusOr<CustomWatch> missing = Resolve({.command = "no-such-program-here"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CustomDependenciesTest, AnEmptyListFromTheCommandWatchesNothing) {
  absl::StatusOr<CustomWatch> watch = Resolve({.command = "echo []"});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_FALSE(watch->watched);
}

// A test's command is a shell command line, run in the test's context.
TEST_F(CustomDependenciesTest, TestCommandRunsThroughAShellInTheContext) {
  std::ofstream(dir_ + "/a.txt") << "a\n";
  absl::StatusOr<CustomWatch> watch = ResolveTestDependencies(
      {.paths = {"ignored-with-a-command"},
       .command = "test -f a.txt && echo '[\"a.txt\", \"'\"$(pwd)\"'/b/*.go\"]'"},
      dir_, &runner_);
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.dependencies = {"a.txt", "b/*.go"}}));
}

TEST_F(CustomDependenciesTest, TestCommandErrorsNameTheCommand) {
  absl::StatusOr<CustomWatch> failed =
      ResolveTestDependencies({.command = "echo oops >&2; exit 3"}, dir_, &runner_);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(failed.status().message(),
              AllOf(HasSubstr("dependencies.command \"echo oops >&2; exit 3\" failed"),
                    HasSubstr("oops"), Not(HasSubstr("custom.dependencies"))));
  absl::StatusOr<CustomWatch> strings =
      ResolveTestDependencies({.command = "echo '[\"a\", 1]'"}, dir_, &runner_);
  EXPECT_EQ(strings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(strings.status().message(),
              HasSubstr("dependencies.command \"echo '[\"a\", 1]'\" must print a JSON array"));
}

// Paths without a command, as for an artifact.
TEST_F(CustomDependenciesTest, TestPathsAndIgnore) {
  absl::StatusOr<CustomWatch> watch =
      ResolveTestDependencies({.paths = {"tests/**"}, .ignore = {"tests/tmp/**"}}, dir_, nullptr);
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(*watch, (CustomWatch{.dependencies = {"tests/**"}, .ignore = {"tests/tmp/**"}}));
}

}  // namespace
}  // namespace devloop::build
