#include "infra/build/docker/docker_builder.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/events/status_payload.h"
#include "infra/build/default_repo.h"
#include "infra/build/docker/image_builder.h"

namespace devloop::build {

DockerBuilder::DockerBuilder(docker::Docker* docker, Options options)
    : docker_(docker), options_(std::move(options)) {}

const ArtifactBuildSpec* DockerBuilder::Find(const std::string& image) const {
  for (const ArtifactBuildSpec& a : options_.artifacts) {
    if (a.spec.image == image) return &a;
  }
  return nullptr;
}

absl::StatusOr<std::string> DockerBuilder::Build(const BuildRequest& request) {
  if (auto pre = options_.prebuilt.find(request.image); pre != options_.prebuilt.end()) {
    return pre->second;
  }
  const ArtifactBuildSpec* spec = Find(request.image);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no artifact builds image \"", request.image, "\""));
  }
  std::shared_ptr<docker::Cancellation> cancellation;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<docker::Cancellation>& slot = cancellations_[request.image];
    // A Cancel that came before this build applies to it; after it, a fresh one.
    if (slot == nullptr) slot = std::make_shared<docker::Cancellation>();
    cancellation = slot;
  }
  std::map<std::string, std::string> required;  // image -> what the engine builds FROM
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [image, ref] : request.required) {
      auto local = local_ids_.find(ref);
      required[image] = local != local_ids_.end() ? local->second : RunnableImage(ref);
    }
  }
  std::map<std::string, std::string> labels = options_.labels;
  std::pair<std::string, std::string> cache_owner;
  if (!options_.cache_scope.empty()) {
    // Kept across runs: not the run's to remove, the prune's (Cleanup).
    labels.erase(options_.owner_label.first);
    labels[kCacheLabel] = absl::StrCat(options_.cache_scope, "/", request.image);
    // Reused only from this project's cache of this artifact.
    cache_owner = {kCacheLabel, labels[kCacheLabel]};
  }
  ImageBuildOptions build_options{.tagger = options_.tagger.get(),
                                  .cache = options_.cache_artifacts,
                                  .cache_owner = std::move(cache_owner),
                                  .labels = std::move(labels),
                                  .on_output = request.on_output,
                                  .cancellation = cancellation.get(),
                                  .before_build = request.before_build};
  absl::StatusOr<BuiltImage> built = BuildImage(docker_, *spec, required, build_options);
  {
    absl::MutexLock lock(&mu_);
    auto it = cancellations_.find(request.image);
    if (it != cancellations_.end() && it->second == cancellation) cancellations_.erase(it);
  }
  if (!built.ok()) {
    absl::Status s = built.status();
    if (!domain::AttachedStatusCode(s).has_value()) {
      // Tagger and hashing errors have no engine code: the build failed as a whole.
      s = domain::WithStatusCode(std::move(s), domain::StatusCode::kBuildUnknown);
    }
    return s;
  }
  if (built->cached && request.on_output) {
    request.on_output(absl::StrCat("Found ", built->tag, " locally (artifact cache): not rebuilt"));
  }
  {
    absl::MutexLock lock(&mu_);
    last_ids_[request.image] = built->image_id;
  }
  absl::StatusOr<std::string> reference = Publish(request.image, *built);
  if (reference.ok() && !built->cached && request.after_build) {
    if (absl::Status s = request.after_build(); !s.ok()) return s;
  }
  return reference;
}

absl::StatusOr<std::string> DockerBuilder::Publish(const std::string& image,
                                                   const BuiltImage& built) {
  // Under --default-repo the image carries the rewritten name, pushed or not,
  // so that manifests and the API name what the registry (or the engine) holds.
  const size_t colon = built.tag.rfind(':');
  const std::string tag = colon == std::string::npos ? "" : built.tag.substr(colon);
  if (!options_.push) {
    if (options_.default_repo.empty()) {
      // Unique per image even when the tag is not ("latest").
      return built.DeployReference();
    }
    const std::string name = absl::StrCat(ImageUnderRepo(options_.default_repo, image), tag);
    if (absl::Status s = docker_->Tag(built.image_id, name); !s.ok()) return s;
    return absl::StrCat(name, "@", built.image_id);
  }
  const std::string name = absl::StrCat(ImageUnderRepo(options_.default_repo, image), tag);
  if (absl::Status s = docker_->Tag(built.image_id, name); !s.ok()) return s;
  absl::StatusOr<std::string> digest = docker_->Push(name);
  if (!digest.ok()) return digest.status();
  std::string reference = absl::StrCat(name, "@", *digest);
  absl::MutexLock lock(&mu_);
  local_ids_[reference] = built.image_id;
  return reference;
}

void DockerBuilder::Cancel(const std::string& image) {
  std::shared_ptr<docker::Cancellation> cancellation;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<docker::Cancellation>& slot = cancellations_[image];
    if (slot == nullptr) slot = std::make_shared<docker::Cancellation>();
    cancellation = slot;
  }
  cancellation->Cancel();
}

absl::Status DockerBuilder::Cleanup() {
  std::map<std::string, std::string> last;
  {
    absl::MutexLock lock(&mu_);
    last = last_ids_;
  }
  return RemoveOwnedAndPrunedImages(docker_, options_.owner_label, options_.cache_scope,
                                    options_.artifacts, last, options_.keep_cached);
}

absl::Status RemoveOwnedAndPrunedImages(docker::Docker* docker,
                                        const std::pair<std::string, std::string>& owner_label,
                                        const std::string& cache_scope,
                                        const std::vector<ArtifactBuildSpec>& artifacts,
                                        const std::map<std::string, std::string>& last_used,
                                        int keep) {
  std::vector<std::string> remove;
  absl::Status result;
  const auto& [key, value] = owner_label;
  if (!key.empty()) {
    absl::StatusOr<std::vector<std::string>> images = docker->ListImages(key, value);
    if (images.ok()) {
      remove = *std::move(images);
    } else {
      result.Update(images.status());
    }
  }
  if (!cache_scope.empty()) {
    for (const ArtifactBuildSpec& a : artifacts) {
      auto used = last_used.find(a.spec.image);
      absl::StatusOr<std::vector<std::string>> prune = CachedImagesToPrune(
          docker, cache_scope, a.spec.image, used == last_used.end() ? "" : used->second, keep);
      if (!prune.ok()) {
        result.Update(prune.status());
        continue;
      }
      remove.insert(remove.end(), prune->begin(), prune->end());
    }
  }
  for (const std::string& id : remove) {
    // By force: also what a stopped container still uses. A custom build's
    // own image below a labelled one goes with it once untagged.
    absl::Status s = docker->RemoveImage(id, /*force=*/true);
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) result.Update(s);
  }
  return result;
}

absl::StatusOr<std::vector<std::string>> CachedImagesToPrune(docker::Docker* docker,
                                                             const std::string& scope,
                                                             const std::string& image,
                                                             const std::string& last_used,
                                                             int keep) {
  absl::StatusOr<std::vector<std::string>> cached =
      docker->ListImages(kCacheLabel, absl::StrCat(scope, "/", image));
  if (!cached.ok()) return cached.status();
  // Newest first (the port's order); the one deployed last always stays.
  int kept = 0;
  for (const std::string& id : *cached) kept += !last_used.empty() && id == last_used;
  std::vector<std::string> remove;
  for (const std::string& id : *cached) {
    if (!last_used.empty() && id == last_used) continue;
    if (kept < keep) {
      ++kept;
      continue;
    }
    remove.push_back(id);
  }
  return remove;
}

}  // namespace devloop::build
