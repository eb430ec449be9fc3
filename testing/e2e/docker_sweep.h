// Cleans up after Docker tests: every container, network and image carrying a
// label is removed, and nothing else. Tests give what they create a unique label
// value (UniqueTestLabel()), pass it to devloop or docker, and sweep it in
// TearDown even when the test failed. Uses the docker CLI (tests only).
//
//   std::string label = UniqueTestLabel("sync-e2e");  // "devloop.test=sync-e2e-12-9f3a01c2-0"
//   ...
//   EXPECT_OK(SweepDockerObjects(label));
//   absl::StatusOr<DockerObjects> left = ListDockerObjects(label);  // all empty
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_E2E_DOCKER_SWEEP_H_
#define DEVLOOP_TESTING_E2E_DOCKER_SWEEP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::e2e {

// The label key every devloop test object carries.
inline constexpr absl::string_view kTestLabelKey = "devloop.test";

// Returns "devloop.test=PREFIX-PID-RANDOM-N": unique per process and call, also
// across sandboxed tests, whose PID namespaces give them all the same PID.
std::string UniqueTestLabel(absl::string_view prefix);

struct DockerObjects {
  std::vector<std::string> containers;  // ids
  std::vector<std::string> networks;    // ids
  std::vector<std::string> images;      // ids
  std::vector<std::string> volumes;     // names (devloop debug's support volumes)
  bool empty() const {
    return containers.empty() && networks.empty() && images.empty() && volumes.empty();
  }
};

// Lists the objects with `label` ("key=value" or "key").
absl::StatusOr<DockerObjects> ListDockerObjects(absl::string_view label);

// Removes every container (forcibly), then network, then image with `label`.
// Returns the first error but keeps going, so one stuck object does not leave
// the rest behind.
absl::Status SweepDockerObjects(absl::string_view label);

// Builds the image in `dir` as `tag` with `label` (docker build -q). Builds
// once more when the engine's legacy builder reports "unknown parent image
// ID": another test removed its image, and with it a cached layer this build
// had taken, while the build ran (devloop's own builder does the same).
absl::Status BuildLabelledImage(absl::string_view label, absl::string_view tag,
                                absl::string_view dir);

// Returns true if the Docker Engine answers (docker version).
bool DockerAvailable();

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_DOCKER_SWEEP_H_
