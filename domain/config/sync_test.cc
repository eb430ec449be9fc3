#include "domain/config/sync.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

TEST(SyncDestinationTest, ManualRules) {
  Sync sync;
  sync.manual = {{"src/**/*.js", "app", "src/"}, {"*.html", "/var/www", ""}};
  sync.workdir = "/srv";
  EXPECT_EQ(SyncDestination(sync, "src/lib/a.js"), "/srv/app/lib/a.js");
  EXPECT_EQ(SyncDestination(sync, "index.html"), "/var/www/index.html");
  EXPECT_EQ(SyncDestination(sync, "main.go"), std::nullopt);
  sync.workdir = "";  // unknown: the caller resolves against the container
  EXPECT_EQ(SyncDestination(sync, "src/a.js"), "app/a.js");
}

// Found by //tools/fuzz:sync_fuzz_test: strip "a" was cut off "a.." mid-name,
// leaving "..", so the file landed at "/" instead of under "/dest".
TEST(SyncDestinationTest, StripRemovesWholeDirectoriesOnly) {
  Sync sync;
  sync.manual = {{"**", "/dest", "a"}};
  EXPECT_EQ(SyncDestination(sync, "a.."), "/dest/a..");
  EXPECT_EQ(SyncDestination(sync, "a../etc/passwd"), "/dest/a../etc/passwd");
  EXPECT_EQ(SyncDestination(sync, "ab/x"), "/dest/ab/x");
  EXPECT_EQ(SyncDestination(sync, "a/x"), "/dest/x");
  EXPECT_EQ(SyncDestination(sync, "a"), "/dest/a");
}

TEST(SyncDestinationTest, InferredFromCopies) {
  Sync sync;
  sync.infer = {"**/*.py", "static/*"};
  sync.inferred_copies = {{{"app"}, "/srv/app"},
                          {{"static/", "templates"}, "/srv/web/"},
                          {{"*.cfg"}, "/etc/"}};
  EXPECT_EQ(SyncDestination(sync, "app/main.py"), "/srv/app/main.py");
  EXPECT_EQ(SyncDestination(sync, "static/x.css"), "/srv/web/x.css");
  EXPECT_EQ(SyncDestination(sync, "other/main.py"), std::nullopt);  // no COPY takes it
  EXPECT_EQ(SyncDestination(sync, "app.cfg"), std::nullopt);        // not an infer glob
  sync.infer.push_back("*.cfg");
  EXPECT_EQ(SyncDestination(sync, "app.cfg"), "/etc/app.cfg");
}

TEST(SyncDestinationTest, WholeContextCopy) {
  Sync sync;
  sync.infer = {"**"};
  sync.inferred_copies = {{{"."}, "/app/"}};
  EXPECT_EQ(SyncDestination(sync, "a/b.txt"), "/app/a/b.txt");
}

TEST(StaysInContextTest, Table) {
  EXPECT_TRUE(StaysInContext("src/*.js"));
  EXPECT_TRUE(StaysInContext("a/../b"));
  EXPECT_FALSE(StaysInContext("../x/*.js"));
  EXPECT_FALSE(StaysInContext("a/../../x"));
  EXPECT_FALSE(StaysInContext("/etc/passwd"));
}

}  // namespace
}  // namespace devloop::config
