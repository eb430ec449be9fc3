#include "infra/build/custom/custom_builder.h"

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/build/docker/image_builder.h"
#include "infra/process/posix_process_runner.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::build {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// The build commands below stand in for a script that runs `docker build -t
// $IMAGE`: they print "make <name>", and the test's output callback builds
// that image on the fake engine, so an image exists only if the command ran
// and asked for it under the name it was given.
class CustomBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-custom-builder-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/Dockerfile") << "FROM scratch\n";
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  CustomBuilder::Options Options(const std::string& command) {
    CustomBuilder::Options o;
    ArtifactBuildSpec web;
    web.spec.image = "web";
    web.context_dir = dir_;
    web.custom = config::CustomArtifact{.build_command = command};
    o.artifacts.push_back(web);
    return o;
  }

  // Returns an output callback that records each line and obeys "make <name>".
  std::function<void(absl::string_view)> Output() {
    return [this](absl::string_view line) {
      output_.emplace_back(line);
      if (absl::ConsumePrefix(&line, "make ")) {
        absl::StatusOr<docker::BuildResult> built =
            docker_.Build({.context_dir = dir_, .tags = {std::string(line)}});
        ASSERT_TRUE(built.ok()) << built.status();
      }
    };
  }

  process::PosixProcessRunner runner_;
  testing::FakeDocker docker_;
  std::string dir_;
  std::vector<std::string> output_;
};

TEST_F(CustomBuilderTest, TheCommandSeesTheContractAndItsImageIsReturned) {
  ::setenv("DEVLOOP_CUSTOM_TEST_VAR", "from-the-parent", 1);
  CustomBuilder::Options options = Options(
      "echo \"IMAGE=$IMAGE PUSH_IMAGE=$PUSH_IMAGE IMAGE_REPO=$IMAGE_REPO IMAGE_TAG=$IMAGE_TAG\"; "
      "echo \"BUILD_CONTEXT=$BUILD_CONTEXT PWD=$(pwd)\"; "
      "echo \"PLATFORMS=$PLATFORMS SKIP_TEST=$SKIP_TEST BASE=$BASE\"; "
      "echo \"PARENT=$DEVLOOP_CUSTOM_TEST_VAR TEMPLATE={{.GREETING}}\" >&2; "
      "echo \"make $IMAGE\"");
  options.artifacts[0].spec.required = {"base"};
  options.artifacts[0].require_aliases = {{"base", "BASE"}};
  options.platforms = {"linux/amd64", "linux/arm64"};
  options.template_env = {{"GREETING", "hello"}};
  CustomBuilder builder(&runner_, &docker_, options);

  absl::StatusOr<std::string> ref = builder.Build(
      {.image = "web", .required = {{"base", "base:v0@sha256:0123"}}, .on_output = Output()});

  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<docker::ImageInfo> image = docker_.InspectImage("web:latest");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(*ref, absl::StrCat("web:latest@", image->id));
  EXPECT_THAT(output_,
              Contains("IMAGE=web:latest PUSH_IMAGE=false IMAGE_REPO=web IMAGE_TAG=latest"));
  EXPECT_THAT(output_, Contains(absl::StrCat("BUILD_CONTEXT=", dir_, " PWD=", dir_)));
  EXPECT_THAT(output_, Contains("PLATFORMS=linux/amd64,linux/arm64 SKIP_TEST=false BASE=base:v0"));
  EXPECT_THAT(output_, Contains("PARENT=from-the-parent TEMPLATE=hello"));
}

TEST_F(CustomBuilderTest, EachImageContentGetsItsOwnReference) {
  CustomBuilder builder(&runner_, &docker_, Options("echo \"make $IMAGE\""));
  absl::StatusOr<std::string> first = builder.Build({.image = "web", .on_output = Output()});
  absl::StatusOr<std::string> second = builder.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(absl::StartsWith(*second, "web:latest@sha256:")) << *second;
}

TEST_F(CustomBuilderTest, AFailingCommandIsAUserErrorWithItsStatusAndOutput) {
  CustomBuilder builder(&runner_, &docker_,
                        Options("echo compiling; echo 'main.go:3: undefined: x' >&2; exit 3"));
  absl::StatusOr<std::string> ref = builder.Build({.image = "web", .on_output = Output()});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(ref.status().message(), HasSubstr("build.artifacts[web].custom.buildCommand"));
  EXPECT_THAT(ref.status().message(), HasSubstr("exited with status 3"));
  EXPECT_THAT(ref.status().message(), HasSubstr("compiling\nmain.go:3: undefined: x"));
  EXPECT_THAT(output_, Contains("main.go:3: undefined: x"));
}

// A custom build is never taken from a cache: its hooks run around every
// build, the after hooks only when it succeeded; a failing before hook stops
// it before the command runs.
TEST_F(CustomBuilderTest, BuildHooksRunAroundEveryBuild) {
  CustomBuilder builder(&runner_, &docker_, Options("touch ran; echo \"make $IMAGE\""));
  std::vector<std::string> calls;
  auto hooked = [&calls, this](absl::Status before) {
    return BuildRequest{.image = "web",
                        .on_output = Output(),
                        .before_build =
                            [&calls, before] {
                              calls.push_back("before");
                              return before;
                            },
                        .after_build =
                            [&calls, this] {
                              calls.push_back(
                                  absl::StrCat("after (builds: ", docker_.calls("Build"), ")"));
                              return absl::OkStatus();
                            }};
  };
  ASSERT_TRUE(builder.Build(hooked(absl::OkStatus())).ok());
  ASSERT_TRUE(builder.Build(hooked(absl::OkStatus())).ok());
  EXPECT_EQ(calls, (std::vector<std::string>{"before", "after (builds: 1)", "before",
                                              "after (builds: 2)"}));

  calls.clear();
  ASSERT_EQ(std::remove((dir_ + "/ran").c_str()), 0);
  absl::StatusOr<std::string> ref = builder.Build(hooked(absl::AbortedError("hook says no")));
  EXPECT_EQ(ref.status().message(), "hook says no");
  EXPECT_EQ(calls, std::vector<std::string>{"before"});
  EXPECT_FALSE(std::ifstream(dir_ + "/ran").good()) << "the command ran after a failed hook";
}

TEST_F(CustomBuilderTest, ACommandThatProducesNoImageIsAClearError) {
  CustomBuilder builder(&runner_, &docker_, Options("echo 'built nothing'"));
  absl::StatusOr<std::string> ref = builder.Build({.image = "web", .on_output = Output()});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(ref.status().message(), HasSubstr("exited 0 but the Docker Engine has no image "
                                                "web:latest"));
}

bool Alive(int pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return state != "Z";
}

TEST_F(CustomBuilderTest, CancelKillsTheCommandAndItsChildren) {
  CustomBuilder builder(&runner_, &docker_,
                        Options("sleep 1000 & echo \"child $!\"; wait; echo \"make $IMAGE\""));
  absl::Notification started;
  int child = 0;
  absl::StatusOr<std::string> ref;
  std::thread build([&] {
    ref = builder.Build({.image = "web", .on_output = [&](absl::string_view line) {
                           if (absl::ConsumePrefix(&line, "child ") &&
                               absl::SimpleAtoi(line, &child)) {
                             started.Notify();
                           }
                         }});
  });
  started.WaitForNotification();
  builder.Cancel("web");
  build.join();
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kCancelled) << ref.status();
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildCancelled);
  // The signal went to the whole group: the backgrounded sleep dies too (the
  // test times out if it never does).
  while (Alive(child)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(docker_.InspectImage("web:latest").ok());
}

TEST_F(CustomBuilderTest, ACancelBeforeTheBuildStopsIt) {
  CustomBuilder builder(&runner_, &docker_, Options("touch ran; echo \"make $IMAGE\""));
  builder.Cancel("web");
  absl::StatusOr<std::string> ref = builder.Build({.image = "web", .on_output = Output()});
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kCancelled) << ref.status();
  EXPECT_FALSE(std::ifstream(dir_ + "/ran").good());
  // The next build runs.
  EXPECT_TRUE(builder.Build({.image = "web", .on_output = Output()}).ok());
}

TEST_F(CustomBuilderTest, CleanupRemovesWhatItsBuildsProducedAndNothingElse) {
  ASSERT_TRUE(docker_.Build({.context_dir = dir_, .tags = {"other:v1"}}).ok());
  CustomBuilder builder(&runner_, &docker_, Options("echo \"make $IMAGE\""));
  absl::StatusOr<std::string> first = builder.Build({.image = "web", .on_output = Output()});
  absl::StatusOr<std::string> second = builder.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(builder.Cleanup().ok());
  EXPECT_EQ(docker_.InspectImage("web:latest").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(docker_.InspectImage(RunnableImage(*first)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(docker_.InspectImage("other:v1").ok());
}

TEST_F(CustomBuilderTest, UnknownImageIsInvalidArgument) {
  CustomBuilder builder(&runner_, &docker_, Options("true"));
  EXPECT_EQ(builder.Build({.image = "api"}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace devloop::build
