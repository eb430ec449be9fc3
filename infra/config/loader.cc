#include "infra/config/loader.h"

#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/config/dockerfile.h"
#include "domain/config/errors.h"
#include "domain/config/validate.h"
#include "domain/paths/path.h"
#include "infra/config/decode.h"
#include "infra/config/profiles.h"
#include "infra/config/upgrade.h"
#include "infra/config/yaml_util.h"

extern char** environ;

namespace devloop::config {
namespace {

using ::devloop::domain::DirName;
using ::devloop::domain::ResolvePath;

using internal::Child;

constexpr int kMaxRequiresDepth = 32;

// Returns "file:line:column", or the file alone when the position is not known.
std::string FormatPlace(const SourcePos& pos) {
  if (pos.line <= 0) return pos.file;
  return absl::StrCat(pos.file, ":", pos.line, ":", pos.column);
}

class Loader {
 public:
  Loader(const LoadOptions& options, const ConfigFiles& files) : options_(options), files_(files) {}

  absl::StatusOr<std::vector<Config>> Load() {
    std::string wd = options_.working_directory;
    if (wd.empty()) {
      char buf[4096];
      if (getcwd(buf, sizeof buf) == nullptr) {
        return absl::InternalError("cannot read the current directory");
      }
      wd = buf;
    }
    std::string display = options_.path;
    if (display.empty()) {
      display = files_.IsFile(ResolvePath(wd, "devloop.yaml")) ? "devloop.yaml" : "skaffold.yaml";
    }
    const std::string absolute = ResolvePath(wd, display);
    absl::StatusOr<std::string> text = files_.Read(absolute);
    if (!text.ok()) {
      if (absl::IsNotFound(text.status())) {
        return absl::NotFoundError(absl::StrCat(display, ": no such file (looked for ", absolute,
                                                "; pass -f to name the config)"));
      }
      return text.status();
    }
    // One pass: decoding errors and cross-config checks are reported together.
    LoadText(*text, absolute, display, {}, {}, 0);
    CheckProfilesAndModules(display);
    ResolveSync();
    std::vector<ConfigError> more =
        Validate(Selected(), [this](const std::string& dir) { return files_.IsDirectory(dir); });
    errors_.insert(errors_.end(), more.begin(), more.end());
    if (!errors_.empty()) return ErrorsToStatus(errors_);
    return Selected();
  }

 private:
  struct Entry {
    Config config;
    std::vector<size_t> deps;  // indices into entries_
  };

  // Loads the documents of one file whose metadata.name is in `names` (all when
  // empty) and returns their indices in entries_.
  std::vector<size_t> LoadText(const std::string& text, const std::string& absolute,
                               const std::string& display, const std::vector<std::string>& names,
                               const std::vector<std::string>& from_parent, int depth,
                               const SourcePos& required_at = {}) {
    std::vector<size_t> loaded;
    std::optional<std::vector<YAML::Node>> parsed = internal::LoadDocuments(text, display, &errors_);
    if (!parsed) return loaded;
    std::vector<YAML::Node>& docs = *parsed;
    if (docs.empty()) {
      errors_.push_back({{display, 0, 0}, "no config in the file (expected apiVersion and kind)"});
    }
    for (size_t i = 0; i < docs.size(); ++i) {
      try {
        LoadDocument(docs[i], i, absolute, display, names, from_parent, depth, required_at,
                     &loaded);
      } catch (const std::exception& e) {
        // yaml-cpp throws on malformed trees we did not foresee; never let it escape.
        errors_.push_back({internal::PosOf(display, docs[i]),
                           absl::StrCat("cannot read this config: ", e.what())});
      }
    }
    return loaded;
  }

  void LoadDocument(YAML::Node doc, size_t index, const std::string& absolute,
                    const std::string& display, const std::vector<std::string>& names,
                    const std::vector<std::string>& from_parent, int depth,
                    const SourcePos& required_at, std::vector<size_t>* loaded) {
    if (doc.IsNull()) return;  // an empty document between two "---"
    if (!internal::CheckHeader(doc, display, &errors_)) return;
    std::string name;
    YAML::Node name_node = Child(Child(doc, "metadata"), "name");
    if (name_node.IsScalar()) name = name_node.Scalar();
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) return;
    const std::string key = absl::StrCat(absolute, "#", index);
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end() || depth > kMaxRequiresDepth) {
      errors_.push_back({required_at, absl::StrCat("requires makes a cycle: config ",
                                                   name.empty() ? "#" + std::to_string(index) : "\"" + name + "\"",
                                                   " of ", display, " requires itself")});
      return;
    }
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      loaded->push_back(it->second);  // required twice: load once
      return;
    }
    // Skaffold refuses two configs of one name (in a file, or across the files
    // `requires` pulls in): -m and `requires: configs` could not tell them apart.
    if (!name.empty()) {
      const SourcePos pos = internal::PosOf(display, name_node);
      auto [first, inserted] = name_pos_.emplace(name, pos);
      if (!inserted) {
        errors_.push_back({pos, absl::StrCat("duplicate config name \"", name,
                                             "\" (first defined at ", FormatPlace(first->second),
                                             ")")});
      }
    }
    // Old schemas are rewritten to the newest, profiles included, before
    // profiles apply; errors still point into the text as written.
    if (!internal::UpgradeConfig(doc, display, &errors_)) return;
    internal::Walker walker(display, &errors_);
    internal::ProfileOptions profile_options{.requested = options_.profiles,
                                             .config_name = name,
                                             .from_parent = from_parent,
                                             .env = options_.env,
                                             .kube_context = options_.kube_context,
                                             .command = options_.command};
    std::vector<std::string> applied =
        internal::ApplyProfiles(doc, profile_options, &walker, &defined_profiles_);
    Config config = internal::DecodeConfig(
        doc, {display, DirName(absolute), options_.env}, &errors_);
    config.active_profiles = std::move(applied);
    Entry entry;
    stack_.push_back(key);
    for (const ConfigDependency& dep : config.required_configs) {
      // No path: other configs of the same file, picked by name.
      std::string dep_abs = absolute;
      std::string dep_display = display;
      if (!dep.path.empty()) {
        dep_abs = ResolvePath(DirName(absolute), dep.path);
        dep_display = ResolvePath(DirName(display), dep.path);
        if (files_.IsDirectory(dep_abs)) {
          dep_abs = ResolvePath(dep_abs, "skaffold.yaml");
          dep_display = ResolvePath(dep_display, "skaffold.yaml");
        }
      } else if (dep.configs.empty()) {
        errors_.push_back({dep.pos, "requires: expected a path or configs (names of configs in "
                                    "this file)"});
        continue;
      }
      absl::StatusOr<std::string> text = files_.Read(dep_abs);
      if (!text.ok()) {
        errors_.push_back({dep.pos, absl::StrCat("requires \"", dep.path, "\": cannot read ",
                                                 dep_display, ": ", text.status().message())});
        continue;
      }
      std::vector<std::string> profiles;
      for (const RequiredProfile& rp : dep.active_profiles) {
        bool on = rp.activated_by.empty();
        for (const std::string& by : rp.activated_by) {
          on = on || std::find(config.active_profiles.begin(), config.active_profiles.end(), by) !=
                         config.active_profiles.end();
        }
        if (on) profiles.push_back(rp.name);
      }
      std::vector<size_t> got =
          LoadText(*text, dep_abs, dep_display, dep.configs, profiles, depth + 1, dep.pos);
      if (got.empty() && !dep.configs.empty()) {
        errors_.push_back({dep.pos, absl::StrCat("requires \"", dep.path, "\": no config named ",
                                                 absl::StrJoin(dep.configs, " or "), " in ",
                                                 dep_display)});
      }
      entry.deps.insert(entry.deps.end(), got.begin(), got.end());
    }
    stack_.pop_back();
    entry.config = std::move(config);
    entries_.push_back(std::move(entry));
    by_key_[key] = entries_.size() - 1;
    loaded->push_back(entries_.size() - 1);
  }

  void CheckProfilesAndModules(const std::string& display) {
    // Skaffold's rule: a profile applies to the configs that define it, and one
    // that no config defines is an error. "config:profile" must be defined by
    // that config.
    std::vector<std::string> plain;  // for the message
    for (const std::string& d : defined_profiles_) {
      if (d.find(':') == std::string::npos) plain.push_back(d);
    }
    const std::string defined =
        plain.empty() ? std::string("none defines profiles")
                      : absl::StrCat("defined: ", absl::StrJoin(plain, ", "));
    for (std::string p : options_.profiles) {
      if (!p.empty() && p[0] == '-') p = p.substr(1);
      if (defined_profiles_.contains(p)) continue;
      if (const size_t colon = p.find(':'); colon != std::string::npos) {
        errors_.push_back({{display, 0, 0},
                           absl::StrCat("profile \"", p, "\" (from -p): no config named \"",
                                        p.substr(0, colon), "\" defines profile \"",
                                        p.substr(colon + 1), "\" (", defined, ")")});
        continue;
      }
      errors_.push_back(
          {{display, 0, 0}, absl::StrCat("profile \"", p,
                                         "\" (from -p) is not defined by any config (", defined,
                                         ")")});
    }
    keep_.assign(entries_.size(), options_.modules.empty());
    for (const std::string& module : options_.modules) {
      bool found = false;
      for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].config.name == module) {
          found = true;
          Keep(i);
        }
      }
      if (!found) {
        std::vector<std::string> names;
        for (const Entry& e : entries_) {
          if (!e.config.name.empty()) names.push_back(e.config.name);
        }
        errors_.push_back({{display, 0, 0},
                           absl::StrCat("module \"", module, "\" (from -m) is not the metadata.name "
                                        "of any config (",
                                        names.empty() ? std::string("no config has a name")
                                                      : absl::StrCat("names: ", absl::StrJoin(names, ", ")),
                                        ")")});
      }
    }
  }

  void Keep(size_t i) {
    if (keep_[i]) return;
    keep_[i] = true;
    for (size_t d : entries_[i].deps) Keep(d);
  }

  std::vector<Config> Selected() const {
    std::vector<Config> out;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (keep_.empty() || keep_[i]) out.push_back(entries_[i].config);
    }
    return out;
  }

  // Fills Sync::inferred_copies and Sync::workdir from each artifact's Dockerfile.
  void ResolveSync() {
    for (Entry& e : entries_) {
      for (size_t i = 0; i < e.config.build.artifacts.size(); ++i) {
        Artifact& a = e.config.build.artifacts[i];
        if (!a.sync) continue;
        const std::string where = absl::StrCat("build.artifacts[", i, "].sync.infer");
        if (!a.docker) {
          if (!a.sync->infer.empty()) {
            errors_.push_back({a.pos, absl::StrCat(where, ": needs a docker artifact to read "
                                                          "the Dockerfile's COPY and ADD from")});
          }
          continue;
        }
        const std::string dockerfile = ResolvePath(a.absolute_context, a.docker->dockerfile);
        absl::StatusOr<std::string> text = files_.Read(dockerfile);
        if (!text.ok()) {
          // Without infer, the Dockerfile only tells the WORKDIR; the build reports a
          // missing Dockerfile better than we can.
          if (!a.sync->infer.empty()) {
            errors_.push_back({a.pos, absl::StrCat(where, ": cannot read the Dockerfile: ",
                                                   text.status().message())});
          }
          continue;
        }
        absl::StatusOr<DockerfileInfo> info = ParseDockerfile(*text, a.docker->target);
        if (!info.ok()) {
          if (!a.sync->infer.empty()) {
            errors_.push_back({a.pos, absl::StrCat(where, ": ", dockerfile, ": ",
                                                   info.status().message())});
          }
          continue;
        }
        a.sync->workdir = info->workdir;
        if (!a.sync->infer.empty()) a.sync->inferred_copies = std::move(info->copies);
      }
    }
  }

  const LoadOptions& options_;
  const ConfigFiles& files_;
  std::vector<ConfigError> errors_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> by_key_;
  std::map<std::string, SourcePos> name_pos_;  // metadata.name -> where first loaded
  std::vector<std::string> stack_;
  std::set<std::string> defined_profiles_;
  std::vector<bool> keep_;
};

}  // namespace

absl::StatusOr<std::vector<Config>> LoadConfigs(const LoadOptions& options,
                                                const ConfigFiles& files) {
  try {
    return Loader(options, files).Load();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("reading the config failed unexpectedly: ", e.what()));
  }
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace devloop::config
