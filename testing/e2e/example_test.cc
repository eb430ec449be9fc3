#include "testing/e2e/example.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/files.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR);
}

TEST(CopyExampleTest, CopiesTheProjectAndPlacesBusyboxInEachBuildContext) {
  absl::StatusOr<std::string> dir = CopyExample("microservices");
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<std::string> config = ReadFile(*dir + "/skaffold.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(*config, HasSubstr("apiVersion: skaffold/v4beta13"));
  absl::StatusOr<std::string> original = ReadFile("/bin/busybox");
  ASSERT_TRUE(original.ok());
  for (const char* context : {"/leeroy-web", "/leeroy-app"}) {
    std::string busybox = *dir + context + "/busybox";
    EXPECT_TRUE(IsExecutableFile(busybox)) << busybox;
    absl::StatusOr<std::string> copy = ReadFile(busybox);
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_TRUE(*copy == *original) << busybox << " differs from /bin/busybox";
  }
  EXPECT_TRUE(IsExecutableFile(*dir + "/leeroy-web/www/cgi-bin/index.cgi"));
}

TEST(CopyExampleTest, TheCopyIsRealFilesATestMayEdit) {
  absl::StatusOr<std::string> dir = CopyExample("sync");
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string index = *dir + "/www/index.html";
  struct stat st;
  ASSERT_EQ(lstat(index.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "runfiles symlink copied as a symlink";
  ASSERT_TRUE(ReplaceInFile(index, "Synced without a rebuild", "Edited").ok());
  absl::StatusOr<std::string> text = ReadFile(index);
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("Edited"));
  // The example in the runfiles is untouched.
  absl::StatusOr<std::string> source = ReadFile(ExamplesRoot() + "/sync/www/index.html");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_THAT(*source, HasSubstr("Synced without a rebuild"));
}

TEST(CopyExampleTest, EveryExampleCopies) {
  for (const char* name : {"getting-started", "hooks", "sync", "microservices"}) {
    absl::StatusOr<std::string> dir = CopyExample(name);
    EXPECT_TRUE(dir.ok()) << name << ": " << dir.status();
  }
}

TEST(CopyExampleTest, UnknownExampleSaysWhichDataDepToAdd) {
  absl::StatusOr<std::string> dir = CopyExample("no-such-example");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(dir.status().message(), HasSubstr("//testing/examples:no-such-example"));
}

TEST(FilesTest, ReplaceInFileFailsLoudlyWhenTheTextIsNotThere) {
  absl::StatusOr<std::string> dir = MakeTempDir("files");
  ASSERT_TRUE(dir.ok());
  std::string path = *dir + "/a.txt";
  ASSERT_TRUE(WriteFile(path, "hello").ok());
  absl::Status s = ReplaceInFile(path, "bye", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(path));
  ASSERT_TRUE(AppendToFile(path, " world").ok());
  EXPECT_EQ(*ReadFile(path), "hello world");
  EXPECT_FALSE(ReadFile(*dir + "/missing").ok());
}

}  // namespace
}  // namespace devloop::e2e
