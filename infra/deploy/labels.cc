#include "infra/deploy/labels.h"

#include <random>

#include "absl/strings/str_format.h"

namespace devloop::deploy {

std::string NewRunId() {
  std::random_device rd;
  return absl::StrFormat("%08x", rd());
}

}  // namespace devloop::deploy
