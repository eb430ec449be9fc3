#include "domain/pipeline/iteration.h"

#include <string>
#include <utility>

namespace devloop::domain {

std::optional<DevLoopEvent> Iteration::Open() {
  if (open_) return std::nullopt;
  ++number_;
  open_ = true;
  error_.reset();
  return DevLoopEvent{number_, std::string(kStatusInProgress), std::nullopt};
}

void Iteration::Fail(ActionableErr err) {
  if (open_ && !error_.has_value()) error_ = std::move(err);
}

std::optional<DevLoopEvent> Iteration::Close() {
  if (!open_) return std::nullopt;
  open_ = false;
  const bool ok = !error_.has_value();
  return DevLoopEvent{number_, std::string(ok ? kStatusSucceeded : kStatusFailed),
                      std::exchange(error_, std::nullopt)};
}

}  // namespace devloop::domain
