#include "infra/docker/docker_status.h"

#include "domain/events/status_payload.h"

namespace devloop::docker {

absl::Status WithDockerStatusCode(absl::Status status, domain::StatusCode code) {
  return domain::WithStatusCode(std::move(status), code);
}

domain::StatusCode DockerStatusCode(const absl::Status& status) {
  return domain::StatusCodeOr(status, domain::StatusCode::kBuildDockerUnknown);
}

}  // namespace devloop::docker
