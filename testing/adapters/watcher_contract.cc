#include "testing/adapters/watcher_contract.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"

namespace devloop::testing {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

fs::ChangeCallback ChangeCollector::Callback() {
  return [this](const fs::ChangeSet& changes) {
    absl::MutexLock lock(&mu_);
    sets_.push_back(changes);
  };
}

std::vector<fs::ChangeSet> ChangeCollector::Until(const std::string& path) {
  absl::MutexLock lock(&mu_);
  auto has_path = [&]() {
    for (const fs::ChangeSet& s : sets_) {
      for (const std::string& p : s.paths) {
        if (p == path) return true;
      }
    }
    return false;
  };
  mu_.AwaitWithTimeout(absl::Condition(&has_path), absl::Seconds(30));
  if (!has_path()) return {};
  std::vector<fs::ChangeSet> out;
  while (!sets_.empty()) {
    out.push_back(sets_.front());
    sets_.erase(sets_.begin());
    if (std::find(out.back().paths.begin(), out.back().paths.end(), path) !=
        out.back().paths.end()) {
      break;
    }
  }
  return out;
}

std::set<std::string> ChangeCollector::Paths(const std::vector<fs::ChangeSet>& sets) {
  std::set<std::string> out;
  for (const fs::ChangeSet& s : sets) out.insert(s.paths.begin(), s.paths.end());
  return out;
}

void WatcherContractTest::SetUp() {
  char tmpl[] = "/tmp/devloop-watch-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  root_ = tmpl;
  std::filesystem::create_directories(Path("web/src"));
  std::filesystem::create_directories(Path("api"));
  Write("web/Dockerfile", "FROM scratch\n");
  Write("web/.dockerignore", "*.log\nnode_modules\n");
  Write("web/src/index.html", "hello");
  Write("api/main.go", "package main");
  Write("skaffold.yaml", "apiVersion: skaffold/v2beta29\n");
}

void WatcherContractTest::TearDown() {
  if (watcher_) watcher_->Stop();
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void WatcherContractTest::StartWatcher(fs::WatchOptions options) {
  options.poll_interval = absl::Milliseconds(20);
  absl::StatusOr<std::unique_ptr<fs::Watcher>> watcher = GetParam().make(options);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  watcher_ = *std::move(watcher);
  ASSERT_TRUE(watcher_->Start(collector_.Callback()).ok());
}

void WatcherContractTest::Write(const std::string& rel, const std::string& content) {
  std::ofstream(Path(rel), std::ios::binary) << content;
}

fs::WatchOptions TwoArtifacts(const std::string& root) {
  return {.artifacts = {{.name = "web", .context_dir = root + "/web"},
                        {.name = "api", .context_dir = root + "/api", .ignore = {"*_test.go"}}},
          .config_file = root + "/skaffold.yaml"};
}

TEST_P(WatcherContractTest, ReportsAWriteMappedToItsArtifact) {
  StartWatcher(TwoArtifacts(root_));
  Write("web/src/index.html", "changed");
  std::vector<fs::ChangeSet> sets = collector_.Until(Path("web/src/index.html"));
  ASSERT_FALSE(sets.empty());
  EXPECT_THAT(sets.back().artifacts, ElementsAre(Pair("web", ElementsAre("src/index.html"))));
  EXPECT_FALSE(sets.back().config_changed);
}

TEST_P(WatcherContractTest, ReportsCreateDeleteRenameAndChmod) {
  StartWatcher(TwoArtifacts(root_));
  Write("api/new.go");
  EXPECT_THAT(ChangeCollector::Paths(collector_.Until(Path("api/new.go"))), Contains(Path("api/new.go")));
  std::filesystem::rename(Path("api/new.go"), Path("api/renamed.go"));
  std::set<std::string> paths = ChangeCollector::Paths(collector_.Until(Path("api/renamed.go")));
  EXPECT_THAT(paths, Contains(Path("api/new.go")));
  std::filesystem::remove(Path("api/renamed.go"));
  Write("api/sentinel.go");
  EXPECT_THAT(ChangeCollector::Paths(collector_.Until(Path("api/sentinel.go"))),
              Contains(Path("api/renamed.go")));
  chmod(Path("api/main.go").c_str(), 0700);
  EXPECT_FALSE(collector_.Until(Path("api/main.go")).empty());
}

TEST_P(WatcherContractTest, IgnoredPathsTriggerNothing) {
  StartWatcher(TwoArtifacts(root_));
  std::filesystem::create_directories(Path("web/node_modules/lib"));
  Write("web/node_modules/lib/x.js");
  Write("web/debug.log");
  Write("api/main_test.go");
  Write("web/src/sentinel.html");
  std::vector<fs::ChangeSet> sets = collector_.Until(Path("web/src/sentinel.html"));
  ASSERT_FALSE(sets.empty());
  std::set<std::string> paths = ChangeCollector::Paths(sets);
  EXPECT_THAT(paths, Contains(Path("web/src/sentinel.html")));
  EXPECT_THAT(paths, Not(Contains(Path("web/node_modules/lib/x.js"))));
  EXPECT_THAT(paths, Not(Contains(Path("web/debug.log"))));
  EXPECT_THAT(paths, Not(Contains(Path("api/main_test.go"))));
}

TEST_P(WatcherContractTest, DockerfileAndDockerignoreAlwaysCount) {
  Write("web/.dockerignore", "*.log\nnode_modules\nDockerfile\n.dockerignore\n");
  StartWatcher(TwoArtifacts(root_));
  Write("web/Dockerfile", "FROM scratch\n# changed\n");
  EXPECT_FALSE(collector_.Until(Path("web/Dockerfile")).empty());
}

TEST_P(WatcherContractTest, DependencyGlobsLimitWhatCounts) {
  fs::WatchOptions options = TwoArtifacts(root_);
  options.artifacts[0].dependencies = {"src/**/*.html", "Dockerfile"};
  StartWatcher(options);
  Write("web/README.md");
  Write("web/src/deep.html");
  std::set<std::string> paths = ChangeCollector::Paths(collector_.Until(Path("web/src/deep.html")));
  EXPECT_THAT(paths, Not(Contains(Path("web/README.md"))));
}

TEST_P(WatcherContractTest, ConfigFileChange) {
  StartWatcher(TwoArtifacts(root_));
  Write("skaffold.yaml", "apiVersion: skaffold/v2beta29\n# edited\n");
  std::vector<fs::ChangeSet> sets = collector_.Until(Path("skaffold.yaml"));
  ASSERT_FALSE(sets.empty());
  EXPECT_TRUE(sets.back().config_changed);
  EXPECT_THAT(sets.back().artifacts, IsEmpty());
}

TEST_P(WatcherContractTest, DirectoryCreatedAndFilledAtOnce) {
  StartWatcher(TwoArtifacts(root_));
  std::filesystem::create_directories(Path("web/src/a/b/c"));
  std::vector<std::string> files;
  for (const char* rel : {"web/src/a/1.txt", "web/src/a/b/2.txt", "web/src/a/b/c/3.txt"}) {
    Write(rel);
    files.push_back(Path(rel));
  }
  Write("web/src/sentinel.txt");
  std::set<std::string> paths = ChangeCollector::Paths(collector_.Until(Path("web/src/sentinel.txt")));
  for (const std::string& f : files) EXPECT_THAT(paths, Contains(f));
  // And the new directories are watched from now on.
  Write("web/src/a/b/c/later.txt");
  EXPECT_FALSE(collector_.Until(Path("web/src/a/b/c/later.txt")).empty());
}

TEST_P(WatcherContractTest, DirectoryMovedIn) {
  StartWatcher(TwoArtifacts(root_));
  std::string outside = root_ + "-outside";
  std::filesystem::create_directories(outside + "/pkg");
  std::ofstream(outside + "/pkg/lib.go") << "package pkg";
  std::filesystem::rename(outside, Path("api/moved"));
  Write("api/sentinel.go");
  std::set<std::string> paths = ChangeCollector::Paths(collector_.Until(Path("api/sentinel.go")));
  EXPECT_THAT(paths, Contains(Path("api/moved/pkg/lib.go")));
}

TEST_P(WatcherContractTest, NoEventLostInABurstOf10000Files) {
  StartWatcher(TwoArtifacts(root_));
  std::filesystem::create_directories(Path("web/src/burst"));
  for (int i = 0; i < 10000; ++i) Write(absl::StrCat("web/src/burst/f", i, ".txt"), "data");
  Write("web/src/sentinel.txt");
  std::set<std::string> paths = ChangeCollector::Paths(collector_.Until(Path("web/src/sentinel.txt")));
  int missing = 0;
  for (int i = 0; i < 10000; ++i) {
    missing += paths.count(Path(absl::StrCat("web/src/burst/f", i, ".txt"))) == 0;
  }
  EXPECT_EQ(missing, 0);
}

TEST_P(WatcherContractTest, MissingContextIsNotFound) {
  absl::StatusOr<std::unique_ptr<fs::Watcher>> watcher =
      GetParam().make({.artifacts = {{.name = "x", .context_dir = root_ + "/nope"}}});
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kNotFound);
}

TEST_P(WatcherContractTest, BadGlobIsInvalidArgumentNamingTheArtifact) {
  absl::StatusOr<std::unique_ptr<fs::Watcher>> watcher = GetParam().make(
      {.artifacts = {{.name = "web", .context_dir = root_ + "/web", .ignore = {"[a"}}}});
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(watcher.status().message(), ::testing::HasSubstr("web"));
}

}  // namespace devloop::testing
