// Inotify-specific behaviour; the shared behaviour is in
// testing/adapters/watcher_contract.cc.
#include "infra/fs/inotify_watcher.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::fs {
namespace {

using ::testing::ElementsAre;

TEST(InotifyWatcherTest, AnEditorSaveIsOneChangeSet) {
  char tmpl[] = "/tmp/devloop-inotify-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  std::ofstream(root + "/index.html") << "v1";
  absl::Mutex mu;
  std::vector<ChangeSet> sets;
  // A long quiet period, so a loaded machine cannot split the save in two.
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = MakeInotifyWatcher(
      {.artifacts = {{.name = "web", .context_dir = root, .ignore = {"*.swp"}}},
       .quiet_period = absl::Milliseconds(300),
       .max_batch_delay = absl::Seconds(10)});
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_TRUE((*watcher)
                  ->Start([&](const ChangeSet& c) {
                    absl::MutexLock lock(&mu);
                    sets.push_back(c);
                  })
                  .ok());
  // vim's way: write a swap file, write the new content beside, rename over,
  // restore the mode.
  std::ofstream(root + "/.index.html.swp") << "swap";
  std::ofstream(root + "/index.html.tmp") << "v2";
  std::rename((root + "/index.html.tmp").c_str(), (root + "/index.html").c_str());
  chmod((root + "/index.html").c_str(), 0644);
  std::remove((root + "/.index.html.swp").c_str());
  {
    absl::MutexLock lock(&mu);
    auto arrived = [&] { return !sets.empty(); };
    mu.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(30));
  }
  // The first ChangeSet must hold the whole save: had the quiet period split
  // it, the rename would be missing from it.
  (*watcher)->Stop();
  absl::MutexLock lock(&mu);
  ASSERT_GE(sets.size(), 1u);
  EXPECT_THAT(sets[0].artifacts.at("web"), ElementsAre("index.html", "index.html.tmp"));
  std::filesystem::remove_all(root);
}

TEST(InotifyWatcherTest, StartingTwiceFails) {
  char tmpl[] = "/tmp/devloop-inotify-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  absl::StatusOr<std::unique_ptr<Watcher>> watcher =
      MakeInotifyWatcher({.artifacts = {{.name = "tmp", .context_dir = tmpl}}});
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE((*watcher)->Start([](const ChangeSet&) {}).ok());
  EXPECT_EQ((*watcher)->Start([](const ChangeSet&) {}).code(),
            absl::StatusCode::kFailedPrecondition);
  (*watcher)->Stop();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace devloop::fs
