// Config errors with their place, in one format everywhere:
//
//   skaffold.yaml:12:7: unknown field "dockerfiel" in build.artifacts[0].docker (did you mean "dockerfile"?)
//
// Loading and validation collect every error of a pass in a vector, so a user
// fixes them all at once; ErrorsToStatus() turns the vector into one status.
//
//   std::vector<ConfigError> errors;
//   errors.push_back({pos, "missing required field \"image\" in build.artifacts[1]"});
//   return ErrorsToStatus(errors);  // InvalidArgument, one line per error
//
// Value types and free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_ERRORS_H_
#define DEVLOOP_DOMAIN_CONFIG_ERRORS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/config/config.h"

namespace devloop::config {

struct ConfigError {
  SourcePos pos;
  std::string message;  // what is wrong and what was expected, without the place
  bool operator==(const ConfigError&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ConfigError& error);

// Returns "file:line:column: message" ("file: message" when the position is unknown).
std::string FormatError(const ConfigError& error);

// Returns OK for no errors, else InvalidArgument whose message holds every error,
// one per line, in the order given.
absl::Status ErrorsToStatus(const std::vector<ConfigError>& errors);

// Returns the name in `candidates` closest to `name` by edit distance, or "" when
// none is close enough to be a plausible typo (distance above a third of the
// longer name, and at least 1 allowed).
std::string ClosestName(absl::string_view name, const std::vector<std::string>& candidates);

// Returns the edit distance between a and b: insertions, deletions, substitutions
// and swaps of adjacent characters each count 1.
int EditDistance(absl::string_view a, absl::string_view b);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_ERRORS_H_
