#include "domain/paths/glob.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::HasSubstr;

struct MatchCase {
  std::string pattern;
  std::string path;
  bool want;
};

TEST(GlobTest, MatchTable) {
  const std::vector<MatchCase> cases = {
      // Literals.
      {"main.go", "main.go", true},
      {"main.go", "main.goo", false},
      {"main.go", "src/main.go", false},
      {"", "", true},
      {"", "a", false},
      // '*' stays inside one element.
      {"*.go", "main.go", true},
      {"*.go", ".go", true},
      {"*.go", "src/main.go", false},
      {"src/*.go", "src/main.go", true},
      {"src/*", "src/a/b", false},
      {"*", "", true},
      {"*", "a/b", false},
      {"a*b*c", "abc", true},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxbyy", false},
      {"*/*.css", "static/site.css", true},
      // '?' is one character but never '/'.
      {"?.txt", "a.txt", true},
      {"?.txt", "ab.txt", false},
      {"a?b", "a/b", false},
      // Character classes.
      {"[abc].txt", "b.txt", true},
      {"[abc].txt", "d.txt", false},
      {"[a-c]x", "cx", true},
      {"[a-c]x", "dx", false},
      {"[^a-c]x", "dx", true},
      {"[^a-c]x", "ax", false},
      {"[!a-c]x", "dx", true},
      {"a[/]b", "a/b", false},
      {"[]]", "]", true},
      {"[a-]", "-", true},
      {"[\\]]x", "]x", true},
      // Escapes.
      {"\\*.go", "*.go", true},
      {"\\*.go", "a.go", false},
      {"a\\?", "a?", true},
      // '**' spans directories.
      {"**", "a/b/c", true},
      {"**", "", true},
      {"**/*.js", "x.js", true},
      {"**/*.js", "d/e/x.js", true},
      {"**/*.js", "d/e/x.ts", false},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**/b", "a/xb", false},
      {"a/**/b", "b", false},
      {"a/**", "a/x", true},
      {"a/**", "a/x/y/z", true},
      {"a/**", "a", false},
      {"a/**", "ab/x", false},
      {"static/**/*.css", "static/site.css", true},
      {"static/**/*.css", "static/css/deep/site.css", true},
      {"static/**/*.css", "other/site.css", false},
      {"**/node_modules/**", "web/node_modules/x/y.js", true},
      {"**/node_modules/**", "node_modules/y.js", true},
      {"**/node_modules/**", "web/node_modulesx/y.js", false},
  };
  for (const MatchCase& c : cases) {
    absl::StatusOr<Glob> glob = Glob::Compile(c.pattern);
    ASSERT_TRUE(glob.ok()) << c.pattern << ": " << glob.status();
    EXPECT_EQ(glob->Matches(c.path), c.want)
        << "pattern \"" << c.pattern << "\" path \"" << c.path << "\"";
    EXPECT_EQ(GlobMatch(c.pattern, c.path), c.want) << c.pattern << " " << c.path;
  }
}

TEST(GlobTest, MalformedPatternsAreErrorsThatSayWhere) {
  const std::vector<std::string> bad = {"[abc", "a[", "x\\", "[z-a]", "[]"};
  for (const std::string& pattern : bad) {
    absl::StatusOr<Glob> glob = Glob::Compile(pattern);
    ASSERT_FALSE(glob.ok()) << pattern;
    EXPECT_EQ(glob.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(glob.status().message()), HasSubstr("\"" + pattern + "\""));
    EXPECT_THAT(std::string(glob.status().message()), HasSubstr("offset"));
    EXPECT_FALSE(GlobMatch(pattern, pattern));
  }
}

TEST(GlobTest, LiteralPrefixIsTheWildcardFreeDirectories) {
  EXPECT_EQ(Glob::Compile("static/css/*.css")->literal_prefix(), "static/css");
  EXPECT_EQ(Glob::Compile("*.go")->literal_prefix(), "");
  EXPECT_EQ(Glob::Compile("a/b")->literal_prefix(), "a/b");
  EXPECT_EQ(Glob::Compile("a/b*/c")->literal_prefix(), "a");
  EXPECT_EQ(Glob::Compile("**/x")->literal_prefix(), "");
}

TEST(GlobTest, ManyStarsStayFast) {
  // Exponential backtracking would not finish this; the table walk does.
  std::string path(2000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a", path));
  EXPECT_TRUE(GlobMatch("**/a*a*a", "x/y/" + path));
  // "**" inside an element is "any directories": it never stands for letters.
  EXPECT_FALSE(GlobMatch("**a**a", path));
}

}  // namespace
}  // namespace devloop::domain
