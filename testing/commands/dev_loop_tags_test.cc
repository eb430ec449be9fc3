// The dev loop's hooks for the commands, on the fake engine and simulated time:
// tag policies (a rebuild with an unchanged tag still replaces the container),
// prebuilt images (`devloop deploy`), extra labels and leaving the deployment
// running (`devloop run`), the artifact cache.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/build/tagger.h"
#include "testing/dev/shell_harness.h"

namespace devloop::testing {
namespace {

bool NewContainerIdle(ShellHarness& h, const std::string& before) {
  std::vector<docker::ContainerSummary> now = h.Containers();
  return h.Idle() && now.size() == 1 && now[0].id != before;
}

TEST(DevLoopTagsTest, RebuildWithAnUnchangedTagStillReplacesTheContainer) {
  ShellHarness h;
  h.builder_options().tagger = *build::Tagger::Make({.policy = config::Sha256Tagger{}});
  h.Start();
  ASSERT_TRUE(h.RunUntil([&] { return h.Idle() && h.Containers().size() == 1; }));
  const std::string first = h.Containers()[0].id;
  const std::string first_image = h.docker().Inspect(first)->image_id;
  // The image carries the policy's tag.
  EXPECT_TRUE(h.docker().Run({.image = "web:latest", .name = "probe"}).ok());
  ASSERT_TRUE(h.docker().Remove("probe", true).ok());

  h.Edit("main.c", "int main() { return 1; }\n");
  ASSERT_TRUE(h.RunUntil([&] { return NewContainerIdle(h, first); })) << h.State();
  // The new container runs the new image, not whatever "latest" was.
  EXPECT_NE(h.docker().Inspect(h.Containers()[0].id)->image_id, first_image);
  EXPECT_EQ(h.docker().calls("Build"), 2);
}

TEST(DevLoopTagsTest, PrebuiltImagesAreDeployedWithoutBuilding) {
  ShellHarness h;
  absl::StatusOr<docker::BuildResult> image =
      h.docker().Build({.context_dir = h.context(), .tags = {"web:v9"}});
  ASSERT_TRUE(image.ok());
  h.builder_options().prebuilt = {{"web", "web:v9"}};
  h.Start();
  ASSERT_TRUE(h.RunUntil([&] { return h.Idle() && h.Containers().size() == 1; }));
  EXPECT_EQ(h.docker().calls("Build"), 1);  // only the test's own
  EXPECT_EQ(h.docker().Inspect(h.Containers()[0].id)->image_id, image->image_id);
}

TEST(DevLoopTagsTest, ExtraLabelsAndNoCleanupLeaveTheDeploymentFindable) {
  ShellHarness h;
  h.deployer_options().labels = {{"dev.devloop.project", "p1"}};
  h.builder_options().labels["dev.devloop.project"] = "p1";
  h.options().cleanup = false;
  h.Start();
  ASSERT_TRUE(h.RunUntil([&] { return h.Idle(); }));
  h.loop().RequestStop();
  ASSERT_TRUE(h.RunUntil([&] { return h.loop().stopped(); }));
  auto containers = h.docker().ListContainers("dev.devloop.project", "p1");
  ASSERT_TRUE(containers.ok());
  ASSERT_EQ(containers->size(), 1u);
  EXPECT_EQ(h.docker().Inspect((*containers)[0].id)->status, docker::ContainerStatus::kRunning);
  EXPECT_EQ(h.docker().ListNetworks("dev.devloop.project", "p1")->size(), 1u);
  EXPECT_EQ(h.docker().ListImages("dev.devloop.project", "p1")->size(), 1u);
}

TEST(DevLoopTagsTest, CachedArtifactIsNotRebuilt) {
  ShellHarness h;
  h.builder_options().cache_artifacts = true;
  h.Start();
  ASSERT_TRUE(h.RunUntil([&] { return h.Idle(); }));
  // A second builder on the same engine (the next run) finds the image by its
  // input digest.
  build::DockerBuilder::Options next = h.builder_options();
  next.labels = {{"dev.devloop.run-id", "tagsrun2"}};
  absl::StatusOr<std::string> ref = build::DockerBuilder(&h.docker(), next).Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(h.docker().calls("Build"), 1);
}

}  // namespace
}  // namespace devloop::testing
