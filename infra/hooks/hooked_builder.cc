#include "infra/hooks/hooked_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"

namespace devloop::hooks {

HookedBuilder::HookedBuilder(std::unique_ptr<build::Builder> base, const HostHooks* hooks,
                             Options options)
    : base_(std::move(base)), hooks_(hooks), options_(std::move(options)) {}

absl::StatusOr<std::string> HookedBuilder::Build(const build::BuildRequest& request) {
  auto it = options_.artifacts.find(request.image);
  if (it == options_.artifacts.end() || (it->second.before.empty() && it->second.after.empty())) {
    return base_->Build(request);
  }
  const ArtifactBuildHooks& artifact = it->second;
  absl::StatusOr<std::string> reference =
      options_.planned_reference
          ? options_.planned_reference(request.image)
          : absl::StatusOr<std::string>(absl::StrCat(request.image, ":latest"));
  if (!reference.ok()) {
    return domain::WithStatusCode(
        absl::Status(reference.status().code(),
                     absl::StrCat("naming the image for the build hooks of ", request.image, ": ",
                                  reference.status().message())),
        domain::StatusCodeOr(reference.status(), domain::StatusCode::kBuildUnknown));
  }
  const auto [repo, tag] = RepoAndTag(*reference);
  HookRun run{.env = {{"SKAFFOLD_IMAGE", *reference},
                      {"SKAFFOLD_PUSH_IMAGE", options_.push ? "true" : "false"},
                      {"SKAFFOLD_IMAGE_REPO", repo},
                      {"SKAFFOLD_IMAGE_TAG", tag},
                      {"SKAFFOLD_BUILD_CONTEXT", artifact.context_dir}},
              .on_output = options_.on_output ? options_.on_output : request.on_output,
              .failure_code = domain::StatusCode::kBuildUserError,
              .subject = absl::StrCat("of artifact ", request.image)};
  run.phase = "before-build";
  if (absl::Status s = hooks_->Run(artifact.before, run); !s.ok()) return s;
  absl::StatusOr<std::string> built = base_->Build(request);
  if (!built.ok()) return built;
  run.phase = "after-build";
  if (absl::Status s = hooks_->Run(artifact.after, run); !s.ok()) return s;
  return built;
}

}  // namespace devloop::hooks
