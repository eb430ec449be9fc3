// The dev loop's hooks for the commands, on the fake engine: tag policies
// (a rebuild with an unchanged tag still replaces the container), prebuilt
// images (`devloop deploy`), extra labels and leaving the deployment running
// (`devloop run`).
#include <stdlib.h>

#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "infra/clock/clock.h"
#include "infra/dev/dev_loop.h"
#include "infra/dev/tagger.h"
#include "infra/hub/hub.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"
#include "testing/fakes/fake_docker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::dev {
namespace {

class DevLoopTagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-dev-loop-tags-test-XXXXXX";
    context_ = ::mkdtemp(tmpl);
    std::ofstream(context_ + "/Dockerfile") << "FROM scratch\nCOPY main.c /main.c\n";
    std::ofstream(context_ + "/main.c") << "int main() {}\n";
    options_.run_id = "tagsrun1";
    options_.status_poll_interval = absl::Milliseconds(5);
    ArtifactBuildSpec web;
    web.spec.image = "web";
    web.context_dir = context_;
    options_.artifacts.push_back(web);
  }
  void TearDown() override {
    loop_.reset();
    pool_.Shutdown();
    executor_.Shutdown();
    (void)std::system(absl::StrCat("rm -rf '", context_, "'").c_str());
  }
  void StartLoop() {
    auto loop = DevLoop::Make(options_, {.docker = &docker_, .hub = &hub_, .executor = &executor_,
                                         .pool = &pool_});
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    ASSERT_TRUE(loop_->Start().ok());
  }
  // Waits (up to 20 s: only a hang fails) until `pred` holds.
  bool WaitFor(std::function<bool()> pred) {
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (absl::Now() < end) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  }
  bool Idle() {
    const domain::State s = hub_.State()->state;
    return s.status_check_state.status == "Succeeded" && s.deploy_state.status == "Complete";
  }
  std::vector<docker::ContainerSummary> Containers() {
    return docker_.ListContainers(DevLoop::kRunIdLabel, "tagsrun1").value_or(
        std::vector<docker::ContainerSummary>{});
  }

  std::string context_;
  DevLoopOptions options_;
  testing::FakeDocker docker_;
  hub::Hub hub_;
  runtime::Executor executor_{clock::RealClock()};
  runtime::BlockingPool pool_{{.threads = 2, .max_queued = 64}};
  std::unique_ptr<DevLoop> loop_;
};

TEST_F(DevLoopTagsTest, RebuildWithAnUnchangedTagStillReplacesTheContainer) {
  options_.tagger = *Tagger::Make({.policy = config::Sha256Tagger{}});
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return Idle() && Containers().size() == 1; }));
  const std::string first = Containers()[0].id;
  const std::string first_image = docker_.Inspect(first)->image_id;
  // The image carries the policy's tag.
  EXPECT_TRUE(docker_.Run({.image = "web:latest", .name = "probe"}).ok());
  ASSERT_TRUE(docker_.Remove("probe", true).ok());

  std::ofstream(context_ + "/main.c") << "int main() { return 1; }\n";
  loop_->FilesChanged("web", {{.path = "main.c"}});
  ASSERT_TRUE(WaitFor([&] {
    std::vector<docker::ContainerSummary> now = Containers();
    return Idle() && now.size() == 1 && now[0].id != first;
  })) << hub_.State()->state;
  // The new container runs the new image, not whatever "latest" was.
  EXPECT_NE(docker_.Inspect(Containers()[0].id)->image_id, first_image);
  EXPECT_EQ(docker_.calls("Build"), 2);
}

TEST_F(DevLoopTagsTest, PrebuiltImagesAreDeployedWithoutBuilding) {
  absl::StatusOr<docker::BuildResult> image =
      docker_.Build({.context_dir = context_, .tags = {"web:v9"}});
  ASSERT_TRUE(image.ok());
  options_.prebuilt = {{"web", "web:v9"}};
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return Idle() && Containers().size() == 1; }));
  EXPECT_EQ(docker_.calls("Build"), 1);  // only the test's own
  EXPECT_EQ(docker_.Inspect(Containers()[0].id)->image_id, image->image_id);
}

TEST_F(DevLoopTagsTest, ExtraLabelsAndNoCleanupLeaveTheDeploymentFindable) {
  options_.labels = {{"dev.devloop.project", "p1"}};
  options_.cleanup = false;
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return Idle(); }));
  ASSERT_TRUE(loop_->Stop().ok());
  auto containers = docker_.ListContainers("dev.devloop.project", "p1");
  ASSERT_TRUE(containers.ok());
  ASSERT_EQ(containers->size(), 1u);
  EXPECT_EQ(docker_.Inspect((*containers)[0].id)->status, docker::ContainerStatus::kRunning);
  EXPECT_EQ(docker_.ListNetworks("dev.devloop.project", "p1")->size(), 1u);
  EXPECT_EQ(docker_.ListImages("dev.devloop.project", "p1")->size(), 1u);
}

TEST_F(DevLoopTagsTest, CachedArtifactIsNotRebuilt) {
  options_.cache_artifacts = true;
  options_.cleanup = false;
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return Idle(); }));
  ASSERT_TRUE(loop_->Stop().ok());
  loop_.reset();
  options_.run_id = "tagsrun2";
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return Idle(); }));
  EXPECT_EQ(docker_.calls("Build"), 1);
}

}  // namespace
}  // namespace devloop::dev
