// The image name an artifact gets under a default repository (--default-repo,
// SKAFFOLD_DEFAULT_REPO), by Skaffold's rule, so a project that runs under
// `skaffold dev -d R` pushes and deploys the same names under `devloop dev -d R`.
//
//   ImageUnderRepo("", "web")                     // "web": no repository, no rewrite
//   ImageUnderRepo("localhost:5000", "gcr.io/k8s-skaffold/web")
//                                                 // "localhost:5000/gcr_io_k8s-skaffold_web"
//   ImageUnderRepo("gcr.io/me/apps", "gcr.io/k8s-skaffold/web")
//                                                 // "gcr.io/me/apps/gcr.io/k8s-skaffold/web"
//
// The rule, on the name without its tag and digest (both are put back after):
// - a name that already starts with the repository is kept;
// - a repository that supports nested paths (its "host/project" prefix names
//   gcr.io or a *-docker.pkg.dev host) gets the name appended as is, or, when
//   the name has the same "host/project/" prefix, only the rest of the name;
// - any other repository gets the name with every '/', '.', '_', ':' and '@'
//   turned into '_' (so "a/web" and "b/web" do not meet as "web");
// and the result is cut to 255 characters.
//
// Pure functions: thread-safe.
#ifndef DEVLOOP_INFRA_BUILD_DEFAULT_REPO_H_
#define DEVLOOP_INFRA_BUILD_DEFAULT_REPO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace devloop::build {

// Returns `image` (a name, optionally with ":tag" and/or "@digest") rewritten
// under `default_repo`; `image` unchanged when `default_repo` is empty.
std::string ImageUnderRepo(absl::string_view default_repo, absl::string_view image);

// Whether `part` (an image name's first '/'-separated part) reads as a
// registry host: DNS labels (letters, digits, '-' not at either end) joined by
// '.', or a bracketed IPv6 address, with an optional ":port".
bool IsRegistryHost(absl::string_view part);

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_DEFAULT_REPO_H_
