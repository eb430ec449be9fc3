#include "domain/paths/dockerignore.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Case {
  std::string path;
  bool excluded;
};

void ExpectTable(const DockerIgnore& ignore, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(ignore.Excludes(c.path), c.excluded) << "path \"" << c.path << "\"";
  }
}

TEST(DockerIgnoreTest, EmptyExcludesNothing) {
  DockerIgnore ignore;
  EXPECT_FALSE(ignore.Excludes("a"));
  absl::StatusOr<DockerIgnore> parsed = DockerIgnore::Parse("\n# only a comment\n   \n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(DockerIgnoreTest, CommentsCleaningAndBom) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse(
      "\xEF\xBB\xBF"
      "first\n"
      "# comment\n"
      "  ./build/  \r\n"
      "/abs/path\n"
      " #not-a-comment\n"
      "a//b/../c\n");
  ASSERT_TRUE(ignore.ok()) << ignore.status();
  EXPECT_THAT(ignore->patterns(), ElementsAre("first", "build", "abs/path", "#not-a-comment", "a/c"));
  ExpectTable(*ignore, {
                           {"first", true},
                           {"build/out.o", true},
                           {"abs/path", true},
                           {"#not-a-comment", true},
                           {"# comment", false},
                           {"a/c", true},
                           {"a/b", false},
                       });
}

TEST(DockerIgnoreTest, DirectoryPatternExcludesEverythingBelow) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse("node_modules\nsrc/gen\n*/tmp\n");
  ASSERT_TRUE(ignore.ok());
  ExpectTable(*ignore, {
                           {"node_modules", true},
                           {"node_modules/a/b/c.js", true},
                           {"web/node_modules/x", false},  // patterns anchor at the root
                           {"src/gen/x.pb.go", true},
                           {"src/generated", false},
                           {"src/main.go", false},
                           {"a/tmp/x", true},
                           {"a/b/tmp/x", false},
                       });
}

TEST(DockerIgnoreTest, ExceptionsAndLastMatchWins) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse(
      "*.md\n"
      "!README.md\n"
      "README-secret.md\n"
      "logs\n"
      "!logs/keep.log\n");
  ASSERT_TRUE(ignore.ok());
  ExpectTable(*ignore, {
                           {"CHANGES.md", true},
                           {"README.md", false},
                           {"README-secret.md", true},
                           {"docs/x.md", false},  // '*' does not cross '/'
                           {"logs/a.log", true},
                           {"logs/keep.log", false},
                           {"main.go", false},
                       });
  // Order matters: the same lines the other way round exclude README.md again.
  absl::StatusOr<DockerIgnore> reversed = DockerIgnore::Parse("!README.md\n*.md\n");
  ASSERT_TRUE(reversed.ok());
  EXPECT_TRUE(reversed->Excludes("README.md"));
}

TEST(DockerIgnoreTest, ExcludeEverythingButSomeFiles) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse("*\n!src\n!Dockerfile\nsrc/*.tmp\n");
  ASSERT_TRUE(ignore.ok());
  ExpectTable(*ignore, {
                           {"Dockerfile", false},
                           {"src/main.go", false},
                           {"src/deep/x.go", false},
                           {"src/x.tmp", true},
                           {"docs/x", true},
                           {".git/HEAD", true},
                       });
}

TEST(DockerIgnoreTest, DoubleStarPatterns) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse("**/*.pyc\n**/__pycache__\n");
  ASSERT_TRUE(ignore.ok());
  ExpectTable(*ignore, {
                           {"x.pyc", true},
                           {"a/b/x.pyc", true},
                           {"a/__pycache__/m.cpython.pyc", true},
                           {"a/__pycache__/notes.txt", true},
                           {"a/b/x.py", false},
                       });
}

TEST(DockerIgnoreTest, CanSkipDirectoryOnlyWhenNoExceptionReachesInside) {
  absl::StatusOr<DockerIgnore> ignore =
      DockerIgnore::Parse("node_modules\nlogs\n!logs/keep.log\nbuild\n");
  ASSERT_TRUE(ignore.ok());
  EXPECT_TRUE(ignore->CanSkipDirectory("node_modules"));
  EXPECT_FALSE(ignore->CanSkipDirectory("logs"));
  EXPECT_FALSE(ignore->CanSkipDirectory("src"));  // not excluded at all
  absl::StatusOr<DockerIgnore> wild = DockerIgnore::Parse("build\n!**/*.keep\n");
  ASSERT_TRUE(wild.ok());
  EXPECT_FALSE(wild->CanSkipDirectory("build"));
}

TEST(DockerIgnoreTest, BadLinesAreErrorsNamingFileAndLine) {
  absl::StatusOr<DockerIgnore> bang = DockerIgnore::Parse("a\n!\n", "app/.dockerignore");
  ASSERT_FALSE(bang.ok());
  EXPECT_EQ(bang.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bang.status().message()), HasSubstr("app/.dockerignore:2"));
  absl::StatusOr<DockerIgnore> klass = DockerIgnore::Parse("ok\n\nsrc/[ab\n");
  ASSERT_FALSE(klass.ok());
  EXPECT_THAT(std::string(klass.status().message()), HasSubstr(".dockerignore:3"));
  EXPECT_THAT(std::string(klass.status().message()), HasSubstr("src/[ab"));
  absl::StatusOr<DockerIgnore> from = DockerIgnore::FromPatterns({"a", "  !  "});
  ASSERT_FALSE(from.ok());
  EXPECT_THAT(std::string(from.status().message()), HasSubstr("pattern 2"));
}

// Found by //tools/fuzz:dockerignore_fuzz_test: "x\\\t/" cleans to a glob
// ending in an escaped tab, which FromPatterns trimmed to a dangling backslash;
// and "./!a" is the file "!a", not an exception.
TEST(DockerIgnoreTest, PatternsParseBackToTheSameRules) {
  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse("x\\\t/\n./!a\n./ b\n!./!c\n");
  ASSERT_TRUE(ignore.ok()) << ignore.status();
  absl::StatusOr<DockerIgnore> again = DockerIgnore::FromPatterns(ignore->patterns());
  ASSERT_TRUE(again.ok()) << again.status();
  for (const char* path : {"x\t", "!a", "a", " b", "b", "!c/d", "c"}) {
    EXPECT_EQ(again->Excludes(path), ignore->Excludes(path)) << path;
  }
  EXPECT_TRUE(ignore->Excludes("!a"));
  EXPECT_TRUE(again->Excludes("!a"));
}

}  // namespace
}  // namespace devloop::domain
