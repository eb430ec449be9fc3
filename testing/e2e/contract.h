// Checks what a dev loop streamed over Events against the Skaffold v1 contract
// (shared/api/skaffold-v1-contract.md, "One dev-loop iteration on the Docker
// deployer"): which events one iteration holds, in which order, with which
// statuses and entry texts. End-to-end tests call these on the entries an
// EventsClient received, so a reordered, missing or renamed event fails with
// the whole sequence printed.
//
//   std::vector<proto::LogEntry> got = events.Entries();
//   EXPECT_OK(CheckBuildIteration(got, {.iteration = 0,
//                                       .artifacts = {"web"},
//                                       .ports = {{"web", 9000}}}));
//   EXPECT_OK(CheckSyncIteration(got, {.iteration = 1, .image_prefix = "web:"}));
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_E2E_CONTRACT_H_
#define DEVLOOP_TESTING_E2E_CONTRACT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/skaffold.pb.h"

namespace devloop::e2e {

// The entries of one iteration: from its devLoopEvent In Progress to its
// devLoopEvent Succeeded/Failed, both included.
struct IterationSpan {
  size_t begin = 0;  // index of devLoopEvent In Progress
  size_t end = 0;    // index of the closing devLoopEvent
};

// Finds iteration `iteration` (its first In Progress at or after `from`) and
// the devLoopEvent that closes it. NotFound if either is missing.
absl::StatusOr<IterationSpan> FindIteration(const std::vector<proto::LogEntry>& entries,
                                            int iteration, size_t from = 0);

struct BuildIterationSpec {
  int iteration = 0;
  std::vector<std::string> artifacts;  // images built in this iteration
  // Container name -> local port: the portEvents expected after the deploy.
  std::map<std::string, int> ports;
  // `devloop debug`: container name -> runtime ("go") of each container
  // expected to start under its debugger during the deploy.
  std::map<std::string, std::string> debugging;
  // A forward waits for its app to answer, and a debugging container is
  // reported once its debugger listens: under a debugger either may come only
  // after the status check ended the iteration. When set, portEvents and
  // debuggingContainerEvents may also follow the iteration (they are looked
  // for in the rest of the stream, which must hold them by then).
  bool may_follow = false;
};

// Checks a successful build-and-deploy iteration: devLoopEvent In Progress
// "Update initiated"; per artifact buildEvent In Progress "Build started for
// artifact IMAGE" before its Complete "Build completed for artifact IMAGE"
// (artifacts may interleave); every build complete before deployEvent In
// Progress "Deploy started", then Complete "Deploy completed"; one portEvent
// "Forwarding container NAME to local port N" per forward after the deploy; a
// status check (In Progress after the deploy, Succeeded last) with each
// resource ending Succeeded; devLoopEvent Succeeded "Update succeeded". Under
// `devloop debug`, also one debuggingContainerEvent Started "Debugging
// container NAME (RUNTIME) on PORT-NAME PORT..." per container of
// `debugging`, once the deploy started, with podName, artifact and debugPorts
// set, and after the deploy one portEvent per debug port (its portName the
// debug port's). No fileSyncEvent and nothing else. Iteration 0 must also be preceded by exactly
// one metaEvent, the first entry of the stream.
absl::Status CheckBuildIteration(const std::vector<proto::LogEntry>& entries,
                                 const BuildIterationSpec& spec);

struct SyncIterationSpec {
  int iteration = 0;
  int file_count = 1;
  std::string image_prefix;  // "IMAGE:": the synced tag must start with it
};

// Checks a sync iteration: devLoopEvent In Progress, fileSyncEvent In Progress
// "File sync started for N files for IMAGE:TAG", fileSyncEvent Succeeded "File
// sync succeeded for N files for IMAGE:TAG" (the same tag), devLoopEvent
// Succeeded, and nothing else (no build, no deploy). Returns the synced tag.
absl::StatusOr<std::string> CheckSyncIteration(const std::vector<proto::LogEntry>& entries,
                                               const SyncIterationSpec& spec);

// Returns "kind status \"entry\"" per entry, one per line, for failure messages.
std::string Describe(const std::vector<proto::LogEntry>& entries, size_t begin = 0,
                     size_t end = static_cast<size_t>(-1));

// Returns the portEvents among `entries` from `begin` on, in order.
std::vector<proto::PortEvent> PortEvents(const std::vector<proto::LogEntry>& entries,
                                         size_t begin = 0);

// Returns "TYPE/NAME:REMOTE -> ADDRESS:LOCAL pod P container C ns N" per
// event, one per line, for failure messages.
std::string DescribePorts(const std::vector<proto::PortEvent>& events);

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_CONTRACT_H_
