// Copies an example project (testing/examples/NAME) to a fresh directory, ready
// to run: busybox placed in each build context, every file writable, so a test
// may edit it while devloop watches.
//
//   absl::StatusOr<std::string> dir = CopyExample("sync");
//   // *dir/skaffold.yaml, *dir/Dockerfile, *dir/busybox, *dir/www/index.html
//
// The test target needs `data = ["//testing/examples:sync"]` (or ":all").
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_E2E_EXAMPLE_H_
#define DEVLOOP_TESTING_E2E_EXAMPLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::e2e {

// Returns the directory that holds the examples in this test's runfiles
// ($TEST_SRCDIR/devloop/testing/examples), or the source tree's when run outside
// Bazel ($DEVLOOP_EXAMPLES overrides both).
std::string ExamplesRoot();

// Copies example `name` into a new temporary directory (under $TEST_TMPDIR) and
// returns its path. Runfiles symlinks are resolved: the copy holds real files.
// Returns NotFound if the example is not in the runfiles (a missing `data` dep),
// naming what to add.
absl::StatusOr<std::string> CopyExample(absl::string_view name);

// Copies `busybox` (default /bin/busybox) into every directory under `root` that
// holds a Dockerfile, as testing/examples/prepare.sh does. Returns how many.
absl::StatusOr<int> PlaceBusybox(const std::string& root,
                                 const std::string& busybox = "/bin/busybox");

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_EXAMPLE_H_
