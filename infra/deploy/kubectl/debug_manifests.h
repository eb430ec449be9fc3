// `devloop debug` on Kubernetes: the rendered manifests (manifests.h) rewritten
// so that every container running an artifact of this run starts under its
// language's debugger, as Skaffold's `debug` rewrites them.
//
// For each pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
// CronJob's job template, a bare Pod), each container whose image is an
// artifact's deployed reference is seen as it will run (the manifest's
// command/args/env/workingDir over the image's own configuration, as the
// kubelet lays them) and goes through domain/debug's TransformContainer. Then:
//  - command, args and env are written back (only what changed);
//  - the debug ports are added as containerPorts named by their protocol;
//  - an emptyDir volume `debugging-support-files` is mounted at /dbg in each
//    container that needs the debugger's files, and one init container per
//    runtime, `install-<runtime>-debug-support`, copies /dbg/<runtime> from its
//    support image into it;
//  - the pod template is annotated debug.cloud.google.com/config.
// A container that cannot be debugged is left as it is, and said why.
//
//   DEVLOOP_ASSIGN_OR_RETURN(DebugManifests d, RewriteForDebug(rendered.yaml, {
//       .images = {{"web", "127.0.0.1:5000/web:3f2a"}},
//       .image_config = InspectWithDocker, .support_image = PublishSupport}));
//   // d.yaml: to apply; d.workloads: {Deployment web: {web: go, dlv 56268}}
//
// Thread-compatible (a free function; the callbacks are called on the
// calling thread).
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_DEBUG_MANIFESTS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_DEBUG_MANIFESTS_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/debug/annotation.h"

namespace devloop::deploy::kubectl {

// The name of the pod volume that carries the debuggers' files.
inline constexpr absl::string_view kDebugSupportVolume = "debugging-support-files";

// What an image runs when its manifest says nothing (Docker's image config).
struct ImageRunConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  bool operator==(const ImageRunConfig&) const = default;
};

// A runtime's support image as the cluster can run it.
struct SupportImage {
  std::string reference;
  // "Never" when the image was put on the node; "IfNotPresent" when the node
  // pulls it from the run's own registry (never from anywhere else).
  std::string pull_policy = "Never";
  bool operator==(const SupportImage&) const = default;
};

struct DebugManifestOptions {
  // Artifact image name -> the reference deployed (as Render wrote it).
  std::map<std::string, std::string> images;
  // Artifact image name -> its runtimeType, when skaffold.yaml gives one.
  std::map<std::string, std::string> runtime_types;
  // Returns the configuration of a deployed reference. An error fails the
  // rewrite (the deploy cannot be what the user asked for).
  std::function<absl::StatusOr<ImageRunConfig>(const std::string& reference)> image_config;
  // Returns the support image of debugger support `support` ("go", "python",
  // "nodejs"). Called once per support a pod needs; an error fails the rewrite.
  std::function<absl::StatusOr<SupportImage>(const std::string& support)> support_image;
};

// A workload whose pods run debuggers, and each debugged container's entry in
// the annotation (artifact, runtime, workingDir, ports).
struct DebugWorkload {
  std::string kind;            // "Deployment", "Pod", ...
  std::string name;
  std::string namespace_name;  // as written; empty: the deploy's namespace
  std::map<std::string, debug::ContainerDebugConfig> containers;
  bool operator==(const DebugWorkload&) const = default;
};
std::ostream& operator<<(std::ostream& os, const DebugWorkload& w);

struct DebugManifests {
  std::string yaml;  // the documents to apply, "---" between them
  std::vector<DebugWorkload> workloads;
  // One line per container of an artifact left without a debugger:
  // "Deployment web, container web: <why>".
  std::vector<std::string> skipped;
  bool operator==(const DebugManifests&) const = default;
};

// Rewrites `yaml` (Render's output) as the header says. A pod template that
// already carries the debug annotation is left alone (someone configured it).
// Errors: InvalidArgument for YAML that does not parse; the callbacks' errors,
// naming the workload and container.
absl::StatusOr<DebugManifests> RewriteForDebug(absl::string_view yaml,
                                               const DebugManifestOptions& options);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_DEBUG_MANIFESTS_H_
