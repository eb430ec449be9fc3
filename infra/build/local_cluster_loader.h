// LocalClusterLoader: a Builder decorator for Kubernetes clusters that run on
// this machine's Docker Engine but keep their own image store (kind, k3d).
// After each build it loads the image into the cluster's node, as Skaffold
// does, instead of pushing it to a registry, and returns the plain IMAGE:TAG to
// deploy (the node knows the image by that name, not by the local engine's
// image id). minikube needs no load: images are built on the Docker Engine in
// its node, reached as `minikube docker-env` says (MinikubeDockerOptions).
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
#include "infra/docker/engine_api_docker.h"
#include "infra/process/process_runner.h"

namespace devloop::build {

// Returns the command that loads `image` (IMAGE:TAG) into the cluster of
// kube-context `context`: kind-NAME → `kind load docker-image IMAGE --name NAME`,
// k3d-NAME → `k3d image import IMAGE -c NAME`; std::nullopt for any other
// context (minikube and docker-desktop build where the node finds the images;
// a remote cluster pulls from a registry).
std::optional<std::vector<std::string>> LoadImageArgv(const std::string& context,
                                                      const std::string& image);

// Loads local image `image` into the cluster of `context` with LoadImageArgv's
// command; OK, doing nothing, when the context has none. FailedPrecondition
// naming the command and carrying its output when it fails.
absl::Status LoadIntoCluster(process::ProcessRunner* runner, const std::string& context,
                             const std::string& image);

// Whether kube-context `context` is a minikube cluster (its profile's name).
bool IsMinikube(const std::string& context);

// The command that prints how to reach the Docker Engine of minikube profile
// `profile`, one KEY=VALUE a line.
std::vector<std::string> MinikubeDockerEnvArgv(const std::string& profile);

// Runs MinikubeDockerEnvArgv(profile) and returns the Engine connection it
// describes (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). A failing
// minikube fails with its output and the command.
absl::StatusOr<docker::EngineApiDockerOptions> MinikubeDockerOptions(
    process::ProcessRunner* runner, const std::string& profile);

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
