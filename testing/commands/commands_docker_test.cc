// `devloop build`, `run`, `deploy` and `delete` end to end: the real binary on
// a copy of the getting-started example, against the real Docker Engine.
// Everything the test makes has a unique image name, project (the copy's
// path) or test label, and is removed in TearDown even when the test fails.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "apps/dev/command_support.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/example.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(absl::StripAsciiWhitespace(text), '\n', absl::SkipEmpty());
}

class CommandsDockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(e2e::DockerAvailable()) << "this test needs the Docker Engine";
    absl::StatusOr<std::string> dir = e2e::CopyExample("getting-started");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    ASSERT_TRUE(e2e::PlaceBusybox(dir_).ok());
    test_label_ = e2e::UniqueTestLabel("cmds");
    // A unique image name, so parallel tests never share tags.
    image_ = absl::StrCat("devloop-cmds-test-", test_label_.substr(test_label_.find('=') + 1));
    config_ = dir_ + "/skaffold.yaml";
    ASSERT_TRUE(e2e::ReplaceInFile(config_, "devloop-getting-started", image_).ok());
    // The sha256 policy tags "latest": a fixed tag the lifecycle below relies on.
    ASSERT_TRUE(e2e::ReplaceInFile(config_, "  local:\n", "  tagPolicy:\n    sha256: {}\n  local:\n").ok());
    project_ = apps::ProjectId(config_);
  }

  void TearDown() override {
    // The test's own container first: it holds the image.
    EXPECT_TRUE(e2e::SweepDockerObjects(test_label_).ok());
    Docker({"sh", "-c",
            absl::StrCat("docker ps -aq --filter label=", apps::kProjectLabel, "=", project_,
                         " | xargs -r docker rm -f; docker network ls -q --filter label=",
                         apps::kProjectLabel, "=", project_,
                         " | xargs -r docker network rm; docker images -q ", image_,
                         " | sort -u | xargs -r docker rmi -f")});
    EXPECT_TRUE(Project("ps -aq").empty()) << "containers left behind";
    EXPECT_TRUE(Project("network ls -q").empty()) << "networks left behind";
    EXPECT_EQ(Docker({"docker", "images", "-q", image_}), "") << "images left behind";
  }

  std::string Docker(const std::vector<std::string>& argv) {
    absl::StatusOr<e2e::CommandResult> r = e2e::RunCommand(argv);
    return r.ok() ? r->output : "";
  }
  // Ids of the project's objects, from `docker <what> --filter label=...`.
  std::vector<std::string> Project(const std::string& what) {
    return Lines(Docker({"sh", "-c",
                         absl::StrCat("docker ", what, " --filter label=", apps::kProjectLabel,
                                      "=", project_, " 2>/dev/null")}));
  }
  e2e::CommandResult Devloop(std::vector<std::string> args) {
    std::vector<std::string> argv = {e2e::Runfile("apps/devloop")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--filename=" + config_);
    absl::StatusOr<e2e::CommandResult> r = e2e::RunCommand(argv, absl::Seconds(120));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : e2e::CommandResult{.exit_code = -1};
  }

  std::string dir_, config_, image_, project_, test_label_;
};

TEST_F(CommandsDockerTest, BuildRunDeployDeleteLifecycle) {
  // build: tagged by the sha256 policy: "latest".
  const std::string out_json = dir_ + "/../" + image_ + ".json";
  e2e::CommandResult built = Devloop({"build", "--file-output", out_json});
  ASSERT_EQ(built.exit_code, 0) << built.output;
  EXPECT_EQ(absl::StripAsciiWhitespace(e2e::ReadFile(out_json).value_or("")),
            absl::StrCat(R"({"builds":[{"imageName":")", image_, R"(","tag":")", image_,
                         R"(:latest"}]})"));
  EXPECT_THAT(Lines(Docker({"docker", "images", "-q", image_ + ":latest"})), SizeIs(1));

  // The same inputs again: found in the cache, not rebuilt; --tag overrides.
  e2e::CommandResult again = Devloop({"build", "--tag", "v2"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("Found ["));
  EXPECT_EQ(Docker({"docker", "images", "-q", image_ + ":v2"}),
            Docker({"docker", "images", "-q", image_ + ":latest"}));

  // --push without --default-repo pushes to the name's own registry (Docker
  // Hub here, which cannot be reached): a clear failure, naming the image.
  e2e::CommandResult push = Devloop({"build", "--push"});
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_THAT(push.output, HasSubstr(absl::StrCat("push [", image_, ":latest] failed")));
  EXPECT_THAT(push.output, HasSubstr("is the registry running?"));

  // A container that is not the project's, which delete must leave alone.
  ASSERT_FALSE(Docker({"docker", "run", "-d", "--label", test_label_, image_ + ":latest"}).empty());

  // run: deployed, checked, left running.
  e2e::CommandResult run = Devloop({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> first = Project("ps -q");
  ASSERT_THAT(first, SizeIs(1)) << run.output;
  EXPECT_THAT(Project("network ls -q"), SizeIs(1));

  // deploy from build's output: replaces run's container.
  e2e::CommandResult deploy = Devloop({"deploy", "--build-artifacts", out_json});
  ASSERT_EQ(deploy.exit_code, 0) << deploy.output;
  std::vector<std::string> second = Project("ps -q");
  ASSERT_THAT(second, SizeIs(1));
  EXPECT_NE(second[0], first[0]);

  // delete: the project's containers and networks, nothing else.
  e2e::CommandResult deleted = Devloop({"delete"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_TRUE(Project("ps -aq").empty());
  EXPECT_TRUE(Project("network ls -q").empty());
  EXPECT_THAT(Lines(Docker({"docker", "ps", "-q", "--filter", "label=" + test_label_})), SizeIs(1))
      << "delete touched a container that is not the project's";
  EXPECT_THAT(Lines(Docker({"docker", "images", "-q", image_ + ":latest"})), SizeIs(1))
      << "delete removes containers and networks, not images";
}

TEST_F(CommandsDockerTest, RunExitsOneWhenTheStatusCheckFails) {
  // Never healthy, so never ready. (A container that exits at once is not a
  // reliable failure: the first poll may still see it running.)
  ASSERT_TRUE(e2e::AppendToFile(dir_ + "/Dockerfile",
                                "HEALTHCHECK --interval=1s --timeout=1s --retries=1 "
                                "CMD [\"/bin/busybox\", \"false\"]\n")
                  .ok());
  e2e::CommandResult run = Devloop({"run", "--status-check-deadline=8s"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("did not succeed"));
}

TEST_F(CommandsDockerTest, DeployOfAMissingImageFails) {
  e2e::CommandResult deploy = Devloop({"deploy", "--images", image_ + ":does-not-exist"});
  EXPECT_EQ(deploy.exit_code, 1) << deploy.output;
  EXPECT_THAT(deploy.output, HasSubstr("No such image"));
}

}  // namespace
}  // namespace devloop
