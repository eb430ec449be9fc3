// What `devloop debug` on Kubernetes needs of the Docker Engine the images are
// built on: each deployed artifact's own configuration (what it runs when its
// manifest says nothing), and the debuggers' support images
// (`devloop-debug-support:<runtime>`, made by tools/debug/support.sh) placed
// where the cluster's nodes find them, the way the artifacts get there:
//  - kPush: tagged under the default repo and pushed; the manifests name the
//    digest, pulled IfNotPresent (from the run's registry only);
//  - kLoad: loaded into a local cluster's node (kind, k3d); never pulled;
//  - kEngine: the nodes use this engine's images (docker-desktop, minikube's
//    node engine); never pulled.
//
//   DebugImages images(docker, runner, {.route = DebugImages::Route::kPush,
//                                       .default_repo = "127.0.0.1:5000"});
//   images.Support("go");  // {"127.0.0.1:5000/devloop-debug-support:go@sha256:...",
//                          //  "IfNotPresent"}
//
// Thread-safe; each support image is placed once per DebugImages.
#ifndef DEVLOOP_APPS_DEV_DEBUG_IMAGES_H_
#define DEVLOOP_APPS_DEV_DEBUG_IMAGES_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "infra/deploy/kubectl/debug_manifests.h"
#include "infra/docker/docker.h"
#include "infra/process/process_runner.h"

namespace devloop::apps {

class DebugImages {
 public:
  enum class Route { kPush, kLoad, kEngine };
  struct Options {
    Route route = Route::kEngine;
    std::string default_repo;  // kPush: where to push
    std::string context;       // kLoad: the local cluster's kube-context
    std::string support_prefix = "devloop-debug-support:";
  };

  // `docker` and `runner` must outlive this.
  DebugImages(docker::Docker* docker, process::ProcessRunner* runner, Options options)
      : docker_(docker), runner_(runner), options_(std::move(options)) {}

  // Returns the configuration of deployed `reference` (a digest that the
  // engine does not know the image by is dropped). NotFound without the image.
  absl::StatusOr<deploy::kubectl::ImageRunConfig> ImageConfig(const std::string& reference);

  // Returns support image `support` ("go") where the nodes find it.
  // FailedPrecondition saying how to make it when the engine has none, or
  // when pushing needs a default repo; the push's or load's error otherwise.
  absl::StatusOr<deploy::kubectl::SupportImage> Support(const std::string& support)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::StatusOr<deploy::kubectl::SupportImage> Place(const std::string& support);

  docker::Docker* const docker_;
  process::ProcessRunner* const runner_;
  const Options options_;
  absl::Mutex mu_;  // held while an image is placed, so it is placed once
  std::map<std::string, deploy::kubectl::SupportImage> placed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_DEBUG_IMAGES_H_
