// Runs containers to completion on a Docker Engine, together: the local
// execution mode of skaffold.yaml `customActions` (`devloop exec`) and
// `verify` (`devloop verify`).
//
// Every container starts at once; their output is streamed line by line; the
// run succeeds when every container exits 0. With `fail_fast`, the first
// failure stops the others; past `timeout`, every container still running is
// stopped and the run fails. Containers are labelled with `labels` and always
// removed before RunContainers returns.
//
//   absl::Status s = RunContainers(docker, {.containers = {{.name = "migrate",
//                                                           .image = "busybox",
//                                                           .args = {"true"}}}});
//
// Failure contract: Aborted listing every container that failed ("\"migrate\"
// running container image \"busybox\" errored during run with status code: 1"),
// DeadlineExceeded after the timeout, and the engine's error when a container
// cannot start (NotFound for an image the engine does not have).
#ifndef DEVLOOP_INFRA_ACTIONS_CONTAINER_RUNNER_H_
#define DEVLOOP_INFRA_ACTIONS_CONTAINER_RUNNER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "infra/docker/docker.h"

namespace devloop::actions {

struct ContainerJob {
  std::string name;
  std::string image;
  std::vector<std::string> entrypoint;  // `command`; empty: the image's
  std::vector<std::string> args;        // empty: the image's CMD
  std::map<std::string, std::string> env;
};

struct RunOptions {
  std::vector<ContainerJob> containers;
  absl::Duration timeout = absl::InfiniteDuration();
  bool fail_fast = true;
  std::map<std::string, std::string> labels;
  // Each line a container prints: (container name, line). From the log threads.
  std::function<void(const std::string& name, absl::string_view line)> on_output;
  // How often the containers' states are read.
  absl::Duration poll_interval = absl::Milliseconds(100);
};

// Blocks until every container has exited (or was stopped). `docker` must
// outlive the call.
absl::Status RunContainers(docker::Docker* docker, const RunOptions& options);

}  // namespace devloop::actions

#endif  // DEVLOOP_INFRA_ACTIONS_CONTAINER_RUNNER_H_
