// Pure helpers for slash-separated relative paths, as sync rules, build contexts
// and .dockerignore files name them. No file system access: the shell turns OS
// paths into these strings (relative to a build context, '/' separators) first.
//
//   CleanPath("src/./a//b/../c.txt")      == "src/a/c.txt"
//   JoinPath("app", "static/index.html")  == "app/static/index.html"
//   IsInside("app", "app/main.go")        == true
//   RelativeTo("app", "app/static/x.css") == "static/x.css"
//
// Free functions over values: thread-safe.
#ifndef DEVLOOP_DOMAIN_PATHS_PATH_H_
#define DEVLOOP_DOMAIN_PATHS_PATH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::domain {

// Returns the shortest lexically equivalent path: repeated slashes collapse, "."
// elements go, "x/.." pairs cancel, a trailing slash goes. A relative path keeps
// leading ".." elements; a rooted one drops them ("/../a" -> "/a"). The empty
// path cleans to ".". (The rules of Go's path.Clean, which Skaffold and Docker use.)
std::string CleanPath(absl::string_view path);

// Returns CleanPath(a + "/" + b), skipping empty arguments; "" when both are empty.
// A rooted `b` is still appended ("a" + "/b" -> "a/b"): use ResolvePath when `b`
// may be absolute and then stands alone.
std::string JoinPath(absl::string_view a, absl::string_view b);

// Returns `path` resolved against the directory `base` the way a shell `cd`, a
// Dockerfile WORKDIR or COPY destination, or a config's relative path does:
// CleanPath(path) when `path` is rooted or `base` is empty, otherwise
// CleanPath(base + "/" + path). Never "" (both empty gives ".").
//
//   ResolvePath("/app", "static")  == "/app/static"
//   ResolvePath("/app", "/etc/x")  == "/etc/x"
std::string ResolvePath(absl::string_view base, absl::string_view path);

// Returns whether `path` is `dir` or lies below it, comparing cleaned paths by
// whole elements ("app" does not contain "application/x"). The directory "."
// contains every relative path that does not climb out with "..".
bool IsInside(absl::string_view dir, absl::string_view path);

// Returns `path` relative to `dir` ("." when they are equal), or InvalidArgument
// naming both when `path` is not inside `dir`.
absl::StatusOr<std::string> RelativeTo(absl::string_view dir, absl::string_view path);

// Returns whether the cleaned relative `path` climbs above its root (".." or "../x").
bool EscapesRoot(absl::string_view path);

// Returns the elements of the cleaned `path` ("a/b" -> {"a", "b"}; "." -> {}).
std::vector<std::string> SplitPath(absl::string_view path);

// Returns everything before the last element of the cleaned path ("a/b" -> "a",
// "b" -> "."), and the last element ("a/b" -> "b").
std::string DirName(absl::string_view path);
std::string BaseName(absl::string_view path);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PATHS_PATH_H_
