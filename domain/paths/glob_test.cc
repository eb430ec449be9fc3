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
      {"a/**", "ab/x", false},
      {"a/**", "b", false},
      {"static/**/*.css", "static/site.css", true},
      {"static/**/*.css", "static/css/deep/site.css", true},
      {"static/**/*.css", "other/site.css", false},
      {"**/node_modules/**", "web/node_modules/x/y.js", true},
      {"**/node_modules/**", "node_modules/y.js", true},
      {"**/node_modules/**", "web/node_modulesx/y.js", false},
      // From the config package's former matcher (sync rules).
      {"src/**/*.js", "src/main.js", true},
      {"src/**/*.js", "src/a/b/main.js", true},
      {"**/*.js", "a/b.js", true},
      {"static/*", "static/index.html", true},
      {"[!a-c].txt", "b.txt", false},
      {"**/**/x", "x", true},
      {"**/**/x", "a/b/x", true},
  };
  // Both syntaxes agree on all of these.
  for (GlobSyntax syntax : {GlobSyntax::kSkaffold, GlobSyntax::kDockerIgnore}) {
    for (const MatchCase& c : cases) {
      absl::StatusOr<Glob> glob = Glob::Compile(c.pattern, syntax);
      ASSERT_TRUE(glob.ok()) << c.pattern << ": " << glob.status();
      EXPECT_EQ(glob->Matches(c.path), c.want) << *glob << " path \"" << c.path << "\"";
      EXPECT_EQ(GlobMatch(c.pattern, c.path, syntax), c.want) << *glob << " " << c.path;
    }
  }
}

struct SyntaxCase {
  std::string pattern;
  std::string path;
  bool skaffold;
  bool docker;
};

TEST(GlobTest, SyntaxesDifferOnlyInDoubleStar) {
  const std::vector<SyntaxCase> cases = {
      // A trailing "/**" takes the directory itself in Skaffold (doublestar).
      {"a/**", "a", true, false},
      {"src/**", "src", true, false},
      {"a/b/**", "a/b", true, false},
      {"a/**", "a/", true, true},
      {"a/**", "ab", false, false},
      // '**' that is not a whole element: '*' in Skaffold, "any directories"
      // in Docker.
      {"**.go", "main.go", true, false},
      {"**.go", ".go", true, true},
      {"**.go", "x/.go", false, true},
      {"**.go", "x/main.go", false, false},
      {"a**", "abc", true, true},
      {"a**", "a/b/c", false, true},
      {"a**b", "axxb", true, false},
      {"a**b", "ax/b", false, true},
      {"x/a**/y", "x/abc/y", true, true},
      {"x/a**/y", "x/a/b/y", false, true},
      {"***", "abc", true, true},
      {"***", "a/b", false, true},
      // As whole elements both agree.
      {"**", "a/b", true, true},
      {"a/**/b", "a/b", true, true},
      {"**/b", "x/y/b", true, true},
  };
  for (const SyntaxCase& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.path, GlobSyntax::kSkaffold), c.skaffold)
        << "skaffold pattern \"" << c.pattern << "\" path \"" << c.path << "\"";
    EXPECT_EQ(GlobMatch(c.pattern, c.path, GlobSyntax::kDockerIgnore), c.docker)
        << "dockerignore pattern \"" << c.pattern << "\" path \"" << c.path << "\"";
  }
  // Skaffold's is the default, for skaffold.yaml globs.
  EXPECT_TRUE(GlobMatch("src/**", "src"));
  EXPECT_EQ(Glob::Compile("a")->syntax(), GlobSyntax::kSkaffold);
  EXPECT_FALSE(*Glob::Compile("a") == *Glob::Compile("a", GlobSyntax::kDockerIgnore));
}

TEST(GlobTest, HasGlobMetaSeesStarQuestionAndClass) {
  EXPECT_TRUE(HasGlobMeta("*.js"));
  EXPECT_TRUE(HasGlobMeta("src/?.js"));
  EXPECT_TRUE(HasGlobMeta("src/[ab].js"));
  EXPECT_TRUE(HasGlobMeta("src/**"));
  EXPECT_FALSE(HasGlobMeta("src/main.js"));
  EXPECT_FALSE(HasGlobMeta(""));
  EXPECT_FALSE(HasGlobMeta("a]b{c}"));
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
  EXPECT_FALSE(GlobMatch("**/a*a*a*a*a*a*a*a*b", "x/y/" + path));
  // In .dockerignore "**" inside an element is "any directories": it never
  // stands for letters. In Skaffold's syntax it is '*'.
  EXPECT_FALSE(GlobMatch("**a**a", path, GlobSyntax::kDockerIgnore));
  EXPECT_TRUE(GlobMatch("**a**a", path, GlobSyntax::kSkaffold));
}

}  // namespace
}  // namespace devloop::domain
