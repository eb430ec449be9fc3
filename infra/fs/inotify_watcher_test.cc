// Inotify-specific behaviour; the shared behaviour is in
// testing/adapters/watcher_contract.cc.
//
// No test asserts a duration. Where a test proves that a batch went out
// without waiting for the quiet period, the quiet period is kQuiet (30 s) and
// the test waits kWait (10 s) at most: a report within that wait cannot have
// come from the quiet period. Where a save of several events must reach the
// watcher as one batch however long a loaded machine stalls the test between
// two of its system calls, the settled delay is a second.
#include "infra/fs/inotify_watcher.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::fs {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kQuiet = absl::Seconds(30);
constexpr absl::Duration kWait = absl::Seconds(10);
// Long enough that no stall splits a save of several events; far below kWait.
constexpr absl::Duration kSettledInOneBatch = absl::Seconds(1);

// One callback: its ChangeSet and, read inside the callback, each path's
// content (nullopt: the path did not exist then).
struct Report {
  ChangeSet changes;
  std::map<std::string, std::optional<std::string>> contents;
};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Writes `content` through one open, write and close, as an editor writing
// in place does (O_TRUNC) or one creating the file does.
void WriteFile(const std::string& path, const std::string& content) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(close(fd), 0);
}

class InotifyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/devloop-inotify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }

  void TearDown() override {
    if (watcher_) watcher_->Stop();
    std::filesystem::remove_all(root_);
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  // Watches root_ as the artifact "web"; a batch that is not settled waits
  // for kQuiet.
  void StartWatcher(absl::Duration settled_delay) {
    absl::StatusOr<std::unique_ptr<Watcher>> watcher =
        MakeInotifyWatcher({.artifacts = {{.name = "web", .context_dir = root_}},
                            .quiet_period = kQuiet,
                            .settled_delay = settled_delay,
                            .max_batch_delay = 2 * kQuiet});
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    watcher_ = *std::move(watcher);
    ASSERT_TRUE(watcher_
                    ->Start([this](const ChangeSet& changes) {
                      Report report{changes, {}};
                      for (const std::string& path : changes.paths) {
                        report.contents[path] = ReadFile(path);
                      }
                      absl::MutexLock lock(&mu_);
                      reports_.push_back(std::move(report));
                    })
                    .ok());
  }

  // Returns the reports up to and with the first one holding `path`, waiting
  // kWait at most for it; all of them when it did not come.
  std::vector<Report> Until(const std::string& path) {
    auto holds = [&path](const Report& r) { return r.contents.count(path) != 0; };
    absl::MutexLock lock(&mu_);
    auto arrived = [&] { return std::any_of(reports_.begin(), reports_.end(), holds); };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), kWait);
    std::vector<Report> out;
    while (!reports_.empty()) {
      out.push_back(std::move(reports_.front()));
      reports_.erase(reports_.begin());
      if (holds(out.back())) break;
    }
    return out;
  }

  // Writes a new file and returns the reports up to the one holding it: the
  // ones before are all that came of what the test did before.
  std::vector<Report> UntilSentinel() {
    WriteFile(Path("sentinel"), "s");
    return Until(Path("sentinel"));
  }

  static std::set<std::string> AllPaths(const std::vector<Report>& reports) {
    std::set<std::string> out;
    for (const Report& r : reports) out.insert(r.changes.paths.begin(), r.changes.paths.end());
    return out;
  }

  std::string root_;
  std::unique_ptr<Watcher> watcher_;
  absl::Mutex mu_;
  std::vector<Report> reports_ ABSL_GUARDED_BY(mu_);
};

TEST_F(InotifyWatcherTest, AnInPlaceWriteIsOneChangeSetOfThatFile) {
  WriteFile(Path("index.html"), "v1");
  StartWatcher(WatchOptions().settled_delay);
  WriteFile(Path("index.html"), "v2");
  std::vector<Report> reports = Until(Path("index.html"));
  ASSERT_EQ(reports.size(), 1u) << "expected one ChangeSet, before the quiet period could end";
  EXPECT_THAT(reports[0].changes.artifacts, ElementsAre(Pair("web", ElementsAre("index.html"))));
  EXPECT_THAT(reports[0].contents[Path("index.html")], Optional(std::string("v2")));
  EXPECT_THAT(AllPaths(UntilSentinel()), ElementsAre(Path("sentinel")));
}

TEST_F(InotifyWatcherTest, ATempFileRenamedIntoPlaceReportsOnlyTheTarget) {
  WriteFile(Path("index.html"), "v1");
  StartWatcher(kSettledInOneBatch);
  // VS Code's atomic save and most editors' "write a copy, rename over".
  WriteFile(Path("index.html.tmp"), "v2");
  ASSERT_EQ(rename(Path("index.html.tmp").c_str(), Path("index.html").c_str()), 0);
  ASSERT_EQ(chmod(Path("index.html").c_str(), 0644), 0);
  std::vector<Report> reports = Until(Path("index.html"));
  ASSERT_EQ(reports.size(), 1u) << "expected one ChangeSet, before the quiet period could end";
  // The temp file was created and gone within the batch: nothing to sync.
  EXPECT_THAT(reports[0].changes.artifacts, ElementsAre(Pair("web", ElementsAre("index.html"))));
  EXPECT_THAT(reports[0].contents[Path("index.html")], Optional(std::string("v2")));
  EXPECT_THAT(AllPaths(UntilSentinel()), ElementsAre(Path("sentinel")));
}

TEST_F(InotifyWatcherTest, VimsSaveReportsTheFileAndItsBackupGone) {
  WriteFile(Path("index.html"), "v1");
  StartWatcher(kSettledInOneBatch);
  // vim's save with its defaults (writebackup, backupcopy=auto), as inotify
  // shows it: probe whether the directory lets it create files with the
  // original's owner, rename the original away as the backup, write the new
  // file, restore its mode, drop the backup.
  int probe = open(Path("4913").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
  ASSERT_GE(probe, 0);
  ASSERT_EQ(fchown(probe, getuid(), getgid()), 0);
  ASSERT_EQ(close(probe), 0);
  ASSERT_EQ(unlink(Path("4913").c_str()), 0);
  ASSERT_EQ(rename(Path("index.html").c_str(), Path("index.html~").c_str()), 0);
  int fd = open(Path("index.html").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "v2", 2), 2);
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(close(fd), 0);
  ASSERT_EQ(chmod(Path("index.html").c_str(), 0644), 0);
  ASSERT_EQ(unlink(Path("index.html~").c_str()), 0);

  std::vector<Report> reports = Until(Path("index.html"));
  ASSERT_EQ(reports.size(), 1u) << "expected one ChangeSet, before the quiet period could end";
  // "4913" was created and removed within the batch: not reported. The backup
  // is, as a path that is gone: it came by a rename, which might have replaced
  // a file that existed (inotify does not say), so leaving it out could lose a
  // deletion.
  EXPECT_THAT(reports[0].changes.artifacts,
              ElementsAre(Pair("web", ElementsAre("index.html", "index.html~"))));
  EXPECT_THAT(reports[0].contents,
              UnorderedElementsAre(Pair(Path("index.html"), Optional(std::string("v2"))),
                                   Pair(Path("index.html~"), std::nullopt)));
  EXPECT_THAT(AllPaths(UntilSentinel()), ElementsAre(Path("sentinel")));
}

TEST_F(InotifyWatcherTest, AFileCreatedAndRemovedWithinABatchIsNotReported) {
  StartWatcher(kSettledInOneBatch);
  WriteFile(Path("4913"), "");
  ASSERT_EQ(unlink(Path("4913").c_str()), 0);
  // Nothing came of it, or it would come before (or with) the sentinel.
  EXPECT_THAT(AllPaths(UntilSentinel()), ElementsAre(Path("sentinel")));
}

TEST_F(InotifyWatcherTest, ANewFileIsReportedOnlyOnceClosedWithItsWholeContent) {
  StartWatcher(WatchOptions().settled_delay);
  int fd = open(Path("big.js").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "first half, ", 12), 12);
  // Far longer than the settled delay, far shorter than the quiet period: a
  // batch holding a file still open for writing must not go out.
  absl::SleepFor(100 * WatchOptions().settled_delay);
  ASSERT_EQ(write(fd, "second half", 11), 11);
  ASSERT_EQ(close(fd), 0);
  std::vector<Report> reports = Until(Path("big.js"));
  ASSERT_EQ(reports.size(), 1u) << "expected one ChangeSet, before the quiet period could end";
  EXPECT_THAT(reports[0].contents,
              ElementsAre(Pair(Path("big.js"), Optional(std::string("first half, second half")))));
}

TEST_F(InotifyWatcherTest, AFileRemovedAndWrittenAgainIsOneChange) {
  WriteFile(Path("index.html"), "v1");
  StartWatcher(WatchOptions().settled_delay);
  // vim's rename-away of the original, with a slow write of the new file
  // after it: the removal alone must not go out (the container would lose
  // the file until the next batch).
  ASSERT_EQ(unlink(Path("index.html").c_str()), 0);
  absl::SleepFor(100 * WatchOptions().settled_delay);
  WriteFile(Path("index.html"), "v2");
  std::vector<Report> reports = Until(Path("index.html"));
  ASSERT_EQ(reports.size(), 1u) << "expected one ChangeSet, before the quiet period could end";
  EXPECT_THAT(reports[0].contents,
              ElementsAre(Pair(Path("index.html"), Optional(std::string("v2")))));
}

TEST_F(InotifyWatcherTest, StartingTwiceFails) {
  StartWatcher(WatchOptions().settled_delay);
  EXPECT_EQ(watcher_->Start([](const ChangeSet&) {}).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace devloop::fs
