// Skaffold profiles on the YAML tree: activation, whole-section overrides and
// JSON patches (RFC 6902 add/remove/replace), applied to a document before it
// is decoded. Internal to infra/config; LoadConfigs() is the public entry.
//
//   std::vector<std::string> applied =
//       ApplyProfiles(doc, {.requested = {"dev"}, .env = env, .command = "dev"}, &walker);
//
// Free functions: thread-compatible (they mutate only the document they are given).
#ifndef DEVLOOP_INFRA_CONFIG_PROFILES_H_
#define DEVLOOP_INFRA_CONFIG_PROFILES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "infra/config/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace devloop::config::internal {

struct ProfileOptions {
  // -p/--profile, in order; "-name" turns off a profile that activation would
  // turn on. "config:name" (and "-config:name") concerns only the config whose
  // metadata.name is `config`; a plain name, every config that defines it.
  std::vector<std::string> requested;
  std::string config_name;  // this document's metadata.name, "" if none
  // Turned on by a parent config's requires[].activeProfiles.
  std::vector<std::string> from_parent;
  std::map<std::string, std::string> env;
  std::string kube_context;
  std::string command;  // dev, run, build, deploy, ...
};

// Skaffold's match of an activation value: "!x" negates; otherwise equal strings
// match, else `pattern` is an RE2 searched for anywhere in `s` (as Go's
// regexp.MatchString). An invalid pattern matches nothing.
bool RegexEqual(absl::string_view pattern, absl::string_view s);

// Applies one JSON-patch operation to `root` in place. `path` and `from` are JSON
// pointers ("/build/artifacts/0/docker"; "-" appends to a list). Returns
// InvalidArgument saying which part of the path is missing or wrong.
absl::Status ApplyPatchOp(YAML::Node root, absl::string_view op, absl::string_view path,
                          const YAML::Node& value);

// Applies every profile of `doc` that is requested, activated, or turned on by a
// parent (in the order they are defined), then removes `profiles` from `doc`.
// Errors (bad profile entries, patches that do not apply) go to `walker`.
// Returns the names applied; `defined` gets every profile name of the document,
// and "config:name" for each too when the document has a metadata.name.
std::vector<std::string> ApplyProfiles(YAML::Node doc, const ProfileOptions& options,
                                       Walker* walker, std::set<std::string>* defined);

}  // namespace devloop::config::internal

#endif  // DEVLOOP_INFRA_CONFIG_PROFILES_H_
