#include "domain/paths/path.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct CleanCase {
  std::string in;
  std::string want;
};

TEST(CleanPathTest, Table) {
  const std::vector<CleanCase> cases = {
      {"", "."},
      {".", "."},
      {"./", "."},
      {"a", "a"},
      {"a/", "a"},
      {"a//b", "a/b"},
      {"./a/./b/.", "a/b"},
      {"a/b/../c", "a/c"},
      {"a/../..", ".."},
      {"../a", "../a"},
      {"../../a/../b", "../../b"},
      {"a/b/../../..", ".."},
      {"/", "/"},
      {"//a//", "/a"},
      {"/../a", "/a"},
      {"/a/b/..", "/a"},
      {"a/..", "."},
      {"...", "..."},
      {"a/.b/..c", "a/.b/..c"},
  };
  for (const CleanCase& c : cases) {
    EXPECT_EQ(CleanPath(c.in), c.want) << "CleanPath(\"" << c.in << "\")";
  }
}

TEST(JoinPathTest, Table) {
  EXPECT_EQ(JoinPath("", ""), "");
  EXPECT_EQ(JoinPath("a", ""), "a");
  EXPECT_EQ(JoinPath("", "b/"), "b");
  EXPECT_EQ(JoinPath("a/", "/b"), "a/b");
  EXPECT_EQ(JoinPath("a/b", "../c"), "a/c");
  EXPECT_EQ(JoinPath(".", "x"), "x");
  EXPECT_EQ(JoinPath("/app", "static/x.css"), "/app/static/x.css");
}

struct ResolveCase {
  std::string base;
  std::string path;
  std::string want;
};

TEST(ResolvePathTest, Table) {
  const std::vector<ResolveCase> cases = {
      {"/app", "src/x", "/app/src/x"},
      {"/app", "/etc", "/etc"},       // a rooted path stands alone
      {"/app", "/etc/../x/", "/x"},
      {"/app/", "../srv", "/srv"},
      {"/", "app", "/app"},
      {"", "a", "a"},
      {"", "/a", "/a"},
      {"", "", "."},
      {"a", "", "a"},
      {"a", ".", "a"},
      {"a/b", "../../..", ".."},
      {"/p", "skaffold.yaml", "/p/skaffold.yaml"},
  };
  for (const ResolveCase& c : cases) {
    EXPECT_EQ(ResolvePath(c.base, c.path), c.want)
        << "ResolvePath(\"" << c.base << "\", \"" << c.path << "\")";
  }
}

struct InsideCase {
  std::string dir;
  std::string path;
  bool want;
};

TEST(IsInsideTest, Table) {
  const std::vector<InsideCase> cases = {
      {"app", "app", true},
      {"app", "app/main.go", true},
      {"app/", "./app/x/y", true},
      {"app", "application/x", false},
      {"app", "ap", false},
      {"app/x", "app", false},
      {"app", "app/../other", false},
      {".", "anything/here", true},
      {".", ".", true},
      {".", "../up", false},
      {".", "..", false},
      {"", "x", true},
      {"/", "/etc", true},
      {"/app", "/app/x", true},
      {"/app", "/apple", false},
      {"a", "../a/b", false},
  };
  for (const InsideCase& c : cases) {
    EXPECT_EQ(IsInside(c.dir, c.path), c.want)
        << "IsInside(\"" << c.dir << "\", \"" << c.path << "\")";
  }
}

TEST(RelativeToTest, InsideAndOutside) {
  EXPECT_EQ(*RelativeTo("app", "app/static/x.css"), "static/x.css");
  EXPECT_EQ(*RelativeTo("app", "app"), ".");
  EXPECT_EQ(*RelativeTo(".", "a/b"), "a/b");
  EXPECT_EQ(*RelativeTo("/", "/etc/x"), "etc/x");
  absl::StatusOr<std::string> out = RelativeTo("app", "web/x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("\"web/x\""));
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("\"app\""));
}

TEST(PathPartsTest, SplitDirBase) {
  EXPECT_THAT(SplitPath("a//b/./c/"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitPath("."), IsEmpty());
  EXPECT_THAT(SplitPath(""), IsEmpty());
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(BaseName("a/b/c.txt"), "c.txt");
  EXPECT_EQ(BaseName("c/"), "c");
  EXPECT_EQ(BaseName("/"), "/");
  EXPECT_TRUE(EscapesRoot("a/../../b"));
  EXPECT_FALSE(EscapesRoot("a/../b"));
  EXPECT_FALSE(EscapesRoot("..a"));
}

}  // namespace
}  // namespace devloop::domain
