// What a developer should do next, for each status code a dev loop reports.
//
// The console prints these under an error ("Build [web] failed ... → Check if
// docker is running"); they are the human side of the API's ActionableErr.
//
//   absl::string_view hint = SuggestionFor(StatusCode::kBuildDockerDaemonNotRunning);
//   // "Check if docker is running"
//
// Free functions over constant tables: thread-safe.
#ifndef DEVLOOP_APPS_CONSOLE_SUGGESTIONS_H_
#define DEVLOOP_APPS_CONSOLE_SUGGESTIONS_H_

#include "absl/strings/string_view.h"
#include "domain/events/status_code.h"

namespace devloop::console {

// Returns the suggestion for `code`, or "" for success codes and codes that need
// none.
absl::string_view SuggestionFor(domain::StatusCode code);

}  // namespace devloop::console

#endif  // DEVLOOP_APPS_CONSOLE_SUGGESTIONS_H_
