#include "infra/config/profiles.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"

namespace devloop::config::internal {
namespace {

// The sections a profile may override, and for build and deploy the keys of
// which only one may be set (a profile choosing `local` drops the base's others).
const std::vector<std::string> kOverridable = {"build", "deploy", "manifests", "portForward",
                                               "test", "verify", "resourceSelector",
                                               "customActions"};
const std::set<std::string> kBuildTypes = {"local", "cluster", "googleCloudBuild"};
const std::set<std::string> kDeployers = {"kubectl", "docker", "helm", "kustomize", "kpt",
                                          "cloudrun"};

absl::Status PathError(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("path \"", path, "\": ", why));
}

}  // namespace

bool RegexEqual(absl::string_view pattern, absl::string_view s) {
  if (absl::ConsumePrefix(&pattern, "!")) return !RegexEqual(pattern, s);
  if (pattern == s) return true;
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), RE2::Quiet);
  return re.ok() && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), re);
}

absl::Status ApplyPatchOp(YAML::Node root, absl::string_view op, absl::string_view path,
                          const YAML::Node& value) {
  if (op != "add" && op != "remove" && op != "replace") {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported op \"", op, "\" (expected add, remove or replace)"));
  }
  if (!absl::StartsWith(path, "/")) return PathError(path, "expected a JSON pointer starting with \"/\"");
  std::vector<std::string> tokens;
  for (absl::string_view t : absl::StrSplit(path.substr(1), '/')) {
    tokens.push_back(absl::StrReplaceAll(t, {{"~1", "/"}, {"~0", "~"}}));
  }
  YAML::Node parent = root;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (parent.IsMap()) {
      YAML::Node next = Child(parent, t);
      if (!next.IsDefined()) return PathError(path, absl::StrCat("no field \"", t, "\""));
      parent.reset(next);
    } else if (parent.IsSequence()) {
      size_t index = 0;
      if (!absl::SimpleAtoi(t, &index) || index >= parent.size()) {
        return PathError(path, absl::StrCat("no list item ", t, " (the list has ", parent.size(),
                                            " items)"));
      }
      YAML::Node next = parent[index];
      parent.reset(next);
    } else {
      return PathError(path, absl::StrCat("\"", t, "\" is not inside a map or list"));
    }
  }
  const std::string& last = tokens.back();
  if (parent.IsMap() || (parent.IsNull() && op == "add")) {
    const bool exists = Child(parent, last).IsDefined();
    if (op != "add" && !exists) return PathError(path, absl::StrCat("no field \"", last, "\""));
    if (op == "remove") {
      parent.remove(last);
    } else {
      parent[last] = value;
    }
    return absl::OkStatus();
  }
  if (parent.IsSequence()) {
    const size_t size = parent.size();
    size_t index = size;
    if (!(op == "add" && last == "-") &&
        (!absl::SimpleAtoi(last, &index) || index > size || (op != "add" && index == size))) {
      return PathError(path, absl::StrCat("no list item ", last, " (the list has ", size, " items)"));
    }
    if (op == "replace") {
      parent[index] = value;
      return absl::OkStatus();
    }
    // yaml-cpp cannot insert or erase by index: rebuild the list. (Never through
    // std::vector<YAML::Node>::insert/erase: Node's assignment rebinds the
    // underlying nodes, so shifting elements would corrupt the tree.)
    YAML::Node rebuilt(YAML::NodeType::Sequence);
    for (size_t k = 0; k <= size; ++k) {
      if (op == "add" && k == index) rebuilt.push_back(value);
      if (k == size || (op == "remove" && k == index)) continue;
      rebuilt.push_back(parent[k]);
    }
    parent = rebuilt;
    return absl::OkStatus();
  }
  return PathError(path, "the parent is not a map or a list");
}

std::vector<std::string> ApplyProfiles(YAML::Node doc, const ProfileOptions& options,
                                       Walker* w, std::set<std::string>* defined) {
  std::vector<std::string> applied;
  YAML::Node profiles = Child(doc, "profiles");
  if (!profiles.IsDefined() || profiles.IsNull()) return applied;
  if (!profiles.IsSequence()) {
    w->Error(profiles, absl::StrCat("profiles: expected a list, got ", Describe(profiles)));
    return applied;
  }
  std::set<std::string> on, off;
  for (const std::string& r : options.requested) {
    const bool turn_off = absl::StartsWith(r, "-");
    std::string name = turn_off ? r.substr(1) : r;
    if (const size_t colon = name.find(':'); colon != std::string::npos) {
      // "config:profile": for one config only.
      if (options.config_name.empty() || name.substr(0, colon) != options.config_name) continue;
      name = name.substr(colon + 1);
    }
    (turn_off ? off : on).insert(std::move(name));
  }
  on.insert(options.from_parent.begin(), options.from_parent.end());
  std::vector<std::string> known = {"name", "activation", "patches", "requiresAllActivations"};
  known.insert(known.end(), kOverridable.begin(), kOverridable.end());
  size_t i = 0;
  std::set<std::string> names;
  for (YAML::Node profile : profiles) {
    const std::string p = absl::StrCat("profiles[", i++, "]");
    if (!w->Budget(profile) || !w->Fields(profile, p, known, {})) continue;
    std::string name;
    if (!w->String(profile, "name", p, &name) || name.empty()) {
      w->Missing(profile, "name", p);
      continue;
    }
    if (!names.insert(name).second) {
      w->Error(Child(profile, "name"), absl::StrCat(p, ": duplicate profile name \"", name, "\""));
      continue;
    }
    defined->insert(name);
    if (!options.config_name.empty()) defined->insert(absl::StrCat(options.config_name, ":", name));
    // Activation: any entry whose conditions all hold (or all entries, with
    // requiresAllActivations) turns the profile on.
    bool activated = false;
    bool require_all = false;
    w->Bool(profile, "requiresAllActivations", p, &require_all);
    YAML::Node activation = Child(profile, "activation");
    if (activation.IsDefined() && !activation.IsNull()) {
      if (!activation.IsSequence()) {
        w->Error(activation, absl::StrCat(Sub(p, "activation"), ": expected a list, got ",
                                          Describe(activation)));
      } else {
        size_t k = 0;
        bool all = activation.size() > 0;
        for (const YAML::Node& a : activation) {
          const std::string ap = absl::StrCat(p, ".activation[", k++, "]");
          if (!w->Fields(a, ap, {"env", "kubeContext", "command"}, {})) continue;
          std::string env, kube_context, command;
          bool matches = true;
          if (w->String(a, "env", ap, &env)) {
            const size_t eq = env.find('=');
            if (eq == std::string::npos) {
              w->Error(Child(a, "env"), absl::StrCat(Sub(ap, "env"), ": expected KEY=VALUE, got \"",
                                                     env, "\""));
              matches = false;
            } else {
              auto it = options.env.find(env.substr(0, eq));
              matches = RegexEqual(env.substr(eq + 1), it == options.env.end() ? "" : it->second);
            }
          }
          if (w->String(a, "kubeContext", ap, &kube_context)) {
            matches = matches && RegexEqual(kube_context, options.kube_context);
          }
          if (w->String(a, "command", ap, &command)) {
            matches = matches && RegexEqual(command, options.command);
          }
          activated = activated || matches;
          all = all && matches;
        }
        if (require_all) activated = all;
      }
    }
    if (off.contains(name) || !(on.contains(name) || activated)) continue;
    // Whole-section overrides first, then patches, as Skaffold does.
    for (const std::string& section : kOverridable) {
      YAML::Node over = Child(profile, section);
      if (!over.IsDefined()) continue;
      YAML::Node base = Child(doc, section);
      if ((section == "build" || section == "deploy" || section == "manifests") && over.IsMap() &&
          base.IsDefined() && base.IsMap()) {
        const std::set<std::string>& one_of = section == "build" ? kBuildTypes : kDeployers;
        for (auto it = over.begin(); it != over.end(); ++it) {
          if (!it->first.IsScalar()) continue;
          const std::string key = it->first.Scalar();
          if (one_of.contains(key)) {
            for (const std::string& other : one_of) {
              if (other != key && Child(base, other).IsDefined()) base.remove(other);
            }
          }
          base[key] = it->second;
        }
      } else {
        doc[section] = over;
      }
    }
    YAML::Node patches = Child(profile, "patches");
    size_t k = 0;
    if (patches.IsDefined() && !patches.IsNull() && !patches.IsSequence()) {
      w->Error(patches, absl::StrCat(Sub(p, "patches"), ": expected a list, got ", Describe(patches)));
    } else if (patches.IsSequence()) {
      for (const YAML::Node& patch : patches) {
        const std::string pp = absl::StrCat(p, ".patches[", k++, "]");
        if (!w->Fields(patch, pp, {"op", "path", "value", "from"}, {})) continue;
        std::string op = "replace", path;
        w->String(patch, "op", pp, &op);
        if (!w->String(patch, "path", pp, &path)) {
          w->Missing(patch, "path", pp);
          continue;
        }
        YAML::Node value = Child(patch, "value");
        if (op != "remove" && !value.IsDefined()) {
          w->Missing(patch, "value", pp);
          continue;
        }
        absl::Status s = ApplyPatchOp(doc, op, path, value);
        if (!s.ok()) w->Error(patch, absl::StrCat(pp, ": ", s.message()));
      }
    }
    applied.push_back(name);
  }
  doc.remove("profiles");
  return applied;
}

}  // namespace devloop::config::internal
