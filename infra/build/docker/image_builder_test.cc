// BuildImage on the fake engine: tags by the policy, deploy references that
// change with the image, the input-digest cache, and required artifacts.
#include "infra/build/docker/image_builder.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "domain/events/status_payload.h"
#include "testing/fakes/fake_docker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::build {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Remembers the requests it builds.
class RecordingDocker : public testing::FakeDocker {
 public:
  absl::StatusOr<docker::BuildResult> Build(const docker::BuildRequest& request) override {
    requests.push_back(request);
    return FakeDocker::Build(request);
  }
  std::vector<docker::BuildRequest> requests;
};

class ImageBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-image-builder-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    Write("Dockerfile", "FROM scratch\nCOPY index.html /www/index.html\n");
    Write("index.html", "hello\n");
    tagger_ = *Tagger::Make({.policy = config::Sha256Tagger{}});
  }
  void TearDown() override { (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(absl::StrCat(dir_, "/", name)) << content;
  }
  ArtifactBuildSpec Spec(const std::string& image = "web") {
    return {.spec = {.image = image}, .context_dir = dir_};
  }

  std::string dir_;
  std::unique_ptr<Tagger> tagger_;
  RecordingDocker docker_;
};

TEST_F(ImageBuilderTest, TagsByThePolicyAndDeploysByTheId) {
  absl::StatusOr<BuiltImage> built =
      BuildImage(&docker_, Spec("gcr.io/x/web:old"), {}, {.tagger = tagger_.get()});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->tag, "gcr.io/x/web:latest");
  EXPECT_THAT(built->image_id, MatchesRegex("sha256:[0-9a-f]{64}"));
  EXPECT_EQ(built->DeployReference(), built->tag + "@" + built->image_id);
  EXPECT_FALSE(built->cached);
  // The engine knows the tag.
  absl::StatusOr<std::string> id = docker_.Run({.image = "gcr.io/x/web:latest"});
  EXPECT_TRUE(id.ok()) << id.status();
}

TEST_F(ImageBuilderTest, SameTagTwiceStillGivesANewDeployReference) {
  BuiltImage first = *BuildImage(&docker_, Spec(), {}, {.tagger = tagger_.get()});
  Write("index.html", "changed\n");
  BuiltImage second = *BuildImage(&docker_, Spec(), {}, {.tagger = tagger_.get()});
  EXPECT_EQ(first.tag, second.tag);
  EXPECT_NE(first.DeployReference(), second.DeployReference());
  EXPECT_EQ(RunnableImage(second.DeployReference()), second.image_id);
}

TEST_F(ImageBuilderTest, WithoutATaggerTheTagIsTheShortId) {
  BuiltImage built = *BuildImage(&docker_, Spec(), {}, {});
  EXPECT_EQ(built.tag, absl::StrCat("web:", built.image_id.substr(7, 12)));
}

TEST_F(ImageBuilderTest, LabelsTheImageWithItsInputDigest) {
  BuiltImage built = *BuildImage(&docker_, Spec(), {}, {.labels = {{"run", "r1"}}});
  ASSERT_EQ(docker_.requests.size(), 1u);
  EXPECT_EQ(docker_.requests[0].labels.at(kInputDigestLabel), built.input_digest);
  EXPECT_EQ(docker_.requests[0].labels.at("run"), "r1");
  EXPECT_EQ(built.input_digest, InputDigest(Spec(), {}).value());
}

TEST_F(ImageBuilderTest, CacheReusesAnImageWithTheSameInputs) {
  BuiltImage first = *BuildImage(&docker_, Spec(), {}, {.tagger = tagger_.get(), .cache = true});
  BuiltImage again = *BuildImage(&docker_, Spec(), {}, {.tagger = tagger_.get(), .cache = true});
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.image_id, first.image_id);
  EXPECT_EQ(docker_.calls("Build"), 1);

  Write("index.html", "changed\n");
  BuiltImage changed = *BuildImage(&docker_, Spec(), {}, {.tagger = tagger_.get(), .cache = true});
  EXPECT_FALSE(changed.cached);
  EXPECT_EQ(docker_.calls("Build"), 2);

  ArtifactBuildSpec with_arg = Spec();
  with_arg.build_args["MODE"] = "debug";
  EXPECT_FALSE(BuildImage(&docker_, with_arg, {}, {.cache = true})->cached);
}

TEST_F(ImageBuilderTest, CacheOffAlwaysBuilds) {
  (void)*BuildImage(&docker_, Spec(), {}, {.cache = false});
  BuiltImage again = *BuildImage(&docker_, Spec(), {}, {.cache = false});
  EXPECT_FALSE(again.cached);
  EXPECT_EQ(docker_.calls("Build"), 2);
}

TEST_F(ImageBuilderTest, RequiredArtifactsArriveAsTheirImageId) {
  ArtifactBuildSpec app = Spec("app");
  app.require_aliases = {{"base", "BASE"}};
  absl::StatusOr<BuiltImage> missing = BuildImage(&docker_, app, {}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("base"));

  BuiltImage one = *BuildImage(&docker_, app, {{"base", "sha256:aaa"}}, {.cache = true});
  EXPECT_EQ(docker_.requests.back().build_args.at("BASE"), "sha256:aaa");
  // A new base image is a new input: no cache hit.
  BuiltImage two = *BuildImage(&docker_, app, {{"base", "sha256:bbb"}}, {.cache = true});
  EXPECT_FALSE(two.cached);
  EXPECT_NE(one.input_digest, two.input_digest);
}

// The engine builds one platform per POST /build: the artifact's one target
// platform goes with the request; more than one is refused before any build.
TEST_F(ImageBuilderTest, OneTargetPlatformGoesToTheEngineAndIsAnInput) {
  BuiltImage native = *BuildImage(&docker_, Spec(), {}, {.cache = true});
  EXPECT_EQ(docker_.requests.back().platform, "");

  ArtifactBuildSpec arm = Spec();
  arm.platforms = {"linux/arm64"};
  BuiltImage built = *BuildImage(&docker_, arm, {}, {.cache = true});
  EXPECT_FALSE(built.cached) << "another platform is another image";
  EXPECT_EQ(docker_.requests.back().platform, "linux/arm64");
  EXPECT_NE(built.input_digest, native.input_digest);

  ArtifactBuildSpec both = Spec();
  both.platforms = {"linux/amd64", "linux/arm64"};
  const size_t before = docker_.requests.size();
  absl::StatusOr<BuiltImage> refused = BuildImage(&docker_, both, {}, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(domain::AttachedStatusCode(refused.status()), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(refused.status().message(), HasSubstr("linux/amd64,linux/arm64"));
  EXPECT_THAT(refused.status().message(), HasSubstr("buildx"));
  EXPECT_EQ(docker_.requests.size(), before);
}

TEST_F(ImageBuilderTest, BuildErrorsPassThrough) {
  Write("Dockerfile", "FROM scratch\nCOPY missing.txt /x\n");
  absl::StatusOr<BuiltImage> built = BuildImage(&docker_, Spec(), {}, {});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), absl::StatusCode::kAborted);
}

TEST(ReferenceTest, RunnableAndDisplay) {
  EXPECT_EQ(RunnableImage("web:v1@sha256:abc"), "sha256:abc");
  EXPECT_EQ(RunnableImage("web:v1"), "web:v1");
  EXPECT_EQ(RunnableImage("gcr.io/x/web@sha256:abc"), "gcr.io/x/web@sha256:abc");
  EXPECT_EQ(DisplayReference("web:v1@sha256:abc"), "web:v1");
  EXPECT_EQ(DisplayReference("web:v1"), "web:v1");
}

}  // namespace
}  // namespace devloop::build

namespace devloop::build {
namespace {

TEST(ImageBuilderRetryTest, ACachedLayerRemovedDuringTheBuildBuildsAgain) {
  char tmpl[] = "/tmp/devloop-image-builder-retry-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/Dockerfile") << "FROM scratch\nCOPY index.html /www/index.html\n";
  std::ofstream(dir + "/index.html") << "hello\n";
  testing::FakeDocker fake;
  testing::FaultyDocker docker(&fake);
  docker.FailNext("Build", absl::InternalError("failed to export image: failed to set parent "
                                               "sha256:1688: unknown parent image ID sha256:1688"));
  absl::StatusOr<BuiltImage> built =
      BuildImage(&docker, {.spec = {.image = "web"}, .context_dir = dir}, {}, {});
  EXPECT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(fake.calls("Build"), 1) << "the failed try never reached the engine";

  // Any other failure is the build's answer.
  docker.FailNext("Build", absl::InternalError("COPY failed: no such file"));
  built = BuildImage(&docker, {.spec = {.image = "web"}, .context_dir = dir}, {}, {});
  EXPECT_FALSE(built.ok());
  (void)std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace devloop::build
