// Kubernetes manifests as devloop deploys them: read from the config's globs
// (or the output of `kubectl kustomize` / `helm template`), every `image:` that
// names a built artifact replaced by the reference the build returned, and every
// object labelled with the run's labels, so cleanup can find exactly what the run
// applied. The result is one multi-document YAML stream for `kubectl apply -f -`.
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::vector<ManifestSource> sources,
//                            ReadManifests({"k8s/*.yaml"}, "/src/project"));
//   DEVLOOP_ASSIGN_OR_RETURN(
//       Rendered r, Render(sources, {.images = {{"web", "127.0.0.1:5000/web:3f2a"}},
//                                    .labels = {{"dev.devloop.run-id", "3f2a9c01"}}}));
//   // r.yaml: the documents to apply; r.objects: {Deployment web, Service web}
//
// Thread-compatible (free functions over values; ReadManifests reads files).
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFESTS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFESTS_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::deploy::kubectl {

// One file (or one renderer's output) of YAML documents.
struct ManifestSource {
  std::string path;  // shown in errors: "k8s/web.yaml", "kustomize overlays/dev"
  std::string text;
  // Where its namespaced objects without a metadata.namespace go (a helm
  // release's namespace); empty: the deploy's namespace.
  std::string namespace_name;
  bool operator==(const ManifestSource&) const = default;
};

// An object the manifests hold.
struct ObjectRef {
  std::string api_version;  // "apps/v1"
  std::string kind;         // "Deployment"
  std::string name;
  std::string namespace_name;  // as written; empty: the deploy's namespace
  bool operator==(const ObjectRef&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ObjectRef& ref);

struct RenderOptions {
  // Artifact image name ("web", "gcr.io/x/web") -> the reference to deploy. An
  // `image:` is replaced when its name without tag or digest equals a key.
  std::map<std::string, std::string> images;
  // Set on every object's metadata.labels and on the pod template of every
  // workload (so the pods carry them too). Existing values are overwritten.
  std::map<std::string, std::string> labels;
};

struct Rendered {
  std::string yaml;                 // documents separated by "---"
  std::vector<ObjectRef> objects;   // in the order they appear
  bool operator==(const Rendered&) const = default;
};

// Returns the files matching `globs` (relative to `base_dir` unless absolute;
// `*`, `?`, `[...]` and `**` as in Skaffold), each read once, in glob order and
// sorted within a glob. A glob that matches nothing is an error (Skaffold warns;
// devloop refuses: an empty deploy is never what was meant), naming the glob.
// NotFound / InvalidArgument with the glob or file in the message.
absl::StatusOr<std::vector<ManifestSource>> ReadManifests(const std::vector<std::string>& globs,
                                                          const std::string& base_dir);

// Parses every document of `sources` (empty documents and `List` kinds are
// flattened), puts the source's namespace on its namespaced objects that name
// none, rewrites images in Pod, Deployment, ReplicaSet, StatefulSet,
// DaemonSet, Job and CronJob (containers and initContainers of the pod spec or
// template, CronJob's jobTemplate too), and adds the labels. InvalidArgument
// with "path:line:column: what" for YAML that does not parse or a document
// without apiVersion, kind or metadata.name.
absl::StatusOr<Rendered> Render(const std::vector<ManifestSource>& sources,
                                const RenderOptions& options);

// The kinds whose pod specs Render rewrites ("Deployment", ...).
bool IsWorkloadKind(const std::string& kind);

// An image reference split as Docker splits it: the name runs up to the tag (a
// ':' after the last '/') or the digest ('@'), so a registry port stays in the
// name. Added beside Render for the helm renderer's IMAGE_REPO_/IMAGE_TAG_/
// IMAGE_DIGEST_ values, which must split references the way Render matches them.
struct ImageReference {
  std::string name;    // "localhost:5000/web"
  std::string tag;     // "v1"; empty when there is none
  std::string digest;  // "sha256:3f2a..."; empty when there is none
  bool operator==(const ImageReference&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ImageReference& ref);

// "localhost:5000/web:v1@sha256:3f2a" -> {"localhost:5000/web", "v1", "sha256:3f2a"};
// "web" -> {"web", "", ""}. Never fails: any text has a name.
ImageReference ParseImageReference(absl::string_view reference);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFESTS_H_
