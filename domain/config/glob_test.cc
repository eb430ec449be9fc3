#include "domain/config/glob.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(MatchGlobTest, Table) {
  struct Case {
    const char* pattern;
    const char* path;
    bool want;
  };
  const Case cases[] = {
      {"*.js", "main.js", true},
      {"*.js", "src/main.js", false},
      {"src/*.js", "src/main.js", true},
      {"src/**/*.js", "src/main.js", true},
      {"src/**/*.js", "src/a/b/main.js", true},
      {"**/*.js", "a/b.js", true},
      {"**", "anything/at/all", true},
      {"src/**", "src", true},
      {"static/*", "static/index.html", true},
      {"?.txt", "a.txt", true},
      {"?.txt", "ab.txt", false},
      {"[a-c].txt", "b.txt", true},
      {"[!a-c].txt", "b.txt", false},
      {"[!a-c].txt", "d.txt", true},
      {"./src/*.js", "src/x.js", true},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxbyy", false},
      {"main.go", "main.go", true},
      {"main.go", "main.goo", false},
      {"[", "[", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MatchGlob(c.pattern, c.path), c.want) << c.pattern << " vs " << c.path;
  }
}

TEST(CleanPathTest, LikeGo) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("./a//b/"), "a/b");
  EXPECT_EQ(CleanPath("a/../.."), "..");
  EXPECT_EQ(CleanPath("../a"), "../a");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(JoinPath("/app", "src/x"), "/app/src/x");
  EXPECT_EQ(JoinPath("/app", "/etc"), "/etc");
  EXPECT_EQ(JoinPath("", "a"), "a");
}

}  // namespace
}  // namespace devloop::config
