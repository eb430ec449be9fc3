// CustomBuilder: the builder port (infra/build/builder.h) for custom artifacts
// (build.artifacts[].custom), with Skaffold's contract for the build command:
//
//  - `buildCommand`, after its {{.VAR}} actions are expanded over the
//    environment, runs as `sh -c <command>` in the artifact's context, with the
//    process environment plus IMAGE (the full reference to produce,
//    "web:v1"), PUSH_IMAGE ("true"/"false"), BUILD_CONTEXT (absolute),
//    IMAGE_REPO ("web"), IMAGE_TAG ("v1"), PLATFORMS (the artifact's target
//    platforms, ArtifactBuildSpec::platforms, comma-separated), SKIP_TEST
//    and, for each required artifact, its alias set to the image built for it.
//    Its stdout and stderr go to BuildRequest::on_output line by line.
//  - Without push the image must then exist on the Docker Engine under $IMAGE;
//    Build returns "$IMAGE@<image id>" (the same shape DockerBuilder returns,
//    unique per image content; RunnableImage gives the id). With push, it
//    returns "$IMAGE@<registry digest>" from the local engine's record of the push.
//
//   CustomBuilder builder(&runner, &docker, {.artifacts = custom_artifacts, .tagger = tagger});
//   absl::StatusOr<std::string> ref = builder.Build({.image = "web"});
//   builder.Cancel("web");   // kills the running command's process group
//   builder.Cleanup();       // removes the images this builder's builds produced
//
// Errors carry a status code (domain/events/status_payload.h): a command that
// fails, or exits 0 without producing $IMAGE, is BUILD_USER_ERROR, with the exit
// status and the last lines of its output; a cancelled one BUILD_CANCELLED;
// the engine's failures keep theirs (docker.h).
//
// Labels and the artifact cache, as DockerBuilder has them: a script's image
// carries only the labels the script gives it, so when asked for labels (the
// run id, the cache's) devloop builds `FROM <the command's image>` with them
// and the input digest (kInputDigestLabel: the SHA-256 of the context, as
// HashBuildContext reads it, the expanded build command, $IMAGE_REPO, the
// platforms, SKIP_TEST and the required images), and moves $IMAGE to that
// image; the command's own image stays below it as its parent, and goes with
// it when the engine removes it. With `cache`, an image carrying the same
// input digest is reused and the command does not run. A command reading
// other inputs (files outside the context, or ignored by its .dockerignore, the
// network, variables it is not given by template) must run with the cache off.
// Pushed images (PUSH_IMAGE=true) are neither labelled nor cached: the registry
// holds what the command pushed, and devloop removes their local tags at
// Cleanup as before.
//
// Thread-safe: builds of different artifacts may run concurrently.
#ifndef DEVLOOP_INFRA_BUILD_CUSTOM_CUSTOM_BUILDER_H_
#define DEVLOOP_INFRA_BUILD_CUSTOM_CUSTOM_BUILDER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/build/builder.h"
#include "infra/build/tagger.h"
#include "infra/docker/docker.h"
#include "infra/process/process_runner.h"

namespace devloop::build {

// Lets another thread stop a running build command. Cancel() before the
// command starts makes it not start.
// Thread-safe.
class CommandCancellation {
 public:
  void Cancel();
  bool cancelled() const;

  // For BuildCustomArtifact: the running command that Cancel stops. Attach
  // returns false (and does not attach) when already cancelled.
  bool Attach(process::Process* process);
  void Detach();

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  process::Process* process_ ABSL_GUARDED_BY(mu_) = nullptr;
};

struct CustomBuildOptions {
  // Null: every image is tagged "latest".
  const Tagger* tagger = nullptr;
  // PUSH_IMAGE: the command pushes $IMAGE. $IMAGE is named under
  // `default_repo`, pushed or not, as DockerBuilder names images
  // (ImageUnderRepo, default_repo.h).
  bool push = false;
  std::string default_repo;
  bool skip_tests = false;  // SKIP_TEST
  // The variables buildCommand's {{.VAR}} actions read (the environment).
  std::map<std::string, std::string> template_env;
  // The command's output, line by line (stdout and stderr interleaved).
  process::LineCallback on_output;
  // How long the command gets after SIGTERM on Cancel before SIGKILL.
  absl::Duration kill_grace = absl::Seconds(2);
  CommandCancellation* cancellation = nullptr;  // not owned; may be null
  // Not pushing: put on the image (see above), with the input digest. Empty,
  // and without `cache`: the command's image as it made it.
  std::map<std::string, std::string> labels;
  // Not pushing: reuse a local image with the same input digest instead of
  // running the command.
  bool cache = false;
  // The artifact's build hooks (BuildRequest): run just before the command
  // and once its image is labelled (or pushed); not on a cache hit. An error
  // fails the build.
  std::function<absl::Status()> before_build;
  std::function<absl::Status()> after_build;
};

struct CustomBuiltImage {
  std::string tag;        // what $IMAGE was: "web:v1" ("127.0.0.1:5000/web:v1" pushed)
  std::string image_id;   // "sha256:..." on the local engine; "" if it is not there
  std::string reference;  // to deploy: "web:v1@sha256:<image id or registry digest>"
  bool labelled = false;  // devloop labelled it (it is not the command's own image)
  bool cached = false;    // found by its input digest: the command did not run
};

// Runs `spec`'s build command (spec.custom must be set) and finds its image.
// `required` maps each required artifact's image to the reference its build
// returned. The runner and docker must outlive the call.
absl::StatusOr<CustomBuiltImage> BuildCustomArtifact(
    process::ProcessRunner* runner, docker::Docker* docker, const ArtifactBuildSpec& spec,
    const std::map<std::string, std::string>& required, const CustomBuildOptions& options);

class CustomBuilder final : public Builder {
 public:
  struct Options {
    std::vector<ArtifactBuildSpec> artifacts;  // those with `custom` set
    std::shared_ptr<const Tagger> tagger;      // null: "latest"
    bool push = false;
    std::string default_repo;
    bool skip_tests = false;
    std::map<std::string, std::string> template_env;
    absl::Duration kill_grace = absl::Seconds(2);
    // As DockerBuilder::Options has them (docker_builder.h): labels put on every
    // image not pushed, Cleanup removing those carrying `owner_label`, and the
    // artifact cache of `cache_scope` (labelled kCacheLabel instead of with the
    // owner label, reused by input digest with `cache_artifacts`, pruned by
    // Cleanup to `keep_cached`).
    std::map<std::string, std::string> labels;
    std::pair<std::string, std::string> owner_label;  // {key, value}; empty: none
    bool cache_artifacts = false;
    std::string cache_scope;
    int keep_cached = 3;
  };

  // `runner` and `docker` must outlive the builder.
  CustomBuilder(process::ProcessRunner* runner, docker::Docker* docker, Options options);

  absl::StatusOr<std::string> Build(const BuildRequest& request) override;
  void Cancel(const std::string& image) override;
  // Removes the images labelled with the owner label, prunes the artifact
  // cache, and of the images devloop did not label (pushed ones) the tags this
  // builder's builds produced, and each image they named once no other tag
  // names it (an image someone else also tagged stays).
  absl::Status Cleanup() override;

 private:
  const ArtifactBuildSpec* Find(const std::string& image) const;

  process::ProcessRunner* const runner_;
  docker::Docker* const docker_;
  const Options options_;

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<CommandCancellation>> cancellations_
      ABSL_GUARDED_BY(mu_);
  // What the builds produced that devloop did not label: {tag, image id}, in order.
  std::vector<std::pair<std::string, std::string>> produced_ ABSL_GUARDED_BY(mu_);
  // Image name -> the id its last build returned (kept by Cleanup's prune).
  std::map<std::string, std::string> last_ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::build

#endif  // DEVLOOP_INFRA_BUILD_CUSTOM_CUSTOM_BUILDER_H_
