#include "infra/config/config_files.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(LocalConfigFilesTest, ReadsAndAnswersExistence) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/files";
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  std::ofstream(dir + "/skaffold.yaml") << "apiVersion: skaffold/v4beta13\n";
  LocalConfigFiles files;
  absl::StatusOr<std::string> text = files.Read(dir + "/skaffold.yaml");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "apiVersion: skaffold/v4beta13\n");
  EXPECT_TRUE(files.IsFile(dir + "/skaffold.yaml"));
  EXPECT_FALSE(files.IsDirectory(dir + "/skaffold.yaml"));
  EXPECT_TRUE(files.IsDirectory(dir));
  EXPECT_FALSE(files.IsFile(dir));
  EXPECT_TRUE(absl::IsNotFound(files.Read(dir + "/nope.yaml").status()));
  EXPECT_EQ(files.Read(dir).status().message(), dir + ": is a directory, expected a file");
}

}  // namespace
}  // namespace devloop::config
