// `devloop test` on a project of its own, without Docker: custom tests are
// commands on this machine, so the command's choice of image, its output and
// its exit code are all visible here.
#include "apps/dev/exec_command.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/dev/command_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::apps {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class RunTestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-exec-command-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/status.txt") << "ok\n";
    WriteConfig("");
    options_ = cli::DefaultOptions(cli::Command::kTest);
    options_.filename = dir_ + "/skaffold.yaml";
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  // A config with one artifact, web, whose test passes while status.txt says
  // ok; `extra` is appended.
  void WriteConfig(const std::string& extra) {
    std::ofstream(dir_ + "/skaffold.yaml")
        << "apiVersion: skaffold/v4beta13\n"
           "kind: Config\n"
           "build:\n"
           "  tagPolicy:\n"
           "    sha256: {}\n"
           "  artifacts:\n"
           "    - image: web\n"
           "test:\n"
           "  - image: web\n"
           "    custom:\n"
           "      - command: grep -qx ok status.txt && echo \"tested $IMAGE\"\n"
        << extra;
  }
  // Runs RunTest; returns (exit code, what it printed on stdout and stderr).
  std::pair<int, std::string> Run() {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = RunTest(options_);
    std::string out = ::testing::internal::GetCapturedStdout();
    out += ::testing::internal::GetCapturedStderr();
    return {code, out};
  }

  std::string dir_;
  cli::CliOptions options_;
};

TEST_F(RunTestTest, WithoutBuildArtifactsTheImageAsTaggedIsTested) {
  auto [code, out] = Run();
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, AllOf(HasSubstr("[test web] tested web:latest"), HasSubstr("Tests passed")));
}

TEST_F(RunTestTest, BuildArtifactsNameTheImageTested) {
  options_.build_artifacts = dir_ + "/build.json";
  std::ofstream(options_.build_artifacts) << BuildOutputJson({{"web", "web:v7"}});
  auto [code, out] = Run();
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("[test web] tested web:v7"));
}

TEST_F(RunTestTest, AFailingTestExitsOneWithItsError) {
  std::ofstream(dir_ + "/status.txt") << "broken\n";
  auto [code, out] = Run();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, AllOf(HasSubstr("devloop test: "), HasSubstr("failed with exit code 1"),
                         Not(HasSubstr("Tests passed"))));
}

TEST_F(RunTestTest, AnImageTheFileDoesNotListIsAnError) {
  options_.build_artifacts = dir_ + "/build.json";
  std::ofstream(options_.build_artifacts) << BuildOutputJson({{"db", "db:v1"}});
  auto [code, out] = Run();
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("lists no image for web"));
}

TEST_F(RunTestTest, AMissingBuildArtifactsFileIsAnError) {
  options_.build_artifacts = dir_ + "/missing.json";
  auto [code, out] = Run();
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("--build-artifacts"));
}

TEST_F(RunTestTest, NoTestsIsNothingToDo) {
  std::ofstream(dir_ + "/skaffold.yaml") << "apiVersion: skaffold/v4beta13\n"
                                            "kind: Config\n"
                                            "build:\n"
                                            "  artifacts:\n"
                                            "    - image: web\n";
  auto [code, out] = Run();
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("No tests to run"));
}

}  // namespace
}  // namespace devloop::apps
