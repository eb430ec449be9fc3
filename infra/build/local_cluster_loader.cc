#include "infra/build/local_cluster_loader.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
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
  return std::nullopt;
}

bool IsMinikube(const std::string& context) { return context == "minikube"; }

std::vector<std::string> MinikubeDockerEnvArgv(const std::string& profile) {
  return {"minikube", "docker-env", "--shell", "none", "-p", profile, "--user=devloop"};
}

absl::StatusOr<docker::EngineApiDockerOptions> MinikubeDockerOptions(
    process::ProcessRunner* runner, const std::string& profile) {
  const std::vector<std::string> argv = MinikubeDockerEnvArgv(profile);
  std::string out, err;
  process::ProcessSpec spec{.argv = argv, .timeout = absl::Minutes(1)};
  spec.on_stdout = [&out](absl::string_view line) { absl::StrAppend(&out, line, "\n"); };
  spec.on_stderr = [&err](absl::string_view line) { absl::StrAppend(&err, line, "\n"); };
  absl::StatusOr<process::ExitStatus> exit = runner->Run(spec);
  if (!exit.ok() || !exit->success()) {
    return domain::WithStatusCode(
        absl::FailedPreconditionError(absl::StrCat(
            "cannot reach the Docker Engine of minikube profile ", profile, ": `",
            absl::StrJoin(argv, " "), "` failed: ",
            exit.ok() ? absl::StrCat(err, out) : std::string(exit.status().message()))),
        domain::StatusCode::kBuildDockerDaemonNotRunning);
  }
  std::map<std::string, std::string> env;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view value = absl::StripAsciiWhitespace(kv.second);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    env[std::string(absl::StripAsciiWhitespace(kv.first))] = std::string(value);
  }
  if (env["DOCKER_HOST"].empty()) {
    return domain::WithStatusCode(
        absl::FailedPreconditionError(absl::StrCat("`", absl::StrJoin(argv, " "),
                                                   "` named no DOCKER_HOST; it printed: ", out)),
        domain::StatusCode::kBuildDockerDaemonNotRunning);
  }
  return docker::DockerOptionsFrom([&env](const std::string& name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  });
}

absl::Status LoadIntoCluster(process::ProcessRunner* runner, const std::string& context,
                             const std::string& image) {
  std::optional<std::vector<std::string>> argv = LoadImageArgv(context, image);
  if (!argv.has_value()) return absl::OkStatus();
  std::string output;
  process::ProcessSpec spec{.argv = *argv, .timeout = absl::Minutes(5)};
  spec.on_stdout = [&output](absl::string_view line) { absl::StrAppend(&output, line, "\n"); };
  spec.on_stderr = spec.on_stdout;
  absl::StatusOr<process::ExitStatus> exit = runner->Run(spec);
  if (!exit.ok() || !exit->success()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "loading ", image, " into the cluster of context ", context, " with `",
        absl::StrJoin(*argv, " "), "` failed: ",
        exit.ok() ? output : std::string(exit.status().message())));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalClusterLoader::Build(const BuildRequest& request) {
  absl::StatusOr<std::string> ref = base_->Build(request);
  if (!ref.ok()) return ref;
  const std::string image = ref->substr(0, ref->find('@'));
  if (!LoadImageArgv(context_, image).has_value()) return ref;
  if (absl::Status loaded = LoadIntoCluster(runner_, context_, image); !loaded.ok()) {
    return domain::WithStatusCode(loaded, domain::StatusCode::kBuildUnknown);
  }
  return image;
}

}  // namespace devloop::build
