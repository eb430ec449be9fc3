// LocalClusterLoader: a Builder decorator for Kubernetes clusters that run on
// this machine's Docker Engine but keep their own image store (kind, k3d,
// minikube). After each build it loads the image into the cluster's node, as
// Skaffold does, instead of pushing it to a registry, and returns the plain
// IMAGE:TAG to deploy (the node knows the image by that name, not by the local
// engine's image id).
//
//   std::optional<std::vector<std::string>> argv = LoadImageArgv("kind-dev", "web:3f2a");
//   // {"kind", "load", "docker-image", "web:3f2a", "--name", "dev"}
//   LocalClusterLoader loader(&docker_builder, &runner, "kind-dev");
//   loader.Build({.image = "web"});   // "web:3f2a", loaded into kind's node
//
// Thread-safe when the wrapped builder is.
#ifndef DEVLOOP_INFRA_BUILD_LOCAL_CLUSTER_LOADER_H_
#define DEVLOOP_INFRA_BUILD_LOCAL_CLUSTER_LOADER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infra/build/builder.h"
#include "infra/process/process_runner.h"

namespace devloop::build {

// Returns the command that loads `image` (IMAGE:TAG) into the cluster of
// kube-context `context`: kind-NAME → `kind load docker-image IMAGE --name NAME`,
// k3d-NAME → `k3d image import IMAGE -c NAME`, minikube → `minikube image load
// IMAGE -p minikube`; std::nullopt for any other context (docker-desktop shares
// the engine's images; a remote cluster pulls from a registry).
std::optional<std::vector<std::string>> LoadImageArgv(const std::string& context,
                                                      const std::string& image);

class LocalClusterLoader final : public Builder {
 public:
  // `base` and `runner` must outlive the loader. REQUIRES: LoadImageArgv(context, ...) is set.
  LocalClusterLoader(Builder* base, process::ProcessRunner* runner, std::string context)
      : base_(base), runner_(runner), context_(std::move(context)) {}

  // Builds with the base builder, then loads IMAGE:TAG (the reference without
  // its digest) into the cluster. A load that fails fails the build, with the
  // loader's output in the message.
  absl::StatusOr<std::string> Build(const BuildRequest& request) override;
  void Cancel(const std::string& image) override { base_->Cancel(image); }
  absl::Status Cleanup() override { return base_->Cleanup(); }

 private:
  Builder* const base_;
  process::ProcessRunner* const runner_;
  const std::string context_;
};

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_LOCAL_CLUSTER_LOADER_H_
