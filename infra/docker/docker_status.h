// How a Docker failure carries its Skaffold status code: as a payload on the
// absl::Status, so callers keep the canonical code for control flow and the
// domain gets the wire code for events.
//
//   absl::Status s = WithDockerStatusCode(absl::UnavailableError("..."),
//                                         domain::StatusCode::kBuildDockerDaemonNotRunning);
//   DockerStatusCode(s);   // kBuildDockerDaemonNotRunning
//   DockerStatusCode(absl::OkStatus());  // kOk
//
// Thread-safe: pure functions.
#ifndef DEVLOOP_INFRA_DOCKER_DOCKER_STATUS_H_
#define DEVLOOP_INFRA_DOCKER_DOCKER_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/events/status_code.h"

namespace devloop::docker {

// The payload is domain/events/status_payload.h's, so any port's caller reads it.
// Returns `status` with `code` attached (replacing an earlier one).
absl::Status WithDockerStatusCode(absl::Status status, domain::StatusCode code);

// Returns the attached code; kOk for OK, kBuildDockerUnknown for an error
// without one.
domain::StatusCode DockerStatusCode(const absl::Status& status);

}  // namespace devloop::docker

#endif  // DEVLOOP_INFRA_DOCKER_DOCKER_STATUS_H_
