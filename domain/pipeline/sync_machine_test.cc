#include "domain/pipeline/sync_machine.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::HasSubstr;

struct Case {
  const char* name;
  std::vector<SyncRule> rules;
  std::vector<FileChange> changes;
  SyncDecision want;
};

TEST(PlanSyncTest, Table) {
  const std::vector<Case> cases = {
      {"copy with strip",
       {{"static/**/*.css", "/app", "static/"}},
       {{"static/css/site.css"}},
       {false, "", {{{"static/css/site.css", "/app/css/site.css"}}, {}, 1}}},
      {"copy without strip keeps the path",
       {{"*.html", "/srv", ""}},
       {{"index.html"}},
       {false, "", {{{"index.html", "/srv/index.html"}}, {}, 1}}},
      {"relative dest",
       {{"src/*.js", ".", "src"}},
       {{"./src/a.js"}},
       {false, "", {{{"src/a.js", "a.js"}}, {}, 1}}},
      {"delete",
       {{"static/**", "/app", "static/"}},
       {{"static/old.png", true}},
       {false, "", {{}, {"/app/old.png"}, 1}}},
      {"a file under two rules goes to both",
       {{"*.css", "/a", ""}, {"**/*.css", "/b", ""}},
       {{"x.css"}},
       {false, "", {{{"x.css", "/a/x.css"}, {"x.css", "/b/x.css"}}, {}, 1}}},
      {"one unmatched file rebuilds all",
       {{"*.css", "/a", ""}},
       {{"x.css"}, {"main.go"}},
       {true, "\"main.go\" matches no sync rule of web", {}}},
      {"no rules rebuild", {}, {{"x.css"}}, {true, "\"x.css\" matches no sync rule of web", {}}},
      {"strip that does not apply leaves the path",
       {{"**/*.txt", "/d", "docs/"}},
       {{"notes/a.txt"}},
       {false, "", {{{"notes/a.txt", "/d/notes/a.txt"}}, {}, 1}}},
  };
  for (const Case& c : cases) {
    ArtifactSpec spec{"web", {}, c.rules};
    absl::StatusOr<SyncDecision> got = PlanSync(spec, c.changes);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.name << "\n got: " << *got << "\nwant: " << c.want;
  }
}

TEST(PlanSyncTest, BadInputIsAnError) {
  ArtifactSpec bad_glob{"web", {}, {{"src/[a", "/", ""}}};
  absl::StatusOr<SyncDecision> g = PlanSync(bad_glob, {{"src/a"}});
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("artifact web"));
  ArtifactSpec ok{"web", {}, {{"**", "/", ""}}};
  EXPECT_EQ(PlanSync(ok, {{"../secret"}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanSync(ok, {{"/etc/passwd"}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PlanSyncTest, EveryPathIsCheckedEvenAfterOneThatForcesARebuild) {
  ArtifactSpec web{"web", {}, {{"*.css", "/a", ""}}};
  absl::StatusOr<SyncDecision> d = PlanSync(web, {{"main.go"}, {"../secret"}});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("../secret"));
}

}  // namespace
}  // namespace devloop::domain
