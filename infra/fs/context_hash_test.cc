#include "infra/fs/context_hash.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace devloop::fs {
namespace {

class ContextHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-hash-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ + "/src");
    Write("Dockerfile", "FROM scratch\n");
    Write("src/a.txt", "alpha");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(root_ + "/" + rel, std::ios::binary) << content;
  }
  std::string Hash() {
    absl::StatusOr<std::string> h = HashBuildContext(root_);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.value_or("");
  }
  std::string root_;
};

TEST_F(ContextHashTest, StableAndSensitiveToContentNameAndMode) {
  std::string h = Hash();
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(Hash(), h);
  // Same content, new mtime: same digest.
  Write("src/a.txt", "alpha");
  EXPECT_EQ(Hash(), h);
  Write("src/a.txt", "alphA");
  std::string content_changed = Hash();
  EXPECT_NE(content_changed, h);
  chmod((root_ + "/src/a.txt").c_str(), 0755);
  EXPECT_NE(Hash(), content_changed);
  chmod((root_ + "/src/a.txt").c_str(), 0644);
  std::filesystem::rename(root_ + "/src/a.txt", root_ + "/src/b.txt");
  EXPECT_NE(Hash(), content_changed);
}

TEST_F(ContextHashTest, MovingBytesBetweenFilesChangesTheDigest) {
  Write("src/a.txt", "ab");
  Write("src/b.txt", "c");
  std::string h = Hash();
  Write("src/a.txt", "a");
  Write("src/b.txt", "bc");
  EXPECT_NE(Hash(), h);
}

TEST_F(ContextHashTest, HonoursDockerignore) {
  std::string h = Hash();
  Write(".dockerignore", "*.log\n");
  std::string with_ignore = Hash();
  EXPECT_NE(with_ignore, h);  // .dockerignore itself counts
  Write("debug.log", "noise");
  EXPECT_EQ(Hash(), with_ignore);
  Write("src/c.txt", "counts");
  EXPECT_NE(Hash(), with_ignore);
}

TEST_F(ContextHashTest, LeavesOutTheConfigFilesItIsGiven) {
  Write("skaffold.yaml", "apiVersion: skaffold/v4beta13\n");
  const std::vector<std::string> config = {root_ + "/skaffold.yaml", "/elsewhere/skaffold.yaml"};
  absl::StatusOr<std::string> before = HashBuildContext(root_, config);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_NE(*before, Hash()) << "without the list the config counts";
  Write("skaffold.yaml", "apiVersion: skaffold/v4beta13\n# edited\n");
  EXPECT_EQ(HashBuildContext(root_, config).value_or(""), *before);
  Write("src/a.txt", "changed");
  EXPECT_NE(HashBuildContext(root_, config).value_or(""), *before);
}

TEST_F(ContextHashTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(HashBuildContext(root_ + "/nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace devloop::fs
