#include "domain/config/sync.h"

#include "absl/strings/match.h"
#include "domain/paths/path.h"

namespace devloop::config {

bool StaysInContext(absl::string_view src) {
  return !absl::StartsWith(src, "/") && !domain::EscapesRoot(src);
}

}  // namespace devloop::config
