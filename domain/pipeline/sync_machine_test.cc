#include "domain/pipeline/sync_machine.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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
       {false, "", {{}, {"/app/old.png"}, 1, {"static/old.png"}}}},
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

// Where a single changed (saved, or with `deleted`, deleted) file goes:
// "rebuild", or its destinations joined by " ".
std::string Where(const ArtifactSpec& spec, const std::string& path, bool deleted = false) {
  absl::StatusOr<SyncDecision> d = PlanSync(spec, {{path, deleted}});
  if (!d.ok()) return d.status().ToString();
  if (d->needs_rebuild) return "rebuild";
  std::vector<std::string> dests;
  for (const CopyOp& op : d->plan.copies) dests.push_back(op.dest);
  for (const std::string& del : d->plan.deletes) dests.push_back("-" + del);
  return absl::StrJoin(dests, " ");
}

// Skaffold's documentation of manual sync (its rules and the destinations it
// gives): files keep their hierarchy below the context, less `strip`; a
// relative dest is the container's WORKDIR's.
TEST(PlanSyncTest, ManualRulesAsSkaffoldDocumentsThem) {
  const ArtifactSpec node{.image = "node-example",
                          .sync = {{".filebaserc", "/etc", ""},
                                   {"static-html/*.html", "static", ""},
                                   {"**/*.png", "assets", ""},
                                   {"content/en/**/*.md", "content", "content/en/"}}};
  EXPECT_EQ(Where(node, ".filebaserc"), "/etc/.filebaserc");
  EXPECT_EQ(Where(node, "static-html/index.html"), "static/static-html/index.html");
  EXPECT_EQ(Where(node, "static-html/sub/index.html"), "rebuild") << "* stays in one directory";
  EXPECT_EQ(Where(node, "img.png"), "assets/img.png");
  EXPECT_EQ(Where(node, "assets/img/logo.png"), "assets/assets/img/logo.png");
  EXPECT_EQ(Where(node, "content/en/index.md"), "content/index.md");
  EXPECT_EQ(Where(node, "content/en/sub/index.md"), "content/sub/index.md");
  EXPECT_EQ(Where(node, "content/en_GB/index.md"), "rebuild");
  EXPECT_EQ(Where(node, "content/en/old.md", /*deleted=*/true), "-content/old.md");
}

// Skaffold's documentation of inferred sync: the Dockerfile
//   FROM hugo
//   ADD .filebaserc /etc/
//   ADD assets assets/
//   COPY static-html static/
//   COPY content/en content/
// with sync.infer ['.filebaserc', 'static-html/*.html', '**/*.png',
// 'content/en/**/*.md'] (WORKDIR /srv here, applied to the COPYs' dests).
TEST(PlanSyncTest, InferredRulesAsSkaffoldDocumentsThem) {
  const ArtifactSpec hugo{
      .image = "node-example",
      .infer = {".filebaserc", "static-html/*.html", "**/*.png", "content/en/**/*.md"},
      .copies = {{{".filebaserc"}, "/etc/"},
                 {{"assets"}, "/srv/assets/"},
                 {{"static-html"}, "/srv/static/"},
                 {{"content/en"}, "/srv/content/"}}};
  EXPECT_EQ(Where(hugo, ".filebaserc"), "/etc/.filebaserc");
  EXPECT_EQ(Where(hugo, "static-html/a.html"), "/srv/static/a.html");
  EXPECT_EQ(Where(hugo, "static-html/sub/a.html"), "rebuild") << "no infer glob takes it";
  EXPECT_EQ(Where(hugo, "assets/img.png"), "/srv/assets/img.png");
  EXPECT_EQ(Where(hugo, "static-html/imgs/demo.png"), "/srv/static/imgs/demo.png");
  EXPECT_EQ(Where(hugo, "content/en/sub/index.md"), "/srv/content/sub/index.md");
  EXPECT_EQ(Where(hugo, "content/en_GB/index.md"), "rebuild");
  EXPECT_EQ(Where(hugo, "other/img.png"), "rebuild") << "no COPY takes it";
  EXPECT_EQ(Where(hugo, "assets/img.png", /*deleted=*/true), "rebuild")
      << "inferred sync syncs saved files only";
  absl::StatusOr<SyncDecision> why = PlanSync(hugo, {{"other/img.png"}});
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(why->reason,
            "\"other/img.png\" matches sync.infer of node-example but no COPY or ADD of its "
            "Dockerfile takes it");
}

// How Docker places what a COPY takes.
TEST(PlanSyncTest, InferredDestinationsFollowDockersCopy) {
  const ArtifactSpec app{.image = "app",
                         .infer = {"**"},
                         .copies = {{{"main.py"}, "/srv/app.py"},
                                    {{"conf/app.cfg", "conf/log.cfg"}, "/etc/app"},
                                    {{"*.txt"}, "/srv/docs/"},
                                    {{"web*"}, "/srv/www/"},
                                    {{"."}, "/src/"}}};
  EXPECT_EQ(Where(app, "main.py"), "/srv/app.py /src/main.py") << "a file to a file dest";
  EXPECT_EQ(Where(app, "conf/app.cfg"), "/etc/app/app.cfg /src/conf/app.cfg")
      << "several sources: the dest is a directory";
  EXPECT_EQ(Where(app, "notes.txt"), "/srv/docs/notes.txt /src/notes.txt");
  EXPECT_EQ(Where(app, "webroot/css/site.css"), "/srv/www/css/site.css /src/webroot/css/site.css")
      << "a directory a glob matches: its contents";
  EXPECT_EQ(Where(app, "lib/x.py"), "/src/lib/x.py") << "the whole context";
}

TEST(PlanSyncTest, ManualRulesComeBeforeInferredOnes) {
  const ArtifactSpec web{.image = "web",
                         .sync = {{"static/*.css", "/css", "static/"}},
                         .infer = {"static/**"},
                         .copies = {{{"static"}, "/srv/static/"}}};
  EXPECT_EQ(Where(web, "static/a.css"), "/css/a.css");
  EXPECT_EQ(Where(web, "static/a.js"), "/srv/static/a.js");
  EXPECT_EQ(Where(web, "static/a.css", /*deleted=*/true), "-/css/a.css");
}

TEST(PlanSyncTest, BadInputIsAnError) {
  ArtifactSpec bad_glob{"web", {}, {{"src/[a", "/", ""}}};
  absl::StatusOr<SyncDecision> g = PlanSync(bad_glob, {{"src/a"}});
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("artifact web"));
  ArtifactSpec ok{"web", {}, {{"**", "/", ""}}};
  EXPECT_EQ(PlanSync(ok, {{"../secret"}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanSync(ok, {{"/etc/passwd"}}).status().code(), absl::StatusCode::kInvalidArgument);
  ArtifactSpec bad_infer{.image = "web", .infer = {"src/[a"}};
  absl::StatusOr<SyncDecision> i = PlanSync(bad_infer, {{"src/a"}});
  EXPECT_EQ(i.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(i.status().message()), HasSubstr("artifact web: sync.infer"));
}

// Found by //tools/fuzz:sync_fuzz_test in the config's copy of this mapping:
// strip "a" must not be cut off "a.." mid-name, which would leave ".." and
// put the file above its dest.
TEST(PlanSyncTest, StripRemovesWholeDirectoriesOnly) {
  const ArtifactSpec web{.image = "web", .sync = {{"**", "/dest", "a"}}};
  EXPECT_EQ(Where(web, "a.."), "/dest/a..");
  EXPECT_EQ(Where(web, "a../etc/passwd"), "/dest/a../etc/passwd");
  EXPECT_EQ(Where(web, "ab/x"), "/dest/ab/x");
  EXPECT_EQ(Where(web, "a/x"), "/dest/x");
  EXPECT_EQ(Where(web, "a"), "/dest/a");
}

TEST(PlanSyncTest, EveryPathIsCheckedEvenAfterOneThatForcesARebuild) {
  ArtifactSpec web{"web", {}, {{"*.css", "/a", ""}}};
  absl::StatusOr<SyncDecision> d = PlanSync(web, {{"main.go"}, {"../secret"}});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("../secret"));
}

}  // namespace
}  // namespace devloop::domain
