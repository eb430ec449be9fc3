#include "domain/events/status_payload.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace devloop::domain {

absl::Status WithStatusCode(absl::Status status, StatusCode code) {
  if (status.ok()) return status;
  status.SetPayload(kStatusCodePayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

std::optional<StatusCode> AttachedStatusCode(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kStatusCodePayloadUrl);
  int value = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &value)) {
    return std::nullopt;
  }
  return static_cast<StatusCode>(value);
}

StatusCode StatusCodeOr(const absl::Status& status, StatusCode fallback) {
  if (status.ok()) return StatusCode::kOk;
  return AttachedStatusCode(status).value_or(fallback);
}

}  // namespace devloop::domain
