#include "testing/e2e/docker_sweep.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/example.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Value(const std::string& label) { return label.substr(label.find('=') + 1); }

class DockerSweepTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer"; }
  // Whatever happened, nothing of this test stays behind.
  void TearDown() override {
    absl::Status s = SweepDockerObjects(swept_);
    EXPECT_TRUE(s.ok()) << s;
    s = SweepDockerObjects(bystander_);
    EXPECT_TRUE(s.ok()) << s;
  }

  absl::StatusOr<CommandResult> Docker(std::vector<std::string> args) {
    args.insert(args.begin(), "docker");
    return RunCommand(args, absl::Seconds(120));
  }

  const std::string swept_ = UniqueTestLabel("sweep");
  const std::string bystander_ = UniqueTestLabel("bystander");
};

TEST_F(DockerSweepTest, RemovesEverythingWithTheLabelAndNothingElse) {
  absl::StatusOr<std::string> dir = CopyExample("getting-started");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string image = "devloop-sweep-test:" + Value(swept_);
  absl::Status built = BuildLabelledImage(swept_, image, *dir);
  ASSERT_TRUE(built.ok()) << built;
  absl::StatusOr<CommandResult> r = Docker({"network", "create", "--label", swept_, "devloop-sweep-" + Value(swept_)});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
  r = Docker({"run", "-d", "--label", swept_, "--network", "devloop-sweep-" + Value(swept_),
              "--name", "devloop-sweep-" + Value(swept_), image});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
  // A container and image devloop did not create (another label).
  std::string other_image = "devloop-sweep-test:" + Value(bystander_);
  built = BuildLabelledImage(bystander_, other_image, *dir);
  ASSERT_TRUE(built.ok()) << built;
  r = Docker({"run", "-d", "--label", bystander_, "--name", "devloop-bystander-" + Value(bystander_),
              other_image});
  ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());

  absl::StatusOr<DockerObjects> before = ListDockerObjects(swept_);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(before->containers, SizeIs(1));
  EXPECT_THAT(before->networks, SizeIs(1));
  EXPECT_THAT(before->images, SizeIs(1));

  absl::Status swept = SweepDockerObjects(swept_);
  ASSERT_TRUE(swept.ok()) << swept;
  absl::StatusOr<DockerObjects> after = ListDockerObjects(swept_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(after->containers, IsEmpty());
  EXPECT_THAT(after->networks, IsEmpty());
  EXPECT_THAT(after->images, IsEmpty());

  absl::StatusOr<DockerObjects> bystander = ListDockerObjects(bystander_);
  ASSERT_TRUE(bystander.ok()) << bystander.status();
  EXPECT_THAT(bystander->containers, SizeIs(1));
  EXPECT_THAT(bystander->images, SizeIs(1));
  r = Docker({"inspect", "-f", "{{.State.Running}}", "devloop-bystander-" + Value(bystander_)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "true\n");
}

TEST_F(DockerSweepTest, SweepingNothingSucceeds) {
  EXPECT_TRUE(SweepDockerObjects(UniqueTestLabel("empty")).ok());
  absl::StatusOr<DockerObjects> none = ListDockerObjects(UniqueTestLabel("empty"));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace devloop::e2e
