// Path globs as Skaffold's config uses them (sync rules, custom dependencies):
// `*` matches within one path segment, `?` one character but "/", `[abc]` /
// `[a-z]` / `[!a]` a character class, and a `**` segment any number of segments
// (zero included). Paths use "/" and are relative (no leading "./").
//
//   MatchGlob("src/**/*.js", "src/app/main.js");  // true
//   MatchGlob("*.html", "static/index.html");     // false: * stays in a segment
//
// Free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_GLOB_H_
#define DEVLOOP_DOMAIN_CONFIG_GLOB_H_

#include <string>

#include "absl/strings/string_view.h"

namespace devloop::config {

// Returns true when `path` matches `pattern` entirely.
bool MatchGlob(absl::string_view pattern, absl::string_view path);

// Returns true when `s` holds a glob metacharacter (* ? [).
bool HasGlobMeta(absl::string_view s);

// Returns `path` cleaned lexically like Go's path.Clean: "." and empty segments
// dropped, ".." folded into its parent where one exists; "" becomes ".".
std::string CleanPath(absl::string_view path);

// Returns a/b cleaned, or b alone when b is absolute.
std::string JoinPath(absl::string_view a, absl::string_view b);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_GLOB_H_
