#include "infra/fs/inotify_watcher.h"
#include "infra/fs/polling_watcher.h"
#include "testing/adapters/watcher_contract.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(All, WatcherContractTest,
                         ::testing::Values(WatcherFactory{"inotify", fs::MakeInotifyWatcher},
                                           WatcherFactory{"polling", fs::MakePollingWatcher}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
