// HookedBuilder: a Builder that runs an artifact's build hooks
// (build.artifacts[].hooks) around each build of it, whatever builds it
// (DockerBuilder, the custom builder): the before hooks, then the build, then
// the after hooks. As in Skaffold, a failing hook, before or after, fails the
// build (BUILD_USER_ERROR, the hook's exit status and last lines in the
// error), and each hook sees the process environment plus
//
//   SKAFFOLD_IMAGE          the reference being built ("127.0.0.1:5000/web:v1")
//   SKAFFOLD_PUSH_IMAGE     "true" when the image is pushed, else "false"
//   SKAFFOLD_IMAGE_REPO     the reference's repository ("127.0.0.1:5000/web")
//   SKAFFOLD_IMAGE_TAG      its tag ("v1")
//   SKAFFOLD_BUILD_CONTEXT  the artifact's context, absolute
//
// (and what HostHooks gives every hook). The hooks ride on the request
// (BuildRequest::before_build / after_build), so the base builder runs them
// only when it really builds: as in Skaffold, an image the artifact cache
// already has, or a prebuilt one, runs none. Artifacts without hooks go
// straight to the base builder. `devloop build`, which builds without a
// Builder, attaches the same hooks with WithBuildHooks.
//
//   HookedBuilder builder(std::move(docker_builder), &host_hooks,
//       {.artifacts = {{"web", {.before = ..., .context_dir = "/src/web"}}},
//        .planned_reference = [&](const std::string& image) { return TagFor(image); },
//        .on_output = print});
//
// Thread-safe when the base builder is.
#ifndef DEVLOOP_INFRA_HOOKS_HOOKED_BUILDER_H_
#define DEVLOOP_INFRA_HOOKS_HOOKED_BUILDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infra/build/builder.h"
#include "infra/hooks/host_hooks.h"

namespace devloop::hooks {

struct ArtifactBuildHooks {
  std::vector<HostCommand> before;
  std::vector<HostCommand> after;
  std::string context_dir;  // absolute: SKAFFOLD_BUILD_CONTEXT
};

class HookedBuilder final : public build::Builder {
 public:
  struct Options {
    // Artifact image -> its hooks; other images are built without any.
    std::map<std::string, ArtifactBuildHooks> artifacts;
    // The reference a build of `image` is about to make (SKAFFOLD_IMAGE), as
    // the base builder tags it. Required when any artifact has hooks.
    std::function<absl::StatusOr<std::string>(const std::string& image)> planned_reference;
    bool push = false;  // SKAFFOLD_PUSH_IMAGE
    // Each line a hook prints ("[before-build hook] ..."); when null, the
    // request's on_output gets them.
    std::function<void(absl::string_view line)> on_output;
  };

  // `hooks` must outlive this.
  HookedBuilder(std::unique_ptr<build::Builder> base, const HostHooks* hooks, Options options);

  // Builds `request` with its artifact's hooks attached (WithBuildHooks).
  absl::StatusOr<std::string> Build(const build::BuildRequest& request) override;
  void Cancel(const std::string& image) override { base_->Cancel(image); }
  absl::Status Cleanup() override { return base_->Cleanup(); }

 private:
  const std::unique_ptr<build::Builder> base_;
  const HostHooks* const hooks_;
  const Options options_;
};

// Returns `request` with before_build and after_build set to run its
// artifact's hooks as the file comment says (unchanged when the artifact has
// none; a hook set on the request already is replaced). SKAFFOLD_IMAGE is
// named when the before hooks run, so a build that never happens names
// nothing. The callbacks refer to `hooks` and `options`, which must outlive
// them.
build::BuildRequest WithBuildHooks(build::BuildRequest request, const HostHooks* hooks,
                                   const HookedBuilder::Options& options);

}  // namespace devloop::hooks

#endif  // DEVLOOP_INFRA_HOOKS_HOOKED_BUILDER_H_
