// The builder port: what the dev loop needs from whatever turns an artifact's
// sources into an image it can deploy.
//
// The dev loop's shell calls Build on its blocking pool and posts the outcome
// back to the controller as BuildSucceeded / BuildFailed; the builder never
// calls into the loop. Implementations: DockerBuilder
// (infra/build/docker/docker_builder.h) on the local Docker Engine, CustomBuilder
// (infra/build/custom/custom_builder.h) running the artifact's build command,
// and RoutingBuilder (routing_builder.h), which sends each image to one of them.
//
//   build::ArtifactBuildSpec web{.spec = {.image = "web"}, .context_dir = "/src/web"};
//   absl::StatusOr<std::string> ref = builder->Build({.image = "web"});
//   // "web:v1@sha256:3f2a...": hand it to the deployer as is.
//
// Failure contract: errors carry the Skaffold status code of the failure as a
// payload (domain/events/status_payload.h; BUILD_USER_ERROR for a failed step,
// BUILD_DOCKER_DAEMON_NOT_RUNNING when the engine is gone, BUILD_DOCKER_CANCELLED
// after Cancel); an error without one is BUILD_UNKNOWN.
#ifndef DEVLOOP_INFRA_BUILD_BUILDER_H_
#define DEVLOOP_INFRA_BUILD_BUILDER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/config/config.h"
#include "domain/pipeline/spec.h"

namespace devloop::build {

// One artifact of the config: what the dev loop knows of it (image name,
// requires, sync rules, its context on this machine) and how the Docker builder
// builds it.
struct ArtifactBuildSpec {
  domain::ArtifactSpec spec;  // image name, requires, manual sync rules
  std::string context_dir;    // absolute
  std::string dockerfile = "Dockerfile";
  std::map<std::string, std::string> build_args;
  // Required artifact image -> build-arg name carrying its built reference.
  std::map<std::string, std::string> require_aliases;
  std::string target;
  bool no_cache = false;
  // The target platforms ("linux/arm64"; config/platforms.h's ArtifactPlatforms).
  // Empty: the engine's own. The Docker builder takes at most one; a custom
  // build command reads them all from $PLATFORMS.
  std::vector<std::string> platforms;
  // devloop's config files (absolute): never build inputs, so left out of the
  // input digest even when they lie in the context. A config edit alone then
  // finds the image it built before (the artifact cache).
  std::vector<std::string> config_files;
  // Set for a custom artifact (build.artifacts[].custom): a command builds it,
  // not the Docker builder (infra/build/custom); the Docker fields are unused.
  std::optional<config::CustomArtifact> custom;
};

struct BuildRequest {
  std::string image;  // an artifact the builder was configured with
  // Each required artifact's image -> the reference its last build returned.
  std::map<std::string, std::string> required;
  // The build's output, line by line, on the calling thread. May be empty.
  std::function<void(absl::string_view line)> on_output;
  // The artifact's lifecycle hooks (build.artifacts[].hooks, attached by
  // infra/hooks/hooked_builder.h): `before_build` runs just before the image
  // is really built, `after_build` just after it was (tagged, and pushed when
  // the builder pushes). Neither runs when the builder reuses an image from
  // the artifact cache or returns a prebuilt one: as in Skaffold, whose cache
  // check comes before the builder and its hooks. An error from either fails
  // the build with that error. Called on the calling thread; may be empty.
  std::function<absl::Status()> before_build;
  std::function<absl::Status()> after_build;
};

class Builder {
 public:
  virtual ~Builder() = default;

  // Builds `request.image` and returns the reference to deploy, unique per image
  // content ("web:v1@sha256:..."). Blocks for the length of the build: call it
  // on a pool, never on the dev loop's executor. Errors: see the file comment;
  // InvalidArgument for an image the builder does not know.
  virtual absl::StatusOr<std::string> Build(const BuildRequest& request) = 0;

  // Makes a running Build of `image` return Cancelled promptly (or the next one,
  // if none runs yet). Does not block.
  virtual void Cancel(const std::string& image) = 0;

  // Removes every image this run built (and nothing else). Blocks.
  virtual absl::Status Cleanup() = 0;
};

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_BUILDER_H_
