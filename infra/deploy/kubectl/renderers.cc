#include "infra/deploy/kubectl/renderers.h"

#include <algorithm>
#include <fstream>

#include <deque>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "domain/config/template.h"
#include "infra/build/default_repo.h"
#include "infra/log/redact.h"

namespace devloop::deploy::kubectl {
namespace {

// How much of a failed renderer's stderr an error carries: the end, where
// kubectl and helm put the reason.
constexpr size_t kStderrLines = 10;
// Manifests can hold long lines (a ConfigMap of minified JSON); the runner
// splits lines longer than its limit, which would corrupt them.
constexpr size_t kMaxLineBytes = size_t{64} << 20;

// Runs `argv` and returns its stdout; `what` names the source in errors
// ("kustomize overlays/dev").
absl::StatusOr<std::string> RunRenderer(process::ProcessRunner* runner,
                                        std::vector<std::string> argv,
                                        std::map<std::string, std::string> env,
                                        const std::string& working_dir, absl::Duration timeout,
                                        const std::string& what) {
  const std::string program = argv.empty() ? std::string() : argv[0];
  std::string out;
  std::deque<std::string> err;
  process::ProcessSpec spec{.argv = std::move(argv),
                            .env = std::move(env),
                            .working_dir = working_dir,
                            .timeout = timeout,
                            .on_stdout = [&out](absl::string_view line) {
                              absl::StrAppend(&out, line, "\n");
                            },
                            .on_stderr =
                                [&err](absl::string_view line) {
                                  err.emplace_back(line);
                                  if (err.size() > kStderrLines) err.pop_front();
                                },
                            .max_line_bytes = kMaxLineBytes};
  const std::string command = log::DescribeCommand(spec.argv);
  absl::StatusOr<process::ExitStatus> exit = runner->Run(spec);
  if (!exit.ok()) {
    return absl::Status(exit.status().code(), absl::StrCat(what, ": cannot run ", program, ": ",
                                                           exit.status().message()));
  }
  if (exit->timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": `", command, "` did not finish in ",
                                                    absl::FormatDuration(timeout)));
  }
  if (!exit->success()) {
    std::string how = exit->signal != 0 ? absl::StrCat("signal ", exit->signal)
                                        : absl::StrCat("exit code ", exit->exit_code);
    std::string message = absl::StrCat(what, ": `", command, "` failed (", how, ")");
    if (!err.empty()) absl::StrAppend(&message, ":\n", absl::StrJoin(err, "\n"));
    return absl::InvalidArgumentError(message);
  }
  return out;
}

// "gcr.io/x/web" -> "gcr_io_x_web": what Go templates accept after the dot.
std::string TemplateName(absl::string_view image) {
  std::string name(image);
  for (char& c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') c = '_';
  }
  return name;
}

// Escapes what helm's --set parser reads as syntax in a value: ',' separates
// pairs and '\' escapes.
std::string EscapeSetValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == ',') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

absl::StatusOr<ManifestSource> RenderKustomize(process::ProcessRunner* runner,
                                               const KubectlOptions& kubectl,
                                               const std::string& dir,
                                               const KustomizeOptions& options) {
  std::vector<std::string> args = {"kustomize"};
  args.insert(args.end(), options.build_args.begin(), options.build_args.end());
  args.push_back(dir);
  // KubectlCli for its argv only: a failed render is the user's input to fix
  // (InvalidArgument naming the directory), not a cluster error to classify.
  std::vector<std::string> argv = KubectlCli(runner, kubectl).Argv(args);
  const std::string what = absl::StrCat("kustomize ", dir);
  absl::StatusOr<std::string> out =
      RunRenderer(runner, std::move(argv), {}, options.base_dir, options.timeout, what);
  if (!out.ok()) return out.status();
  return ManifestSource{what, *std::move(out)};
}

std::pair<std::string, std::string> SplitImageDomain(absl::string_view name) {
  const size_t slash = name.find('/');
  if (slash == absl::string_view::npos || !build::IsRegistryHost(name.substr(0, slash))) {
    return {"", std::string(name)};
  }
  return {std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

std::map<std::string, std::string> HelmImageValues(
    const std::map<std::string, std::string>& images) {
  std::map<std::string, std::string> values;
  for (const auto& [image, reference] : images) {
    const ImageReference parts = ParseImageReference(reference);
    const auto [domain, path] = SplitImageDomain(parts.name);
    const std::string name = TemplateName(image);
    for (const std::string& n : {name, absl::AsciiStrToUpper(name)}) {
      values[absl::StrCat("IMAGE_FULLY_QUALIFIED_", n)] = reference;
      values[absl::StrCat("IMAGE_REPO_", n)] = parts.name;
      values[absl::StrCat("IMAGE_TAG_", n)] = parts.tag;
      values[absl::StrCat("IMAGE_DIGEST_", n)] = parts.digest;
      values[absl::StrCat("IMAGE_DOMAIN_", n)] = domain;
      values[absl::StrCat("IMAGE_REPO_NO_DOMAIN_", n)] = path;
    }
  }
  return values;
}

absl::StatusOr<std::vector<std::string>> HelmTemplateArgv(
    const HelmBinary& helm, const config::HelmRelease& release,
    const std::map<std::string, std::string>& images, const HelmOptions& options) {
  const std::string what = absl::StrCat("helm release ", release.name);
  std::vector<std::string> argv = {helm.path, "template", release.name, release.chart_path};
  if (!release.version.empty()) argv.insert(argv.end(), {"--version", release.version});
  if (!release.namespace_name.empty()) {
    argv.insert(argv.end(), {"--namespace", release.namespace_name});
  }
  for (const std::string& file : release.values_files) argv.insert(argv.end(), {"-f", file});
  for (const auto& [key, value] : release.set_values) {
    argv.insert(argv.end(), {"--set", absl::StrCat(key, "=", EscapeSetValue(value))});
  }
  if (release.set_value_templates.empty()) return argv;

  const std::map<std::string, std::string> image_values = HelmImageValues(images);
  std::map<std::string, std::string> vars = options.env;
  for (const auto& [name, value] : image_values) vars[name] = value;
  for (const auto& [key, text] : release.set_value_templates) {
    const std::string where = absl::StrCat(what, ": setValueTemplates.", key);
    absl::StatusOr<config::Template> t = config::ParseTemplate(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": bad template \"", text, "\": ", t.status().message()));
    }
    for (const std::string& var : t->Variables()) {
      if (absl::StartsWith(var, "IMAGE_") && !image_values.contains(var) &&
          !options.env.contains(var)) {
        std::vector<std::string> built;
        for (const auto& [image, reference] : images) built.push_back(image);
        return absl::InvalidArgumentError(absl::StrCat(
            where, " reads ", var, ", which no built image provides (built: ",
            built.empty() ? std::string("none") : absl::StrJoin(built, ", "),
            "; an image's name is written with '_' for each of \"/.-:\", e.g. "
            "IMAGE_TAG_gcr_io_x_web)"));
      }
    }
    absl::StatusOr<std::string> value = t->Evaluate(vars);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", value.status().message()));
    }
    // "TAG@DIGEST" (what the upgrade of an old helm imageStrategy writes) of
    // an image built only locally, which has no digest, is the tag alone: a
    // trailing '@' would make the reference invalid.
    if (absl::EndsWith(text, "}}") && absl::StrContains(text, "@{{.IMAGE_DIGEST_") &&
        absl::EndsWith(*value, "@")) {
      value->pop_back();
    }
    argv.insert(argv.end(), {"--set", absl::StrCat(key, "=", EscapeSetValue(*value))});
  }
  return argv;
}

namespace {

// Whether the release's chart directory has a Chart.yaml that lists
// dependencies (an archive, or no such file, does not).
bool DeclaresDependencies(const std::string& base_dir, const config::HelmRelease& release) {
  std::string chart = release.chart_path;
  if (!chart.empty() && chart[0] != '/' && !base_dir.empty()) chart = base_dir + "/" + chart;
  std::ifstream in(chart + "/Chart.yaml");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "dependencies:")) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ManifestSource> RenderHelm(process::ProcessRunner* runner, const HelmBinary& helm,
                                          const config::HelmRelease& release,
                                          const std::map<std::string, std::string>& images,
                                          const HelmOptions& options) {
  absl::StatusOr<std::vector<std::string>> argv = HelmTemplateArgv(helm, release, images, options);
  if (!argv.ok()) return argv.status();
  const std::string what = absl::StrCat("helm release ", release.name);
  if (!release.skip_build_dependencies && DeclaresDependencies(options.base_dir, release)) {
    // As `helm install` users expect: the chart's dependencies (local ones,
    // here) are packed into its charts/ first.
    absl::StatusOr<std::string> built =
        RunRenderer(runner, {helm.path, "dependency", "build", release.chart_path}, helm.env,
                    options.base_dir, helm.timeout, absl::StrCat(what, " (helm dependency build)"));
    if (!built.ok()) return built.status();
  }
  absl::StatusOr<std::string> out =
      RunRenderer(runner, *std::move(argv), helm.env, options.base_dir, helm.timeout, what);
  if (!out.ok()) return out.status();
  return ManifestSource{what, *std::move(out), release.namespace_name};
}

}  // namespace devloop::deploy::kubectl
