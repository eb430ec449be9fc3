#include "infra/build/custom/custom_builder.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
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
#include "infra/build/docker/docker_builder.h"
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
  options.artifacts[0].platforms = {"linux/amd64", "linux/arm64"};
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

// Each artifact's command sees its own target platforms (the pipeline's
// resolution of --platform, build.platforms and the artifact's list), and
// none when nothing asked for any.
TEST_F(CustomBuilderTest, EachCommandSeesItsArtifactsPlatforms) {
  CustomBuilder::Options options = Options("echo \"$IMAGE_REPO PLATFORMS=[$PLATFORMS]\"; "
                                           "echo \"make $IMAGE\"");
  options.artifacts[0].platforms = {"linux/arm64"};
  ArtifactBuildSpec api = options.artifacts[0];
  api.spec.image = "api";
  api.platforms = {"linux/amd64", "linux/arm/v7"};
  options.artifacts.push_back(api);
  ArtifactBuildSpec native = options.artifacts[0];
  native.spec.image = "native";
  native.platforms.clear();
  options.artifacts.push_back(native);
  CustomBuilder builder(&runner_, &docker_, options);

  for (const std::string image : {"web", "api", "native"}) {
    absl::StatusOr<std::string> ref = builder.Build({.image = image, .on_output = Output()});
    ASSERT_TRUE(ref.ok()) << image << ": " << ref.status();
  }
  EXPECT_THAT(output_, Contains("web PLATFORMS=[linux/arm64]"));
  EXPECT_THAT(output_, Contains("api PLATFORMS=[linux/amd64,linux/arm/v7]"));
  EXPECT_THAT(output_, Contains("native PLATFORMS=[]"));
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

// A script's image carries only its own labels: devloop labels a child of it
// with the run's labels (and the input digest), moves $IMAGE there, and
// Cleanup removes what carries the run's label, never another run's image.
TEST_F(CustomBuilderTest, ImagesCarryTheRunsLabelsAndCleanupRemovesThem) {
  CustomBuilder::Options o = Options("echo \"make $IMAGE\"");
  o.labels = {{"dev.devloop.run-id", "run1"}};
  o.owner_label = {"dev.devloop.run-id", "run1"};
  CustomBuilder builder(&runner_, &docker_, o);
  absl::StatusOr<std::string> ref = builder.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_THAT(*docker_.ListImages("dev.devloop.run-id", "run1"), Contains(RunnableImage(*ref)));
  absl::StatusOr<docker::ImageInfo> tagged = docker_.InspectImage("web:latest");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->id, RunnableImage(*ref)) << "$IMAGE names the labelled image";

  CustomBuilder::Options other = o;
  other.labels = {{"dev.devloop.run-id", "someone-else"}};
  other.owner_label = {"dev.devloop.run-id", "someone-else"};
  std::ofstream(dir_ + "/index.html") << "other\n";
  absl::StatusOr<std::string> theirs =
      CustomBuilder(&runner_, &docker_, other).Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(theirs.ok()) << theirs.status();

  ASSERT_TRUE(builder.Cleanup().ok());
  EXPECT_TRUE(docker_.ListImages("dev.devloop.run-id", "run1")->empty());
  EXPECT_EQ(*docker_.ListImages("dev.devloop.run-id", "someone-else"),
            std::vector<std::string>{RunnableImage(*theirs)});
}

// The artifact cache across runs: the image carries the cache label, not the
// run's, so Cleanup keeps it, and the next run with the same inputs reuses it
// without running the command; a changed context runs it again.
TEST_F(CustomBuilderTest, CachedImagesOutliveTheRunAndServeTheNext) {
  CustomBuilder::Options o = Options("echo \"make $IMAGE\"");
  o.labels = {{"dev.devloop.run-id", "run1"}};
  o.owner_label = {"dev.devloop.run-id", "run1"};
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  CustomBuilder first(&runner_, &docker_, o);
  absl::StatusOr<std::string> built = first.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(docker_.ListImages("dev.devloop.run-id", "run1")->empty());
  ASSERT_TRUE(first.Cleanup().ok());
  EXPECT_EQ(*docker_.ListImages(kCacheLabel, "proj/web"),
            std::vector<std::string>{RunnableImage(*built)});

  o.labels = {{"dev.devloop.run-id", "run2"}};
  o.owner_label = {"dev.devloop.run-id", "run2"};
  CustomBuilder second(&runner_, &docker_, o);
  absl::StatusOr<std::string> again = second.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(RunnableImage(*again), RunnableImage(*built));
  EXPECT_EQ(std::count(output_.begin(), output_.end(), "make web:latest"), 1)
      << "the second run found the first run's image";
  EXPECT_THAT(output_, Contains("Found web:latest locally (artifact cache): not rebuilt"));

  std::ofstream(dir_ + "/main.go") << "package main\n";
  absl::StatusOr<std::string> changed = second.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_NE(RunnableImage(*changed), RunnableImage(*built));
  EXPECT_EQ(std::count(output_.begin(), output_.end(), "make web:latest"), 2);
}

// Cleanup prunes each artifact's cache as the Docker builder does: the image
// used last plus the newest others, three in all.
TEST_F(CustomBuilderTest, CleanupPrunesTheCache) {
  CustomBuilder::Options o = Options("echo \"make $IMAGE\"");
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 5; ++i) {
    std::ofstream(dir_ + "/index.html") << "version " << i << "\n";
    absl::StatusOr<std::string> ref =
        CustomBuilder(&runner_, &docker_, o).Build({.image = "web", .on_output = Output()});
    ASSERT_TRUE(ref.ok()) << ref.status();
    ids.push_back(RunnableImage(*ref));
  }
  std::ofstream(dir_ + "/index.html") << "version 0\n";
  CustomBuilder run(&runner_, &docker_, o);
  absl::StatusOr<std::string> reverted = run.Build({.image = "web", .on_output = Output()});
  ASSERT_TRUE(reverted.ok()) << reverted.status();
  ASSERT_EQ(RunnableImage(*reverted), ids[0]);
  ASSERT_TRUE(run.Cleanup().ok());
  EXPECT_EQ(*docker_.ListImages(kCacheLabel, "proj/web"),
            (std::vector<std::string>{ids[4], ids[3], ids[0]}));
}

TEST_F(CustomBuilderTest, UnknownImageIsInvalidArgument) {
  CustomBuilder builder(&runner_, &docker_, Options("true"));
  EXPECT_EQ(builder.Build({.image = "api"}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace devloop::build
