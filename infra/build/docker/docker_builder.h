// DockerBuilder: the builder port (infra/build/builder.h) on the local Docker
// Engine, through BuildImage (image_builder.h) and the tag policy.
//
//   DockerBuilder builder(&docker, {.artifacts = pipeline.artifacts, .tagger = tagger,
//                                   .labels = {{"dev.devloop.run-id", run_id}}});
//   absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
//   builder.Cleanup();   // removes the images labelled with this run's labels
//
// The artifact cache across runs (`cache_scope`, `devloop dev` with
// --cache-artifacts, the default): images are labelled
// dev.devloop.cache=<scope>/<image> instead of with the owner label, so they
// outlive the run, and the next run of the project finds them by input digest
// (image_builder.h) instead of building. Cleanup then prunes: of each
// artifact's cached images it keeps the one this run used last and the newest
// others up to `keep_cached`, and removes the rest (images devloop built for
// this scope, never others).
//
// Images listed in `prebuilt` are not built: Build returns the given reference
// (`devloop deploy --images`).
//
// Thread-safe: builds of different artifacts may run concurrently.
#ifndef DEVLOOP_INFRA_BUILD_DOCKER_DOCKER_BUILDER_H_
#define DEVLOOP_INFRA_BUILD_DOCKER_DOCKER_BUILDER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "infra/build/builder.h"
#include "infra/build/docker/image_builder.h"
#include "infra/build/tagger.h"
#include "infra/docker/docker.h"

namespace devloop::build {

class DockerBuilder final : public Builder {
 public:
  struct Options {
    std::vector<ArtifactBuildSpec> artifacts;
    // Null: the tag is the first 12 hex digits of the image id.
    std::shared_ptr<const Tagger> tagger;
    // Reuse a local image whose input digest matches instead of building.
    bool cache_artifacts = false;
    // Put on every image. Cleanup removes the images carrying `owner_label`.
    std::map<std::string, std::string> labels;
    std::pair<std::string, std::string> owner_label;  // {key, value}; empty: no cleanup
    // Artifacts that are not built: image -> the reference to deploy as is.
    std::map<std::string, std::string> prebuilt;
    // Push every built image (build.local.push, --push): tagged as
    // ImageUnderRepo(default_repo, image) (default_repo.h) and pushed; Build
    // then returns "<that name>:<tag>@<registry digest>".
    bool push = false;
    // --default-repo; empty: the image name's own registry. Not pushed, an
    // image is still tagged under it, and Build returns "<that name>:<tag>@<id>".
    std::string default_repo;
    // Non-empty: keep images across runs as the artifact cache (see above).
    std::string cache_scope;
    int keep_cached = 3;
  };

  // `docker` must outlive the builder.
  DockerBuilder(docker::Docker* docker, Options options);

  absl::StatusOr<std::string> Build(const BuildRequest& request) override;
  void Cancel(const std::string& image) override;
  absl::Status Cleanup() override;

 private:
  const ArtifactBuildSpec* Find(const std::string& image) const;
  // Names (and with `push`, pushes) `built` as the options say; returns the
  // reference to deploy.
  absl::StatusOr<std::string> Publish(const std::string& image, const BuiltImage& built);

  docker::Docker* const docker_;
  const Options options_;

  absl::Mutex mu_;
  // Pushed reference -> the local image id, for artifacts that require it.
  std::map<std::string, std::string> local_ids_ ABSL_GUARDED_BY(mu_);
  // Image name -> the id its last build returned (kept by Cleanup's prune).
  std::map<std::string, std::string> last_ids_ ABSL_GUARDED_BY(mu_);
  // The cancellation of the running (or next) build of each artifact.
  std::map<std::string, std::shared_ptr<docker::Cancellation>> cancellations_
      ABSL_GUARDED_BY(mu_);
};

// The label of images kept as the artifact cache: "<scope>/<image>".
inline constexpr char kCacheLabel[] = "dev.devloop.cache";

// Returns the ids a prune of `scope`'s cached images of artifact `image`
// removes: all but `last_used` (the one the run deployed last; may be empty)
// and the newest others, up to `keep` images kept in all. Shared by the
// builders that keep the cache (DockerBuilder, CustomBuilder). Errors: the
// port's ListImages errors.
absl::StatusOr<std::vector<std::string>> CachedImagesToPrune(docker::Docker* docker,
                                                             const std::string& scope,
                                                             const std::string& image,
                                                             const std::string& last_used,
                                                             int keep);

// A builder's Cleanup of images: removes those carrying `owner_label` (the
// run's; none when its key is empty) and, with a `cache_scope`, each of
// `artifacts`' cached images a prune removes (CachedImagesToPrune, keeping
// `last_used[image]`). Goes on past errors and returns them.
absl::Status RemoveOwnedAndPrunedImages(docker::Docker* docker,
                                        const std::pair<std::string, std::string>& owner_label,
                                        const std::string& cache_scope,
                                        const std::vector<ArtifactBuildSpec>& artifacts,
                                        const std::map<std::string, std::string>& last_used,
                                        int keep);

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_DOCKER_DOCKER_BUILDER_H_
