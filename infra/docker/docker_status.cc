#include "infra/docker/docker_status.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace devloop::docker {

absl::Status WithDockerStatusCode(absl::Status status, domain::StatusCode code) {
  if (status.ok()) return status;
  status.SetPayload(kStatusCodePayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

domain::StatusCode DockerStatusCode(const absl::Status& status) {
  if (status.ok()) return domain::StatusCode::kOk;
  auto payload = status.GetPayload(kStatusCodePayloadUrl);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value)) {
    return domain::StatusCode::kBuildDockerUnknown;
  }
  return static_cast<domain::StatusCode>(value);
}

}  // namespace devloop::docker
