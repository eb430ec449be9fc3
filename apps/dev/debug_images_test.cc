// DebugImages on the fake Docker Engine and process runner: each route places
// a support image once, and image configurations are read by reference.
#include "apps/dev/debug_images.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fakes/fake_docker.h"
#include "testing/fakes/fake_process_runner.h"

namespace devloop::apps {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class DebugImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR"));
    std::ofstream(dir_ + "/Dockerfile") << "FROM scratch\n";
  }
  void MakeSupport() {
    ASSERT_TRUE(docker_.Build({.context_dir = dir_, .tags = {"devloop-debug-support:go"}}).ok());
  }

  std::string dir_;
  testing::FakeDocker docker_;
  testing::FakeProcessRunner runner_;
};

TEST_F(DebugImagesTest, PushedUnderTheDefaultRepoOnceAndNamedByDigest) {
  ASSERT_NO_FATAL_FAILURE(MakeSupport());
  DebugImages images(&docker_, &runner_,
                     {.route = DebugImages::Route::kPush, .default_repo = "127.0.0.1:5000"});
  absl::StatusOr<deploy::kubectl::SupportImage> go = images.Support("go");
  ASSERT_TRUE(go.ok()) << go.status();
  EXPECT_THAT(go->reference, StartsWith("127.0.0.1:5000/devloop-debug-support:go@sha256:"));
  EXPECT_EQ(go->pull_policy, "IfNotPresent");
  ASSERT_TRUE(images.Support("go").ok());
  EXPECT_THAT(docker_.pushed(), ElementsAre("127.0.0.1:5000/devloop-debug-support:go"));
  // The pushed name is not left on the engine. (The fake removes the whole
  // image where the Engine only untags it, so the call is what is checked.)
  EXPECT_EQ(docker_.calls("RemoveImage"), 1);
}

TEST_F(DebugImagesTest, PushingWithoutADefaultRepoSaysWhatToGive) {
  ASSERT_NO_FATAL_FAILURE(MakeSupport());
  DebugImages images(&docker_, &runner_, {.route = DebugImages::Route::kPush});
  absl::StatusOr<deploy::kubectl::SupportImage> go = images.Support("go");
  EXPECT_EQ(go.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(go.status().message(), HasSubstr("--default-repo"));
}

TEST_F(DebugImagesTest, LoadedIntoAKindClusterAndNeverPulled) {
  ASSERT_NO_FATAL_FAILURE(MakeSupport());
  runner_.AddProgram("kind", [](testing::FakeProcessRunner::Io&) { return 0; });
  DebugImages images(&docker_, &runner_,
                     {.route = DebugImages::Route::kLoad, .context = "kind-dev"});
  absl::StatusOr<deploy::kubectl::SupportImage> go = images.Support("go");
  ASSERT_TRUE(go.ok()) << go.status();
  EXPECT_EQ(*go, (deploy::kubectl::SupportImage{.reference = "devloop-debug-support:go",
                                                 .pull_policy = "Never"}));
  ASSERT_EQ(runner_.started().size(), 1u);
  EXPECT_THAT(runner_.started()[0].argv,
              ElementsAre("kind", "load", "docker-image", "devloop-debug-support:go", "--name",
                          "dev"));
}

TEST_F(DebugImagesTest, AMissingSupportImageSaysHowToMakeIt) {
  DebugImages images(&docker_, &runner_, {});
  absl::StatusOr<deploy::kubectl::SupportImage> py = images.Support("python");
  EXPECT_EQ(py.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(py.status().message(), HasSubstr("tools/debug/support.sh"));
}

TEST_F(DebugImagesTest, ImageConfigOfAPushedReferenceDropsTheDigest) {
  absl::StatusOr<docker::BuildResult> app =
      docker_.Build({.context_dir = dir_, .tags = {"127.0.0.1:5000/app:1"}});
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_TRUE(docker_
                  .SetImageConfig(app->image_id, {.entrypoint = {"/app"},
                                                  .env = {"GOTRACEBACK=all"},
                                                  .working_dir = "/w"})
                  .ok());
  DebugImages images(&docker_, &runner_, {});
  absl::StatusOr<deploy::kubectl::ImageRunConfig> config =
      images.ImageConfig("127.0.0.1:5000/app:1@sha256:0123");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->entrypoint, ElementsAre("/app"));
  EXPECT_THAT(config->env, ElementsAre("GOTRACEBACK=all"));
  EXPECT_EQ(config->working_dir, "/w");
}

}  // namespace
}  // namespace devloop::apps
