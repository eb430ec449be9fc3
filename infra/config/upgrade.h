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
// deploy.kubectl.manifests, deploy.kustomize and deploy.helm under manifests;
// the decoder reads both forms the way that step maps them, so they stay
// (and so do patch paths into them), and that step here converts helm
// artifactOverrides into setValueTemplates and refuses what Skaffold cannot
// upgrade (kpt).
//
// Profile patches are applied after the upgrade, so each step that renames or
// moves a field rewrites the JSON-pointer paths of profiles[].patches that
// point into it (Skaffold does this only in its v2 -> v3 step, where it moves
// the most): "/build/artifacts/0/imageName" becomes "/build/artifacts/0/image",
// a patch of kustomize.path sets paths to a list of its value, one of
// /deploy/helm/releases/0/values/image sets setValueTemplates/image to the
// image's template. Patches into a v1beta8 plugin, a v1beta9 sync map or a
// v2beta12 remote release are not rewritten (their new place depends on the
// document), nor is a patch of a whole artifactOverrides map (refused): such a
// patch fails as in Skaffold. Only paths are rewritten: a patch's value
// written in the old schema (a whole artifact with imageName) is not upgraded.
// Skaffold does not upgrade such values either: every one of its steps copies
// profiles[].patches as written, but v2beta29 -> v3alpha1, which rewrites
// paths under deploy.kubectl.manifests, deploy.kustomize and deploy.helm and
// converts one kind of value, the image name of a patch of a helm release's
// artifactOverrides/<name>, into the setValueTemplates that replace it (done
// here too, in that step). An object value in an old shape is left as
// written, in Skaffold as here.
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
