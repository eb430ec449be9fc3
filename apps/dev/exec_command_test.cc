// `devloop test` on a project of its own, without Docker: custom tests are
// commands on this machine, so the command's choice of image, its output and
// its exit code are all visible here.
#include "apps/dev/exec_command.h"

#include <stdlib.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/skaffold.pb.h"
#include "apps/dev/command_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/http_client.h"

namespace devloop::apps {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
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

// With --enable-rpc, `devloop test` serves its events on the real gRPC API
// while it runs, as `devloop run` does. A test command waits for a file the
// client writes, so the client looks while the tests are in progress.
class RunTestApiTest : public RunTestTest {
 protected:
  static constexpr char kWait[] = "      - command: until [ -e release ]; do sleep 0.01; done\n";

  // Runs RunTest with --enable-rpc on free ports; follows its Events stream
  // until `last` arrives, after checking the State while a test waits for
  // `release`. Returns the exit code and the stream's entries.
  std::pair<int, std::vector<proto::LogEntry>> RunFollowed(const std::string& last) {
    absl::StatusOr<int> grpc_port = e2e::PickFreePort();
    absl::StatusOr<int> http_port = e2e::PickFreePort();
    EXPECT_TRUE(grpc_port.ok() && http_port.ok());
    options_.enable_rpc = true;
    options_.rpc_port = grpc_port.value_or(0);
    options_.rpc_http_port = http_port.value_or(0);
    int code = -1;
    std::thread run([&] { code = RunTest(options_); });
    std::vector<proto::LogEntry> entries;
    {
      absl::StatusOr<std::unique_ptr<e2e::EventsClient>> client = e2e::EventsClient::Connect(
          absl::StrCat("127.0.0.1:", options_.rpc_port), absl::Seconds(30));
      EXPECT_TRUE(client.ok()) << client.status();
      if (client.ok()) {
        absl::StatusOr<proto::LogEntry> started =
            (*client)->WaitFor(IsTestEvent("In Progress"), absl::Seconds(60));
        EXPECT_TRUE(started.ok()) << started.status();
        absl::StatusOr<proto::State> state = (*client)->GetState();
        EXPECT_TRUE(state.ok()) << state.status();
        if (state.ok()) {
          EXPECT_EQ(state->teststate().status(), "In Progress");
          EXPECT_EQ(state->buildstate().artifacts().at("web"), "Not Started");
        }
        std::ofstream(dir_ + "/release") << "\n";
        absl::StatusOr<proto::LogEntry> ended =
            (*client)->WaitFor(IsTestEvent(last), absl::Seconds(60));
        EXPECT_TRUE(ended.ok()) << ended.status();
        entries = (*client)->Entries();
      }
    }
    std::ofstream(dir_ + "/release") << "\n";  // whatever happened above
    run.join();
    return {code, entries};
  }

  static e2e::EventsClient::Predicate IsTestEvent(const std::string& status) {
    return [status](const proto::LogEntry& e) {
      return e.event().has_testevent() && e.event().testevent().status() == status;
    };
  }
};

TEST_F(RunTestApiTest, PassingTestsStreamInProgressThenComplete) {
  WriteConfig(kWait);
  auto [code, entries] = RunFollowed("Complete");
  EXPECT_EQ(code, 0);
  EXPECT_THAT(e2e::Summaries(entries), ElementsAre("TestEvent In Progress", "TestEvent Complete"));
}

TEST_F(RunTestApiTest, AFailingTestStreamsFailedWithItsError) {
  std::ofstream(dir_ + "/status.txt") << "broken\n";
  // The failing check runs after the wait.
  std::ofstream(dir_ + "/skaffold.yaml") << "apiVersion: skaffold/v4beta13\n"
                                            "kind: Config\n"
                                            "build:\n"
                                            "  artifacts:\n"
                                            "    - image: web\n"
                                            "test:\n"
                                            "  - image: web\n"
                                            "    custom:\n"
                                         << kWait << "      - command: grep -qx ok status.txt\n";
  auto [code, entries] = RunFollowed("Failed");
  EXPECT_EQ(code, 1);
  ASSERT_THAT(e2e::Summaries(entries), ElementsAre("TestEvent In Progress", "TestEvent Failed"));
  const proto::TestEvent& failed = entries[1].event().testevent();
  EXPECT_EQ(failed.actionableerr().errcode(), proto::TEST_UNKNOWN);
  EXPECT_THAT(failed.actionableerr().message(), HasSubstr("failed with exit code 1"));
  EXPECT_EQ(entries[1].entry(), "Test failed for artifact web");
}

}  // namespace
}  // namespace devloop::apps
