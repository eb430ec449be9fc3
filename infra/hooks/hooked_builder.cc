#include "infra/hooks/hooked_builder.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"

namespace devloop::hooks {

HookedBuilder::HookedBuilder(std::unique_ptr<build::Builder> base, const HostHooks* hooks,
                             Options options)
    : base_(std::move(base)), hooks_(hooks), options_(std::move(options)) {}

absl::StatusOr<std::string> HookedBuilder::Build(const build::BuildRequest& request) {
  return base_->Build(WithBuildHooks(request, hooks_, options_));
}

build::BuildRequest WithBuildHooks(build::BuildRequest request, const HostHooks* hooks,
                                   const HookedBuilder::Options& options) {
  auto it = options.artifacts.find(request.image);
  if (it == options.artifacts.end() || (it->second.before.empty() && it->second.after.empty())) {
    return request;
  }
  const ArtifactBuildHooks* artifact = &it->second;
  // Shared by the two calls: the after hooks see what the before hooks saw.
  auto run = std::make_shared<HookRun>(
      HookRun{.on_output = options.on_output ? options.on_output : request.on_output,
              .failure_code = domain::StatusCode::kBuildUserError,
              .subject = absl::StrCat("of artifact ", request.image)});
  auto prepare = [&options, artifact, run, image = request.image]() -> absl::Status {
    if (!run->env.empty()) return absl::OkStatus();
    absl::StatusOr<std::string> reference =
        options.planned_reference ? options.planned_reference(image)
                                  : absl::StatusOr<std::string>(absl::StrCat(image, ":latest"));
    if (!reference.ok()) {
      return domain::WithStatusCode(
          absl::Status(reference.status().code(),
                       absl::StrCat("naming the image for the build hooks of ", image, ": ",
                                    reference.status().message())),
          domain::StatusCodeOr(reference.status(), domain::StatusCode::kBuildUnknown));
    }
    const auto [repo, tag] = RepoAndTag(*reference);
    run->env = {{"SKAFFOLD_IMAGE", *reference},
                {"SKAFFOLD_PUSH_IMAGE", options.push ? "true" : "false"},
                {"SKAFFOLD_IMAGE_REPO", repo},
                {"SKAFFOLD_IMAGE_TAG", tag},
                {"SKAFFOLD_BUILD_CONTEXT", artifact->context_dir}};
    return absl::OkStatus();
  };
  request.before_build = [hooks, artifact, run, prepare]() -> absl::Status {
    if (absl::Status s = prepare(); !s.ok()) return s;
    run->phase = "before-build";
    return hooks->Run(artifact->before, *run);
  };
  request.after_build = [hooks, artifact, run, prepare]() -> absl::Status {
    if (absl::Status s = prepare(); !s.ok()) return s;
    run->phase = "after-build";
    return hooks->Run(artifact->after, *run);
  };
  return request;
}

}  // namespace devloop::hooks
