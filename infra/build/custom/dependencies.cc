#include "infra/build/custom/dependencies.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/config/dockerfile.h"
#include "domain/paths/path.h"
#include "infra/json/json.h"

namespace devloop::build {
namespace {

// Makes `path` a glob relative to `context`: rooted paths inside it lose the
// context; "." and its like mean the whole context (returned as "").
// Returns nullopt for a path outside the context, which no watch covers.
std::optional<std::string> InContext(const std::string& context, const std::string& path) {
  std::string p = domain::CleanPath(path);
  if (!p.empty() && p[0] == '/') {
    if (!domain::IsInside(context, p)) return std::nullopt;
    absl::StatusOr<std::string> rel = domain::RelativeTo(context, p);
    if (!rel.ok()) return std::nullopt;
    p = *rel;
  }
  if (p == "." || p.empty()) return std::string();
  if (p == ".." || absl::StartsWith(p, "../")) return std::nullopt;
  return p;
}

// Adds `path` to the watch; a path meaning the whole context empties the list
// for good (every file counts).
void Add(const std::string& context, const std::string& path, bool* everything,
         std::vector<std::string>* out) {
  std::optional<std::string> p = InContext(context, path);
  if (!p.has_value()) return;
  if (p->empty()) *everything = true;
  if (!*everything) out->push_back(*std::move(p));
}

// How dependencies.command runs: split on spaces (an artifact's) or through
// `sh -c` (a test's), each as Skaffold runs it.
enum class CommandForm { kWords, kShell };

// Resolves `deps`; `field` ("custom.dependencies") starts the errors.
absl::StatusOr<CustomWatch> Resolve(const config::CustomDependencies& deps,
                                    const std::string& context_dir, absl::string_view field,
                                    CommandForm form, process::ProcessRunner* runner,
                                    absl::Duration command_timeout) {
  const std::string context = domain::CleanPath(context_dir);
  CustomWatch watch;
  bool everything = false;
  if (!deps.dockerfile.empty()) {
    const std::string path = domain::ResolvePath(context, deps.dockerfile);
    std::ifstream in(path);
    if (!in) {
      return absl::NotFoundError(absl::StrCat(field, ".dockerfile.path: cannot read ", path));
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<std::string>> sources =
        config::DockerfileSources(text.str(), deps.dockerfile_build_args);
    if (!sources.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".dockerfile.path: ", path, ": ", sources.status().message()));
    }
    watch.honour_dockerignore = true;
    Add(context, path, &everything, &watch.dependencies);
    for (const std::string& s : *sources) Add(context, s, &everything, &watch.dependencies);
  } else if (!deps.command.empty()) {
    if (runner == nullptr) {
      return absl::InternalError(absl::StrCat(field, ".command needs a process runner"));
    }
    process::ProcessSpec spec;
    switch (form) {
      case CommandForm::kWords:
        for (absl::string_view word : absl::StrSplit(deps.command, ' ', absl::SkipEmpty())) {
          spec.argv.emplace_back(word);
        }
        break;
      case CommandForm::kShell:
        spec.argv = {"sh", "-c", deps.command};
        break;
    }
    spec.working_dir = context;
    spec.timeout = command_timeout;
    std::string out, err;
    spec.on_stdout = [&out](absl::string_view line) { absl::StrAppend(&out, line, "\n"); };
    spec.on_stderr = [&err](absl::string_view line) { absl::StrAppend(&err, line, "\n"); };
    absl::StatusOr<process::ExitStatus> exit = runner->Run(spec);
    const std::string what = absl::StrCat(field, ".command \"", deps.command, "\"");
    if (!exit.ok()) {
      return absl::Status(exit.status().code(),
                          absl::StrCat(what, ": ", exit.status().message()));
    }
    if (!exit->success()) {
      std::ostringstream how;
      how << *exit;
      return absl::FailedPreconditionError(absl::StrCat(what, " failed (", how.str(), ")",
                                                        err.empty() ? "" : ": ", err));
    }
    absl::StatusOr<json::Json> list = json::Json::Parse(out);
    if (!list.ok() || !list->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " must print a JSON array of paths, printed: ", out.substr(0, 200)));
    }
    for (const json::Json& item : list->elements()) {
      if (!item.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " must print a JSON array of paths (strings), printed: ",
                         out.substr(0, 200)));
      }
      Add(context, item.AsString(), &everything, &watch.dependencies);
    }
    // An empty answer means no dependencies, as with no paths.
    watch.watched = everything || !watch.dependencies.empty();
  } else {
    for (const std::string& p : deps.paths) Add(context, p, &everything, &watch.dependencies);
    watch.watched = everything || !watch.dependencies.empty();
    for (const std::string& p : deps.ignore) {
      if (std::optional<std::string> rel = InContext(context, p); rel && !rel->empty()) {
        watch.ignore.push_back(*rel);
      }
    }
  }
  if (everything) watch.dependencies.clear();
  if (!watch.watched) watch.ignore.clear();
  return watch;
}

}  // namespace

absl::StatusOr<CustomWatch> ResolveCustomDependencies(const config::CustomDependencies& deps,
                                                      const std::string& context_dir,
                                                      process::ProcessRunner* runner,
                                                      absl::Duration command_timeout) {
  return Resolve(deps, context_dir, "custom.dependencies", CommandForm::kWords, runner,
                 command_timeout);
}

absl::StatusOr<CustomWatch> ResolveTestDependencies(const config::CustomDependencies& deps,
                                                    const std::string& context_dir,
                                                    process::ProcessRunner* runner,
                                                    absl::Duration command_timeout) {
  config::CustomDependencies test_deps = deps;
  test_deps.dockerfile.clear();  // tests have none
  return Resolve(test_deps, context_dir, "dependencies", CommandForm::kShell, runner,
                 command_timeout);
}

}  // namespace devloop::build
