#include "domain/config/validate.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/config/sync.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"

namespace devloop::config {
namespace {

// Returns why `glob` (a sync src, cleaned before matching as PlanSync
// does) cannot be compiled, or "" when it can. A malformed glob matches nothing,
// so it is better refused when the config loads than silently never synced.
std::string GlobProblem(const std::string& glob) {
  absl::StatusOr<domain::Glob> compiled = domain::Glob::Compile(domain::CleanPath(glob));
  return compiled.ok() ? "" : std::string(compiled.status().message());
}

}  // namespace

std::vector<ConfigError> Validate(const std::vector<Config>& configs,
                                  const DirectoryExists& directory_exists) {
  std::vector<ConfigError> errors;
  std::map<std::string, SourcePos> images;  // image -> where first defined
  for (const Config& config : configs) {
    for (const Artifact& a : config.build.artifacts) {
      if (a.image.empty()) continue;  // reported as missing when decoding
      auto [it, inserted] = images.emplace(a.image, a.pos);
      if (!inserted) {
        errors.push_back({a.pos, absl::StrCat("duplicate image \"", a.image,
                                              "\" (first defined at ", it->second.file, ":",
                                              it->second.line, ":", it->second.column, ")")});
      }
    }
  }
  for (const Config& config : configs) {
    for (size_t i = 0; i < config.build.artifacts.size(); ++i) {
      const Artifact& a = config.build.artifacts[i];
      const std::string where = absl::StrCat("build.artifacts[", i, "]");
      if (!a.absolute_context.empty() && !directory_exists(a.absolute_context)) {
        errors.push_back({a.context_pos, absl::StrCat(where, ".context \"", a.context,
                                                      "\" is not a directory (looked for ",
                                                      a.absolute_context, ")")});
      }
      if (a.sync) {
        for (size_t k = 0; k < a.sync->manual.size(); ++k) {
          const SyncRule& rule = a.sync->manual[k];
          if (!StaysInContext(rule.src)) {
            errors.push_back({rule.pos, absl::StrCat(where, ".sync.manual[", k, "].src \"",
                                                     rule.src, "\" leaves the context \"",
                                                     a.context,
                                                     "\" (expected a path inside it)")});
          }
          if (std::string why = GlobProblem(rule.src); !why.empty()) {
            errors.push_back({rule.pos, absl::StrCat(where, ".sync.manual[", k, "].src \"",
                                                     rule.src, "\" is not a valid glob (", why,
                                                     ")")});
          }
        }
        for (size_t k = 0; k < a.sync->infer.size(); ++k) {
          if (!StaysInContext(a.sync->infer[k])) {
            errors.push_back({a.pos, absl::StrCat(where, ".sync.infer[", k, "] \"",
                                                  a.sync->infer[k], "\" leaves the context \"",
                                                  a.context, "\" (expected a path inside it)")});
          }
          if (std::string why = GlobProblem(a.sync->infer[k]); !why.empty()) {
            errors.push_back({a.pos, absl::StrCat(where, ".sync.infer[", k, "] \"",
                                                  a.sync->infer[k], "\" is not a valid glob (",
                                                  why, ")")});
          }
        }
      }
      for (size_t k = 0; k < a.required_artifacts.size(); ++k) {
        const ArtifactDependency& dep = a.required_artifacts[k];
        if (dep.image == a.image) {
          errors.push_back({a.pos, absl::StrCat(where, ".requires[", k, "]: artifact \"",
                                                a.image, "\" cannot require itself")});
        } else if (!images.contains(dep.image)) {
          std::vector<std::string> known;
          for (const auto& [image, pos] : images) known.push_back(image);
          errors.push_back({a.pos, absl::StrCat(where, ".requires[", k, "].image \"", dep.image,
                                                "\" is not built by any artifact (known: ",
                                                absl::StrJoin(known, ", "), ")")});
        }
      }
    }
  }
  return errors;
}

}  // namespace devloop::config
