// RunContainers on the fake engine: success, the failures it lists, fail-fast
// and fail-safe, the timeout, a container that cannot start, and cleanup.
#include "infra/actions/container_runner.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::actions {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class ContainerRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/ctx";
    ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
    std::ofstream(dir + "/Dockerfile") << "FROM scratch\n";
    ASSERT_TRUE(docker_.Build({.context_dir = dir, .tags = {"bb"}}).ok());
  }
  // A job running `sh -c script` in image bb.
  static ContainerJob Job(std::string name, std::string script) {
    return {.name = std::move(name), .image = "bb", .entrypoint = {"sh", "-c"},
            .args = {std::move(script)}};
  }
  RunOptions Options(std::vector<ContainerJob> jobs) {
    return {.containers = std::move(jobs),
            .labels = {{"dev.devloop.test", "1"}},
            .on_output = [this](const std::string& name, absl::string_view line) {
              std::lock_guard<std::mutex> lock(mu_);
              lines_.push_back(name + ": " + std::string(line));
            },
            .poll_interval = absl::Milliseconds(1)};
  }
  // Every container the runs left behind.
  std::vector<docker::ContainerSummary> Left() {
    return *docker_.ListContainers("dev.devloop.test", "1");
  }

  testing::FakeDocker docker_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(ContainerRunnerTest, AllExitingZeroSucceedsWithTheirOutput) {
  ASSERT_TRUE(RunContainers(&docker_, Options({Job("a", "echo one; exit 0"),
                                               Job("b", "echo two; exit 0")}))
                  .ok());
  EXPECT_THAT(lines_, UnorderedElementsAre("a: one", "b: two"));
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(ContainerRunnerTest, FailuresAreListedWithTheirExitCodes) {
  RunOptions o = Options({Job("a", "exit 3"), Job("b", "exit 0")});
  absl::Status s = RunContainers(&docker_, o);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(),
            "1 error(s) occurred:\n* \"a\" running container image \"bb\" errored during run "
            "with status code: 3");
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(ContainerRunnerTest, FailFastStopsTheOthers) {
  absl::Status s = RunContainers(&docker_, Options({Job("a", "exit 1"), Job("b", "sleep 100")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(s.message(), HasSubstr("\"a\" running"));
  EXPECT_THAT(s.message(), Not(HasSubstr("\"b\"")));  // stopped, not failed
  EXPECT_GE(docker_.calls("Stop"), 1);
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(ContainerRunnerTest, FailSafeWaitsForEveryContainer) {
  RunOptions o = Options({Job("a", "exit 1"), Job("b", "sleep 100")});
  o.fail_fast = false;
  o.timeout = absl::Milliseconds(300);
  // b never ends: only the timeout stops it, so a's failure alone did not.
  absl::Status s = RunContainers(&docker_, o);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("timed out after 300ms; \"a\" running container"));
  EXPECT_THAT(Left(), IsEmpty());
}

TEST_F(ContainerRunnerTest, AContainerThatCannotStartFailsTheRunAndStopsTheOthers) {
  ContainerJob missing{.name = "m", .image = "no-such-image"};
  absl::Status s = RunContainers(&docker_, Options({Job("a", "sleep 100"), missing}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr("container \"m\" (image \"no-such-image\") did not start"));
  EXPECT_THAT(Left(), IsEmpty());
}

}  // namespace
}  // namespace devloop::actions
