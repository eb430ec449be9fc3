// The contract every Watcher keeps, as one parameterized suite run against the
// inotify and the polling implementations on real temporary directories.
#ifndef DEVLOOP_TESTING_ADAPTERS_WATCHER_CONTRACT_H_
#define DEVLOOP_TESTING_ADAPTERS_WATCHER_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "infra/fs/watcher.h"

namespace devloop::testing {

struct WatcherFactory {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<fs::Watcher>>(const fs::WatchOptions&)> make;
};
inline std::ostream& operator<<(std::ostream& os, const WatcherFactory& f) { return os << f.name; }

// Collects ChangeSets from a watcher's thread.
class ChangeCollector {
 public:
  fs::ChangeCallback Callback();
  // Waits until a ChangeSet holding `path` arrived; returns every ChangeSet
  // received up to and including it (empty if none came within a generous
  // bound, which fails the caller's expectations).
  std::vector<fs::ChangeSet> Until(const std::string& path);
  // The union of the paths of `sets`.
  static std::set<std::string> Paths(const std::vector<fs::ChangeSet>& sets);

 private:
  absl::Mutex mu_;
  std::vector<fs::ChangeSet> sets_ ABSL_GUARDED_BY(mu_);
};

class WatcherContractTest : public ::testing::TestWithParam<WatcherFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Starts a watcher over `options` (contexts under root_).
  void StartWatcher(fs::WatchOptions options);
  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }
  void Write(const std::string& rel, const std::string& content = "x");

  std::string root_;
  ChangeCollector collector_;
  std::unique_ptr<fs::Watcher> watcher_;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_ADAPTERS_WATCHER_CONTRACT_H_
