#include "infra/build/local_cluster_loader.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"

namespace devloop::build {

std::optional<std::vector<std::string>> LoadImageArgv(const std::string& context,
                                                      const std::string& image) {
  if (absl::StartsWith(context, "kind-")) {
    return std::vector<std::string>{"kind", "load", "docker-image", image, "--name",
                                    context.substr(5)};
  }
  if (absl::StartsWith(context, "k3d-")) {
    return std::vector<std::string>{"k3d", "image", "import", image, "-c", context.substr(4)};
  }
  if (context == "minikube") {
    return std::vector<std::string>{"minikube", "image", "load", image, "-p", "minikube"};
  }
  return std::nullopt;
}

absl::StatusOr<std::string> LocalClusterLoader::Build(const BuildRequest& request) {
  absl::StatusOr<std::string> ref = base_->Build(request);
  if (!ref.ok()) return ref;
  const std::string image = ref->substr(0, ref->find('@'));
  std::optional<std::vector<std::string>> argv = LoadImageArgv(context_, image);
  if (!argv.has_value()) return ref;
  std::string output;
  process::ProcessSpec spec{.argv = *argv, .timeout = absl::Minutes(5)};
  spec.on_stdout = [&output](absl::string_view line) { absl::StrAppend(&output, line, "\n"); };
  spec.on_stderr = spec.on_stdout;
  absl::StatusOr<process::ExitStatus> exit = runner_->Run(spec);
  if (!exit.ok() || !exit->success()) {
    return domain::WithStatusCode(
        absl::FailedPreconditionError(absl::StrCat(
            "loading ", image, " into the cluster of context ", context_, " with `",
            absl::StrJoin(*argv, " "), "` failed: ",
            exit.ok() ? output : std::string(exit.status().message()))),
        domain::StatusCode::kBuildUnknown);
  }
  return image;
}

}  // namespace devloop::build
