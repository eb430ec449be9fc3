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

std::string Place(const SourcePos& pos) {
  return absl::StrCat(pos.file, ":", pos.line, ":", pos.column);
}

// test[] names built images; customActions and verify tests are named once
// across all configs (`devloop exec NAME` must find one).
void ValidateTestsAndActions(const std::vector<Config>& configs,
                             const std::map<std::string, SourcePos>& images,
                             std::vector<ConfigError>* errors) {
  std::map<std::string, SourcePos> actions, verifies;
  for (const Config& config : configs) {
    for (size_t i = 0; i < config.tests.size(); ++i) {
      const TestCase& t = config.tests[i];
      if (t.image.empty() || images.contains(t.image)) continue;
      std::vector<std::string> known;
      for (const auto& [image, pos] : images) known.push_back(image);
      errors->push_back({t.pos, absl::StrCat("test[", i, "].image \"", t.image,
                                             "\" is not built by any artifact (known: ",
                                             absl::StrJoin(known, ", "), ")")});
    }
    for (const CustomAction& a : config.custom_actions) {
      if (a.name.empty()) continue;
      auto [it, inserted] = actions.emplace(a.name, a.pos);
      if (!inserted) {
        errors->push_back({a.pos, absl::StrCat("duplicate custom action \"", a.name,
                                               "\" (first defined at ", Place(it->second), ")")});
      }
    }
    for (const VerifyTestCase& v : config.verify) {
      if (v.name.empty()) continue;
      auto [it, inserted] = verifies.emplace(v.name, v.pos);
      if (!inserted) {
        errors->push_back({v.pos, absl::StrCat("duplicate verify test \"", v.name,
                                               "\" (first defined at ", Place(it->second), ")")});
      }
    }
  }
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
  ValidateTestsAndActions(configs, images, &errors);
  return errors;
}

}  // namespace devloop::config
