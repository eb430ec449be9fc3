// BuildImage: builds one artifact with the Docker builder and tags it by the
// tag policy — the one build step shared by `devloop dev`, `run` and `build`.
//
// Every image gets two kinds of name:
//  - its tag, `image:<policy tag>` ("web:v1.2-dirty", "web:latest"): what users
//    see, what `devloop build` prints and writes to --file-output;
//  - its deploy reference, `image:<policy tag>@sha256:<image id>`: what the dev
//    loop hands to the controller and deploys. It changes exactly when the image
//    changes, also when the tag does not (sha256's "latest", gitCommit on an
//    unchanged commit), so a rebuild always replaces the running container; the
//    deployer runs the id itself (RunnableImage), which the engine resolves
//    locally, unlike a `name@digest` reference (a registry manifest digest).
//
// The cache (--cache-artifacts): every image is labelled
// `dev.devloop.input-digest=<digest>`, the SHA-256 of its build context, its
// Dockerfile path, target, build args and the ids of the images it requires.
// With `cache` on, an image already carrying that label is reused: it is only
// tagged, not rebuilt.
//
//   DEVLOOP_ASSIGN_OR_RETURN(BuiltImage built,
//       BuildImage(&docker, {.spec = {.image = "web"}, .context_dir = "/src/web"},
//                  /*required=*/{}, {.tagger = tagger.get(), .cache = true}));
//   built.tag;                 // "web:latest"
//   built.DeployReference();   // "web:latest@sha256:3f2a..."
//
// Thread-safe: BuildImage may run concurrently for different artifacts.
#ifndef DEVLOOP_INFRA_BUILD_DOCKER_IMAGE_BUILDER_H_
#define DEVLOOP_INFRA_BUILD_DOCKER_IMAGE_BUILDER_H_

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "infra/build/builder.h"
#include "infra/build/tagger.h"
#include "infra/docker/docker.h"

namespace devloop::build {

inline constexpr char kInputDigestLabel[] = "dev.devloop.input-digest";

struct ImageBuildOptions {
  // Null: the tag is the first 12 hex digits of the image id.
  const Tagger* tagger = nullptr;
  // Reuse a local image with the same input digest instead of building.
  bool cache = false;
  // Non-empty: reuse only an image that also carries this label {key, value}
  // (the artifact cache of one project's artifact, not another's image that
  // happens to have the same inputs).
  std::pair<std::string, std::string> cache_owner;
  // Put on the image (the run id, ...), besides the input digest.
  std::map<std::string, std::string> labels;
  docker::OutputCallback on_output;
  docker::Cancellation* cancellation = nullptr;  // not owned
  // Runs once, just before the engine builds: not when the cache has an image
  // for the inputs (BuildRequest::before_build). Its error is returned as is.
  // May be empty.
  std::function<absl::Status()> before_build;
};

struct BuiltImage {
  std::string image;     // the artifact's image name
  std::string tag;       // "web:v1"
  std::string image_id;  // "sha256:<64 hex>"
  std::string input_digest;
  bool cached = false;   // reused, not built

  // "web:v1@sha256:<64 hex>": unique per image content.
  std::string DeployReference() const { return tag + "@" + image_id; }
};

// Builds (or reuses) `spec` and tags it. `required` maps each required
// artifact's image name to its built image id (its build arg carries the id,
// which the classic builder accepts in FROM and which pins the exact image).
// Errors: the Docker port's (docker.h), the tagger's, FailedPrecondition when a
// required artifact is missing from `required`, the hashing error of the
// context.
absl::StatusOr<BuiltImage> BuildImage(docker::Docker* docker, const ArtifactBuildSpec& spec,
                                      const std::map<std::string, std::string>& required,
                                      const ImageBuildOptions& options);

// An input digest being written: named fields in order, each length-prefixed
// so that no two different inputs serialize alike; Hex() is their SHA-256.
class InputDigestWriter {
 public:
  InputDigestWriter& Add(absl::string_view key, absl::string_view value);
  std::string Hex() const;

 private:
  std::string fields_;
};

// Returns the input digest BuildImage labels `spec` with (hex SHA-256).
absl::StatusOr<std::string> InputDigest(const ArtifactBuildSpec& spec,
                                        const std::map<std::string, std::string>& required);

// Returns what to hand the engine to run `reference`: the image id of a deploy
// reference ("web:v1@sha256:abc" -> "sha256:abc"), anything else unchanged.
std::string RunnableImage(const std::string& reference);

// Returns the reference without its "@sha256:..." part, for display.
std::string DisplayReference(const std::string& reference);

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_DOCKER_IMAGE_BUILDER_H_
