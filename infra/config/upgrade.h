// Reads old skaffold.yaml schemas: rewrites a parsed document, in memory and step
// by step as Skaffold's own upgrade does (skaffold/v1alpha1 -> v1alpha2 -> ... ->
// skaffold/v4beta13), into the fields the decoder reads. Internal to infra/config;
// the loader runs it on every document before profiles are applied, so profiles
// of old configs are upgraded the same way as the document's own sections.
//
//   if (CheckHeader(doc, file, &errors) && UpgradeConfig(doc, file, &errors)) {
//     ApplyProfiles(doc, ...);
//     Config c = DecodeConfig(doc, ...);
//   }
//
// Nodes keep their yaml-cpp marks as they move (a renamed key is the user's key
// node, a moved value the user's value node), so the decoder's errors about an
// upgraded field still say file:line:column of the text the user wrote; only the
// field path in the message uses the newest names.
//
// Steps rewrite only what the decoder reads or refuses by name: a step whose
// changes touch nothing else (kaniko settings, Cloud Build images, ...) changes
// nothing here. The apiVersion node is left as written, so Config::api_version
// tells what the file says. Skaffold's v2beta29 -> v3alpha1 step moves
// deploy.kubectl.manifests and deploy.kustomize under manifests; the decoder
// reads both forms the way that step maps them, so here it only refuses what
// Skaffold cannot upgrade (kpt). Profile patches are applied after the upgrade
// and are not rewritten: a patch path naming a field an old step renamed fails,
// as it does in Skaffold.
//
// Free functions; thread-compatible.
#ifndef DEVLOOP_INFRA_CONFIG_UPGRADE_H_
#define DEVLOOP_INFRA_CONFIG_UPGRADE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "domain/config/errors.h"
#include "yaml-cpp/yaml.h"

namespace devloop::config::internal {

// Returns true when `api_version` is one devloop reads (skaffold/v1alpha1 ...
// skaffold/v4beta13, every version Skaffold v2 reads).
bool IsReadableApiVersion(absl::string_view api_version);

// Returns the readable versions for messages: "skaffold/v1alpha1 ...
// skaffold/v1alpha5, skaffold/v1beta1 ... skaffold/v1beta17, ..., or
// skaffold/v4beta1 ... skaffold/v4beta13".
std::string ReadableApiVersions();

// Returns the newest apiVersion, the schema every document is upgraded to.
const std::string& NewestApiVersion();

// Upgrades `doc` in place from its apiVersion to the newest schema. Returns false,
// after reporting into `errors` at the offending node of `file`, when a field
// cannot be upgraded (Skaffold refuses it too); `doc` must not be decoded then.
// REQUIRES: CheckHeader(doc, ...) returned true.
bool UpgradeConfig(YAML::Node doc, const std::string& file, std::vector<ConfigError>* errors);

}  // namespace devloop::config::internal

#endif  // DEVLOOP_INFRA_CONFIG_UPGRADE_H_
