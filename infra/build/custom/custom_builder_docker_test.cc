// CustomBuilder on the real Docker Engine, with a build command that runs the
// docker CLI as a user's script would: devloop's label goes on a child of the
// script's image (a FROM-by-id build the fake engine cannot check), $IMAGE
// moves to it, the cache finds it again without running the script, and
// removing it takes the script's own image along.
#include <stdlib.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/build/custom/custom_builder.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/build/docker/image_builder.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::build {
namespace {

using ::testing::Contains;

constexpr char kRunLabel[] = "dev.devloop.run-id";

class CustomBuilderDockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    token_ = absl::StrFormat("%08x%08x", rd(), rd());
    image_ = absl::StrCat("devloop-custom-builder-test-", token_);
    absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> d =
        docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
    ASSERT_TRUE(d.ok()) << d.status();
    docker_ = *std::move(d);
    char tmpl[] = "/tmp/devloop-custom-builder-docker-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ::mkdir((dir_ + "/context").c_str(), 0755);
    // No layer, nothing to pull: the engine builds it offline.
    std::ofstream(dir_ + "/context/Dockerfile")
        << "FROM scratch\nLABEL dev.devloop.test=" << token_ << "\n";
  }

  // Removes every image the test's builds made, also after a failure: the
  // labelled ones by their labels, the scripts' by the test's own label.
  void TearDown() override {
    if (docker_ == nullptr) return;
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{kRunLabel, absl::StrCat("r1-", token_)},
                                                          {kRunLabel, absl::StrCat("r2-", token_)},
                                                          {kCacheLabel, Scope() + "/" + image_},
                                                          {"dev.devloop.test", token_}}) {
      for (const std::string& id : docker_->ListImages(key, value).value_or(
               std::vector<std::string>{})) {
        (void)docker_->RemoveImage(id, /*force=*/true);
      }
    }
    (void)std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  std::string Scope() const { return absl::StrCat("test-", token_); }

  CustomBuilder::Options Options(const std::string& run) {
    CustomBuilder::Options o;
    ArtifactBuildSpec a;
    a.spec.image = image_;
    a.context_dir = dir_ + "/context";
    // Counts its runs outside the context, which the input digest covers.
    a.custom = config::CustomArtifact{
        .build_command = absl::StrCat("echo run >> '", dir_,
                                      "/runs' && docker build -q -t \"$IMAGE\" .")};
    o.artifacts.push_back(a);
    o.labels = {{kRunLabel, run}};
    o.owner_label = {kRunLabel, run};
    return o;
  }

  int Runs() const {
    std::ifstream in(dir_ + "/runs");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  std::string token_;
  std::string image_;
  std::string dir_;
  std::unique_ptr<docker::EngineApiDocker> docker_;
  process::PosixProcessRunner runner_;
};

TEST_F(CustomBuilderDockerTest, TheScriptsImageIsLabelledAndGoesWithTheRun) {
  const std::string run = absl::StrCat("r1-", token_);
  CustomBuilder builder(&runner_, docker_.get(), Options(run));
  std::string script_id;  // what `docker build -q` printed
  absl::StatusOr<std::string> ref = builder.Build(
      {.image = image_, .on_output = [&](absl::string_view line) {
         if (absl::StartsWith(line, "sha256:")) script_id = std::string(line);
       }});
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_FALSE(script_id.empty());
  const std::string id = RunnableImage(*ref);
  EXPECT_NE(id, script_id);
  EXPECT_THAT(*docker_->ListImages(kRunLabel, run), Contains(id));
  absl::StatusOr<docker::ImageInfo> tagged = docker_->InspectImage(image_ + ":latest");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->id, id) << "$IMAGE names the labelled image";
  absl::StatusOr<docker::ImageInfo> script = docker_->InspectImage(script_id);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_TRUE(script->repo_tags.empty()) << "the script's image keeps a name";

  ASSERT_TRUE(builder.Cleanup().ok());
  EXPECT_TRUE(docker_->ListImages(kRunLabel, run)->empty());
  EXPECT_EQ(docker_->InspectImage(script_id).status().code(), absl::StatusCode::kNotFound)
      << "the script's own image is left";
}

TEST_F(CustomBuilderDockerTest, TheNextRunFindsTheCachedImageWithoutRunningTheScript) {
  CustomBuilder::Options o = Options(absl::StrCat("r1-", token_));
  o.cache_artifacts = true;
  o.cache_scope = Scope();
  CustomBuilder first(&runner_, docker_.get(), o);
  absl::StatusOr<std::string> built = first.Build({.image = image_});
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_TRUE(first.Cleanup().ok());
  EXPECT_EQ(*docker_->ListImages(kCacheLabel, Scope() + "/" + image_),
            std::vector<std::string>{RunnableImage(*built)});

  o.labels = {{kRunLabel, absl::StrCat("r2-", token_)}};
  o.owner_label = {kRunLabel, absl::StrCat("r2-", token_)};
  CustomBuilder second(&runner_, docker_.get(), o);
  absl::StatusOr<std::string> again = second.Build({.image = image_});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(RunnableImage(*again), RunnableImage(*built));
  EXPECT_EQ(Runs(), 1) << "the second run ran the script";
}

}  // namespace
}  // namespace devloop::build
