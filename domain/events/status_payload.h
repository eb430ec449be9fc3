// A Skaffold status code carried on an absl::Status, so that an adapter's error
// keeps its canonical code for control flow and also says which wire code
// (BUILD_USER_ERROR, DEPLOY_CLUSTER_CONNECTION_ERR, ...) the events report.
//
//   absl::Status s = WithStatusCode(absl::UnavailableError("no engine"),
//                                   StatusCode::kBuildDockerDaemonNotRunning);
//   StatusCodeOr(s, StatusCode::kBuildUnknown);   // kBuildDockerDaemonNotRunning
//   StatusCodeOr(absl::InternalError("x"), StatusCode::kDeployUnknown);  // kDeployUnknown
//
// Thread-safe: pure functions.
#ifndef DEVLOOP_DOMAIN_EVENTS_STATUS_PAYLOAD_H_
#define DEVLOOP_DOMAIN_EVENTS_STATUS_PAYLOAD_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/events/status_code.h"

namespace devloop::domain {

// The payload's type URL; its value is the decimal wire number.
inline constexpr absl::string_view kStatusCodePayloadUrl = "type.devloop.dev/skaffold.StatusCode";

// Returns `status` with `code` attached (replacing an earlier one); OK stays OK.
absl::Status WithStatusCode(absl::Status status, StatusCode code);

// Returns the attached code, or std::nullopt when there is none (or `status` is OK).
std::optional<StatusCode> AttachedStatusCode(const absl::Status& status);

// Returns kOk for OK, the attached code if any, else `fallback`.
StatusCode StatusCodeOr(const absl::Status& status, StatusCode fallback);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_EVENTS_STATUS_PAYLOAD_H_
