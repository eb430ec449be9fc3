#include "infra/build/docker/image_builder.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "domain/events/status_payload.h"
#include "infra/fs/context_hash.h"
#include "infra/log/log.h"

namespace devloop::build {
InputDigestWriter& InputDigestWriter::Add(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&fields_, key.size(), ":", key, "=", value.size(), ":", value, "\n");
  return *this;
}

std::string InputDigestWriter::Hex() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(fields_.data(), fields_.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) absl::StrAppendFormat(&hex, "%02x", digest[i]);
  return hex;
}

std::string RunnableImage(const std::string& reference) {
  const size_t at = reference.find("@sha256:");
  if (at == std::string::npos) return reference;
  const std::string name = reference.substr(0, at);
  if (ImageWithoutTag(name) == name) return reference;  // name@digest: a registry digest
  return reference.substr(at + 1);
}

std::string DisplayReference(const std::string& reference) {
  const size_t at = reference.find('@');
  return at == std::string::npos ? reference : reference.substr(0, at);
}

absl::StatusOr<std::string> InputDigest(const ArtifactBuildSpec& spec,
                                        const std::map<std::string, std::string>& required) {
  absl::StatusOr<std::string> context = fs::HashBuildContext(spec.context_dir, spec.config_files);
  if (!context.ok()) return context.status();
  InputDigestWriter in;
  in.Add("context", *context).Add("dockerfile", spec.dockerfile).Add("target", spec.target);
  for (const auto& [k, v] : spec.build_args) in.Add(absl::StrCat("arg:", k), v);
  // Only when asked: images built before platforms existed keep their digest.
  if (!spec.platforms.empty()) in.Add("platforms", absl::StrJoin(spec.platforms, ","));
  for (const auto& [image, alias] : spec.require_aliases) {
    auto it = required.find(image);
    in.Add(absl::StrCat("requires:", alias), it == required.end() ? "" : it->second);
  }
  return in.Hex();
}

absl::StatusOr<BuiltImage> BuildImage(docker::Docker* docker, const ArtifactBuildSpec& spec,
                                      const std::map<std::string, std::string>& required,
                                      const ImageBuildOptions& options) {
  if (spec.platforms.size() > 1) {
    return domain::WithStatusCode(
        absl::InvalidArgumentError(absl::StrCat(
            "cannot build ", spec.spec.image, " for ", absl::StrJoin(spec.platforms, ","),
            ": the Docker builder builds for one platform; a multi-platform image needs buildx, "
            "which devloop does not drive (use a custom buildCommand that reads $PLATFORMS)")),
        domain::StatusCode::kBuildUserError);
  }
  docker::BuildRequest request;
  request.context_dir = spec.context_dir;
  if (!spec.platforms.empty()) request.platform = spec.platforms.front();
  request.dockerfile = spec.dockerfile;
  request.build_args = spec.build_args;
  for (const auto& [image, alias] : spec.require_aliases) {
    auto it = required.find(image);
    if (it == required.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot build ", spec.spec.image, ": the artifact it requires, ", image, ", is not built"));
    }
    request.build_args[alias] = it->second;
  }
  request.labels = options.labels;
  request.target = spec.target;
  request.no_cache = spec.no_cache;
  request.on_output = options.on_output;
  request.cancellation = options.cancellation;

  BuiltImage built;
  built.image = spec.spec.image;
  // The digest needs the context hashed; a context that cannot be hashed is
  // still built (the engine reports the real problem), just never cached.
  absl::StatusOr<std::string> digest = InputDigest(spec, required);
  if (digest.ok()) {
    built.input_digest = *digest;
    request.labels[kInputDigestLabel] = *digest;
  }
  if (options.cache && digest.ok() && !spec.no_cache) {
    absl::StatusOr<std::vector<std::string>> found = docker->ListImages(kInputDigestLabel, *digest);
    if (found.ok() && !found->empty() && !options.cache_owner.first.empty()) {
      absl::StatusOr<std::vector<std::string>> owned =
          docker->ListImages(options.cache_owner.first, options.cache_owner.second);
      if (!owned.ok()) owned = std::vector<std::string>{};
      std::vector<std::string> both;  // newest first, as `found`
      for (const std::string& id : *found) {
        if (std::find(owned->begin(), owned->end(), id) != owned->end()) both.push_back(id);
      }
      found = std::move(both);
    }
    if (found.ok() && !found->empty()) {
      built.image_id = found->front();
      built.cached = true;
    }
  }
  if (!built.cached) {
    // Cancelled while the context was hashed or the cache asked (each can
    // take a second on a busy machine): no hook, no context sent.
    if (options.cancellation != nullptr && options.cancellation->cancelled()) {
      return domain::WithStatusCode(absl::CancelledError("build cancelled"),
                                    domain::StatusCode::kBuildDockerCancelled);
    }
    if (options.before_build) {
      if (absl::Status s = options.before_build(); !s.ok()) return s;
    }
    absl::StatusOr<docker::BuildResult> result = docker->Build(request);
    if (!result.ok() && absl::StrContains(result.status().message(), "unknown parent image ID")) {
      // Another run removed its image, and with it a layer this build had
      // taken from the engine's cache, while the build ran: build again,
      // without that layer.
      DEVLOOP_LOG(INFO) << "building " << spec.spec.image
                        << " again: a cached layer was removed during the build";
      result = docker->Build(request);
    }
    if (!result.ok()) return result.status();
    built.image_id = result->image_id;
  }
  if (!absl::StartsWith(built.image_id, "sha256:")) built.image_id = "sha256:" + built.image_id;

  std::string tag;
  if (options.tagger != nullptr) {
    absl::StatusOr<std::string> t = options.tagger->Tag(spec.spec.image, spec.context_dir);
    if (!t.ok()) return t.status();
    tag = *t;
  } else {
    tag = built.image_id.substr(7, 12);
  }
  built.tag = TaggedReference(spec.spec.image, tag);
  absl::Status tagged = docker->Tag(built.image_id, built.tag);
  if (!tagged.ok()) return tagged;
  return built;
}

}  // namespace devloop::build
