#include "apps/dev/debug_images.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "infra/build/default_repo.h"
#include "infra/build/local_cluster_loader.h"

namespace devloop::apps {

using deploy::kubectl::ImageRunConfig;
using deploy::kubectl::SupportImage;

absl::StatusOr<ImageRunConfig> DebugImages::ImageConfig(const std::string& reference) {
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(reference);
  const size_t at = reference.find('@');
  if (!info.ok() && info.status().code() == absl::StatusCode::kNotFound &&
      at != std::string::npos) {
    // Pushed "name:tag@sha256:...": the engine knows it by name and tag.
    info = docker_->InspectImage(reference.substr(0, at));
  }
  if (!info.ok()) return info.status();
  return ImageRunConfig{.entrypoint = info->config.entrypoint,
                        .cmd = info->config.cmd,
                        .env = info->config.env,
                        .working_dir = info->config.working_dir};
}

absl::StatusOr<SupportImage> DebugImages::Support(const std::string& support) {
  absl::MutexLock lock(&mu_);
  auto it = placed_.find(support);
  if (it != placed_.end()) return it->second;
  absl::StatusOr<SupportImage> placed = Place(support);
  if (placed.ok()) placed_[support] = *placed;
  return placed;
}

absl::StatusOr<SupportImage> DebugImages::Place(const std::string& support) {
  const std::string local = options_.support_prefix + support;
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(local);
  if (!info.ok()) {
    if (info.status().code() != absl::StatusCode::kNotFound) return info.status();
    return absl::FailedPreconditionError(absl::StrCat(
        "debugging a ", support, " container needs the image ", local,
        " (the debugger's files), and the Docker Engine has none: make it with "
        "tools/debug/support.sh"));
  }
  switch (options_.route) {
    case Route::kPush: {
      if (options_.default_repo.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the cluster pulls images from a registry, and ", local,
            " has none to go to: give --default-repo (the registry the artifacts go to)"));
      }
      const std::string remote = absl::StrCat(
          build::ImageUnderRepo(options_.default_repo,
                                local.substr(0, local.rfind(':'))),
          ":", support);
      if (absl::Status tagged = docker_->Tag(info->id, remote); !tagged.ok()) return tagged;
      absl::StatusOr<std::string> digest = docker_->Push(remote);
      // The registry has it now: the engine keeps no second name of it.
      (void)docker_->RemoveImage(remote, /*force=*/false);
      if (!digest.ok()) return digest.status();
      return SupportImage{.reference = absl::StrCat(remote, "@", *digest),
                          .pull_policy = "IfNotPresent"};
    }
    case Route::kLoad:
      if (absl::Status loaded = build::LoadIntoCluster(runner_, options_.context, local);
          !loaded.ok()) {
        return loaded;
      }
      break;
    case Route::kEngine:
      break;
  }
  return SupportImage{.reference = local, .pull_policy = "Never"};
}

}  // namespace devloop::apps
