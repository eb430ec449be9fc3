// LocalTester with real processes: custom commands, their environment,
// working directory, timeout and cancellation, and structure tests through a
// stand-in for the container-structure-test binary, and the built-in runner
// (on FakeDocker here; structure_runner_test runs it on the real engine) when
// there is no binary.
#include "infra/tester/local_tester.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/synchronization/notification.h"
#include "domain/events/status_payload.h"
#include "infra/process/posix_process_runner.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::tester {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LocalTesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  // Runs the tests of "web" against web:v1@sha256:abc, collecting the output.
  absl::Status Test(LocalTester& tester) {
    return tester.Test({.image = "web",
                        .reference = "web:v1@sha256:abc",
                        .on_output = [this](absl::string_view l) { lines_.emplace_back(l); }});
  }

  process::PosixProcessRunner runner_;
  std::string dir_;
  std::vector<std::string> lines_;
};

TEST_F(LocalTesterTest, CustomCommandsRunInTheContextWithImageSet) {
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .custom = {{"echo \"$IMAGE\" > seen; echo out"},
                                                      {"echo err >&2; test -f seen"}}}}});
  ASSERT_TRUE(Test(tester).ok());
  std::ifstream seen(dir_ + "/seen");
  std::string image;
  std::getline(seen, image);
  EXPECT_EQ(image, "web:v1");  // the tag, without devloop's digest
  EXPECT_THAT(lines_, ElementsAre("out", "err"));
}

TEST_F(LocalTesterTest, TheFirstFailureStopsTheTestsWithTestUnknown) {
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .custom = {{"exit 3"}, {"touch ran"}}}}});
  absl::Status s = Test(tester);
  EXPECT_EQ(s.message(), "custom test \"exit 3\" failed with exit code 3");
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kTestUnknown);
  EXPECT_NE(std::system(("test -f " + dir_ + "/ran").c_str()), 0);
}

TEST_F(LocalTesterTest, ATestPastItsTimeoutFails) {
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .custom = {{"exec sleep 60", absl::Milliseconds(200)}}}}});
  absl::Status s = Test(tester);
  EXPECT_THAT(s.message(), HasSubstr("custom test \"exec sleep 60\" timed out after 200ms"));
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kTestUnknown);
}

TEST_F(LocalTesterTest, CancelStopsARunningTest) {
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .custom = {{"echo started; exec sleep 60"}}}}});
  absl::Notification started;
  absl::Status s;
  std::thread t([&] {
    s = tester.Test({.image = "web", .reference = "web:v1", .on_output = [&](absl::string_view) {
                       if (!started.HasBeenNotified()) started.Notify();
                     }});
  });
  // The process is registered before its first line can be read (Start and
  // the registration hold one lock), so this Cancel finds it.
  started.WaitForNotification();
  tester.Cancel();
  t.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
}

TEST_F(LocalTesterTest, AnImageWithoutTestsIsAnError) {
  LocalTester tester(&runner_, {});
  EXPECT_EQ(Test(tester).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalTesterTest, StructureTestsCallTheCliWithEveryMatchedConfig) {
  Write("fake-cst", "#!/bin/sh\necho \"$@\"\n");
  ASSERT_EQ(std::system(("chmod +x " + dir_ + "/fake-cst && mkdir " + dir_ + "/cst").c_str()), 0);
  Write("cst/a.yaml", "");
  Write("cst/b.yaml", "");
  LocalTester tester(&runner_,
                     {.tests = {{.image = "web",
                                 .working_dir = dir_,
                                 .structure_tests = {"./cst/*.yaml"},
                                 .structure_tests_args = {"--driver=tar"}}},
                      .structure_test_binary = dir_ + "/fake-cst"});
  ASSERT_TRUE(Test(tester).ok());
  EXPECT_THAT(lines_, ElementsAre("test --image web:v1 --config " + dir_ + "/cst/a.yaml --config " +
                                  dir_ + "/cst/b.yaml --driver=tar"));
}

TEST_F(LocalTesterTest, AMissingStructureTestBinaryIsNamed) {
  Write("c.yaml", "");
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"c.yaml"}}},
                                .structure_test_binary = dir_ + "/no-such-cst"});
  absl::Status s = Test(tester);
  EXPECT_THAT(s.message(), HasSubstr("no-such-cst is not installed (build it with "
                                     "tools/cst/build.sh"));
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kTestUnknown);
}

TEST_F(LocalTesterTest, AStructureTestGlobMatchingNothingFails) {
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"nope/*.yaml"}}}});
  EXPECT_THAT(Test(tester).message(), HasSubstr("\"nope/*.yaml\" matches no file in " + dir_));
}

// A FakeDocker holding web:v1 with WORKDIR /app.
void MakeImage(testing::FakeDocker* docker, const std::string& dir) {
  std::ofstream(dir + "/Dockerfile") << "FROM scratch\nWORKDIR /app\n";
  absl::StatusOr<docker::BuildResult> built = docker->Build({.context_dir = dir, .tags = {"web:v1"}});
  ASSERT_TRUE(built.ok()) << built.status();
}

TEST_F(LocalTesterTest, WithoutTheCliTheBuiltInRunnerRunsTheFiles) {
  testing::FakeDocker docker;
  MakeImage(&docker, dir_);
  Write("pass.yaml", "schemaVersion: 2.0.0\nmetadataTest:\n  workdir: /app\n");
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"pass.yaml"},
                                           .structure_tests_args = {"--driver=docker"}}},
                                .structure_test_binary = "",
                                .docker = &docker,
                                .container_labels = {{"dev.devloop.run-id", "r1"}}});
  absl::Status s = Test(tester);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(lines_, ::testing::Contains("=== RUN: Metadata Test"));
  EXPECT_THAT(lines_, ::testing::Contains("Passes:      1"));
  EXPECT_EQ(docker.calls("InspectImage"), 1);
}

TEST_F(LocalTesterTest, ABuiltInRunnerFailureNamesTheFailingTests) {
  testing::FakeDocker docker;
  MakeImage(&docker, dir_);
  Write("fail.yaml", "schemaVersion: 2.0.0\nmetadataTest:\n  workdir: /srv\n");
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"fail.yaml"}}},
                                .structure_test_binary = "",
                                .docker = &docker});
  absl::Status s = Test(tester);
  EXPECT_THAT(s.message(), HasSubstr("structure tests (fail.yaml) failed (devloop's built-in "
                                     "runner; container-structure-test is not installed): 1 of 1 "
                                     "structure tests failed: Metadata Test"));
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kTestUnknown);
  EXPECT_THAT(lines_, ::testing::Contains("Error: workdir is \"/app\", expected \"/srv\""));
}

TEST_F(LocalTesterTest, TheBuiltInRunnerRefusesOtherDrivers) {
  testing::FakeDocker docker;
  Write("c.yaml", "schemaVersion: 2.0.0\n");
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"c.yaml"},
                                           .structure_tests_args = {"--driver=tar"}}},
                                .structure_test_binary = "",
                                .docker = &docker});
  absl::Status s = Test(tester);
  EXPECT_THAT(s.message(), HasSubstr("the tar driver is not supported by devloop's built-in"));
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kTestUnknown);
}

TEST_F(LocalTesterTest, WithoutTheCliOrADockerEngineStructureTestsFail) {
  Write("c.yaml", "schemaVersion: 2.0.0\n");
  LocalTester tester(&runner_, {.tests = {{.image = "web",
                                           .working_dir = dir_,
                                           .structure_tests = {"c.yaml"}}},
                                .structure_test_binary = ""});
  EXPECT_THAT(Test(tester).message(),
              HasSubstr("container-structure-test is not installed, and devloop's built-in "
                        "runner needs the Docker Engine"));
}

}  // namespace
}  // namespace devloop::tester
