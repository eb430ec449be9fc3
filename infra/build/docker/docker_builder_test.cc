// DockerBuilder on the fake engine: the port's promises (deploy references,
// status codes on errors, Cancel before a build starts, cleanup by label only).
#include "infra/build/docker/docker_builder.h"

#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/events/status_payload.h"
#include "infra/build/docker/image_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fakes/fake_docker.h"

namespace devloop::build {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class DockerBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-docker-builder-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/Dockerfile") << "FROM scratch\nCOPY index.html /www/index.html\n";
    std::ofstream(dir_ + "/index.html") << "hello\n";
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  DockerBuilder::Options Options() {
    DockerBuilder::Options o;
    ArtifactBuildSpec web;
    web.spec.image = "web";
    web.context_dir = dir_;
    o.artifacts.push_back(web);
    o.labels = {{"dev.devloop.run-id", "run1"}};
    o.owner_label = {"dev.devloop.run-id", "run1"};
    return o;
  }

  testing::FakeDocker docker_;
  std::string dir_;
};

TEST_F(DockerBuilderTest, BuildReturnsAReferenceUniquePerImage) {
  DockerBuilder builder(&docker_, Options());
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_THAT(*ref, MatchesRegex("web:[0-9a-f]{12}@sha256:[0-9a-f]+"));
}

TEST_F(DockerBuilderTest, PushTagsUnderTheDefaultRepoAndReturnsTheRegistryDigest) {
  DockerBuilder::Options options = Options();
  options.push = true;
  options.default_repo = "127.0.0.1:5000";
  DockerBuilder builder(&docker_, options);
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_THAT(*ref, MatchesRegex("127\\.0\\.0\\.1:5000/web:[0-9a-f]{12}@sha256:[0-9a-f]+"));
  ASSERT_EQ(docker_.pushed().size(), 1u);
  EXPECT_EQ(docker_.pushed()[0], ref->substr(0, ref->find('@')));
}

TEST_F(DockerBuilderTest, APushThatFailsFailsTheBuild) {
  testing::FaultyDocker faulty(&docker_);
  faulty.FailNext("Push", absl::UnavailableError("registry down"));
  DockerBuilder::Options options = Options();
  options.push = true;
  options.default_repo = "127.0.0.1:5000";
  DockerBuilder builder(&faulty, options);
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(DockerBuilderTest, WithoutPushADefaultRepoStillNamesWhatIsDeployed) {
  DockerBuilder::Options options = Options();
  options.default_repo = "gcr.io/my-project";
  DockerBuilder builder(&docker_, options);
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  // The manifests get the rewritten name; the engine runs the image by its id.
  EXPECT_THAT(*ref, MatchesRegex("gcr\\.io/my-project/web:[0-9a-f]{12}@sha256:[0-9a-f]+"));
  EXPECT_EQ(RunnableImage(*ref), ref->substr(ref->find('@') + 1));
  EXPECT_EQ(docker_.calls("Push"), 0);
}

TEST_F(DockerBuilderTest, AFailedStepCarriesBuildUserError) {
  std::ofstream(dir_ + "/Dockerfile") << "FROM scratch\nCOPY missing.txt /x\n";
  DockerBuilder builder(&docker_, Options());
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
}

TEST_F(DockerBuilderTest, UnknownImageIsInvalidArgument) {
  DockerBuilder builder(&docker_, Options());
  EXPECT_EQ(builder.Build({.image = "db"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DockerBuilderTest, CancelBeforeTheBuildStartsCancelsIt) {
  DockerBuilder builder(&docker_, Options());
  builder.Cancel("web");
  absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildDockerCancelled);
  // The cancellation was used up: the next build runs.
  EXPECT_TRUE(builder.Build({.image = "web"}).ok());
}

TEST_F(DockerBuilderTest, ACancelledBuildRunsNoHookAndSendsNoContext) {
  DockerBuilder builder(&docker_, Options());
  builder.Cancel("web");
  bool hook_ran = false;
  absl::StatusOr<std::string> ref = builder.Build({.image = "web", .before_build = [&] {
                                                     hook_ran = true;
                                                     return absl::OkStatus();
                                                   }});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildDockerCancelled);
  EXPECT_FALSE(hook_ran);
  EXPECT_EQ(docker_.calls("Build"), 0);
}

TEST_F(DockerBuilderTest, PrebuiltImagesAreNotBuilt) {
  DockerBuilder::Options o = Options();
  o.prebuilt["web"] = "web:given";
  DockerBuilder builder(&docker_, o);
  EXPECT_EQ(builder.Build({.image = "web"}).value_or(""), "web:given");
  EXPECT_EQ(docker_.calls("Build"), 0);
}

TEST_F(DockerBuilderTest, CleanupRemovesOnlyImagesWithTheOwnerLabel) {
  DockerBuilder builder(&docker_, Options());
  ASSERT_TRUE(builder.Build({.image = "web"}).ok());
  DockerBuilder::Options other = Options();
  other.labels = {{"dev.devloop.run-id", "someone-else"}};
  other.owner_label = {"dev.devloop.run-id", "someone-else"};
  std::ofstream(dir_ + "/index.html") << "other\n";  // another image
  ASSERT_TRUE(DockerBuilder(&docker_, other).Build({.image = "web"}).ok());

  ASSERT_TRUE(builder.Cleanup().ok());
  EXPECT_TRUE(docker_.ListImages("dev.devloop.run-id", "run1")->empty());
  EXPECT_EQ(docker_.ListImages("dev.devloop.run-id", "someone-else")->size(), 1u);
}

// The artifact cache across runs: images carry the cache label, not the run's,
// so Cleanup keeps them and the next run of the project builds nothing.
TEST_F(DockerBuilderTest, CachedImagesOutliveTheRunAndServeTheNext) {
  DockerBuilder::Options o = Options();
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  DockerBuilder first(&docker_, o);
  absl::StatusOr<std::string> built = first.Build({.image = "web"});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(docker_.ListImages("dev.devloop.run-id", "run1")->empty());
  ASSERT_TRUE(first.Cleanup().ok());
  EXPECT_EQ(docker_.ListImages(kCacheLabel, "proj/web")->size(), 1u);

  o.labels = {{"dev.devloop.run-id", "run2"}};
  o.owner_label = {"dev.devloop.run-id", "run2"};
  DockerBuilder second(&docker_, o);
  absl::StatusOr<std::string> again = second.Build({.image = "web"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(RunnableImage(*again), RunnableImage(*built));
  EXPECT_EQ(docker_.calls("Build"), 1) << "the second run found the first run's image";
}

// Two projects (or two copies of one) with the same inputs: each builds its
// own image and reuses only its own cache, so one's prune never pulls an image
// from under the other.
TEST_F(DockerBuilderTest, TheCacheServesOnlyItsOwnScope) {
  DockerBuilder::Options o = Options();
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  absl::StatusOr<std::string> mine = DockerBuilder(&docker_, o).Build({.image = "web"});
  ASSERT_TRUE(mine.ok()) << mine.status();
  o.cache_scope = "copy-of-proj";
  absl::StatusOr<std::string> theirs = DockerBuilder(&docker_, o).Build({.image = "web"});
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(RunnableImage(*theirs), RunnableImage(*mine));
  EXPECT_EQ(docker_.calls("Build"), 2);
  o.cache_scope = "proj";
  absl::StatusOr<std::string> again = DockerBuilder(&docker_, o).Build({.image = "web"});
  EXPECT_EQ(RunnableImage(again.value_or("")), RunnableImage(*mine));
  EXPECT_EQ(docker_.calls("Build"), 2);
}

// Cleanup prunes each artifact's cache to the image used last plus the newest
// others, three in all; another scope's images and unlabelled ones stay.
TEST_F(DockerBuilderTest, CleanupKeepsTheLastUsedAndNewestCachedImages) {
  DockerBuilder::Options o = Options();
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  DockerBuilder::Options elsewhere = o;
  elsewhere.cache_scope = "other-project";
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 5; ++i) {
    std::ofstream(dir_ + "/index.html") << "version " << i << "\n";
    absl::StatusOr<std::string> ref = DockerBuilder(&docker_, o).Build({.image = "web"});
    ASSERT_TRUE(ref.ok()) << ref.status();
    ids.push_back(RunnableImage(*ref));
  }
  std::ofstream(dir_ + "/index.html") << "another project's\n";
  ASSERT_TRUE(DockerBuilder(&docker_, elsewhere).Build({.image = "web"}).ok());
  // The run goes back to the first version: found in the cache, used last.
  std::ofstream(dir_ + "/index.html") << "version 0\n";
  DockerBuilder run(&docker_, o);
  absl::StatusOr<std::string> reverted = run.Build({.image = "web"});
  ASSERT_TRUE(reverted.ok()) << reverted.status();
  ASSERT_EQ(RunnableImage(*reverted), ids[0]);

  ASSERT_TRUE(run.Cleanup().ok());
  EXPECT_EQ(*docker_.ListImages(kCacheLabel, "proj/web"),
            (std::vector<std::string>{ids[4], ids[3], ids[0]}));
  EXPECT_EQ(docker_.ListImages(kCacheLabel, "other-project/web")->size(), 1u);
}

// The request's build hooks: around a real build (the after hook once the
// image is pushed), never on an artifact-cache hit or for a prebuilt image.
BuildRequest Hooked(const std::string& image, std::vector<std::string>* calls,
                    testing::FakeDocker* docker, absl::Status before = absl::OkStatus()) {
  return {.image = image,
          .before_build =
              [calls, docker, before] {
                calls->push_back(absl::StrCat("before (builds so far: ", docker->calls("Build"),
                                              ")"));
                return before;
              },
          .after_build =
              [calls, docker] {
                calls->push_back(absl::StrCat("after (pushed: ", docker->pushed().size(), ")"));
                return absl::OkStatus();
              }};
}

TEST_F(DockerBuilderTest, BuildHooksRunAroundARealBuildAfterThePush) {
  DockerBuilder::Options o = Options();
  o.push = true;
  o.default_repo = "127.0.0.1:5000";
  DockerBuilder builder(&docker_, o);
  std::vector<std::string> calls;
  ASSERT_TRUE(builder.Build(Hooked("web", &calls, &docker_)).ok());
  EXPECT_EQ(calls, (std::vector<std::string>{"before (builds so far: 0)", "after (pushed: 1)"}));
}

TEST_F(DockerBuilderTest, BuildHooksDoNotRunWhenTheArtifactCacheHasTheImage) {
  DockerBuilder::Options o = Options();
  o.cache_artifacts = true;
  o.cache_scope = "proj";
  std::vector<std::string> calls;
  ASSERT_TRUE(DockerBuilder(&docker_, o).Build(Hooked("web", &calls, &docker_)).ok());
  ASSERT_EQ(calls.size(), 2u);

  calls.clear();
  ASSERT_TRUE(DockerBuilder(&docker_, o).Build(Hooked("web", &calls, &docker_)).ok());
  EXPECT_EQ(docker_.calls("Build"), 1) << "found in the cache";
  EXPECT_TRUE(calls.empty()) << "hooks ran on a cache hit: " << calls.front();

  // A change is a real build again, with its hooks.
  std::ofstream(dir_ + "/index.html") << "changed\n";
  ASSERT_TRUE(DockerBuilder(&docker_, o).Build(Hooked("web", &calls, &docker_)).ok());
  EXPECT_EQ(calls, (std::vector<std::string>{"before (builds so far: 1)", "after (pushed: 0)"}));
}

TEST_F(DockerBuilderTest, AFailingBeforeHookFailsTheBuildWithoutBuilding) {
  DockerBuilder builder(&docker_, Options());
  std::vector<std::string> calls;
  absl::StatusOr<std::string> ref = builder.Build(
      Hooked("web", &calls, &docker_,
             domain::WithStatusCode(absl::AbortedError("hook says no"),
                                    domain::StatusCode::kBuildUserError)));
  EXPECT_EQ(ref.status().message(), "hook says no");
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
  EXPECT_EQ(docker_.calls("Build"), 0);
  EXPECT_EQ(calls, (std::vector<std::string>{"before (builds so far: 0)"}));
}

TEST_F(DockerBuilderTest, PrebuiltImagesRunNoBuildHooks) {
  DockerBuilder::Options o = Options();
  o.prebuilt["web"] = "web:given";
  DockerBuilder builder(&docker_, o);
  std::vector<std::string> calls;
  EXPECT_EQ(builder.Build(Hooked("web", &calls, &docker_)).value_or(""), "web:given");
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace devloop::build
