#include "infra/config/upgrade.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "infra/config/yaml_util.h"

namespace devloop::config::internal {
namespace {

// yaml-cpp pitfall: assigning one Node to another (`a = b`) rebinds the tree
// node `a` refers to. Handles into the tree are therefore only ever
// copy-constructed here; a field is changed by Replace/Rename below, and a
// scalar by assigning a string (which keeps its mark).

// Returns the key node of `key` in `map`, or an undefined node.
YAML::Node KeyNode(const YAML::Node& map, const std::string& key) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->first;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool IsTrue(const YAML::Node& node) {
  return node.IsScalar() &&
         (node.Scalar() == "true" || node.Scalar() == "True" || node.Scalar() == "TRUE");
}

bool IsFalse(const YAML::Node& node) {
  return node.IsScalar() &&
         (node.Scalar() == "false" || node.Scalar() == "False" || node.Scalar() == "FALSE");
}

// Skaffold's v1beta9 sync map copied each match flat into its destination;
// v1beta10's rules keep the path below `strip`. A pattern whose directory has
// no star and whose base name has at most one keeps its meaning with that
// directory as strip. Returns false for other patterns.
bool SimplePatternDirectory(const std::string& src, std::string* dir) {
  const size_t slash = src.rfind('/');
  const std::string d = slash == std::string::npos ? "" : src.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? src : src.substr(slash + 1);
  if (d.find('*') != std::string::npos || base.empty() ||
      std::count(base.begin(), base.end(), '*') > 1) {
    return false;
  }
  *dir = d;
  return true;
}

// Folds `strip` into `dest` when dest already ends with it ("/app/src" with
// strip "src/" is "/app/" without strip), as Skaffold's upgrade does.
std::pair<std::string, std::string> FoldStrip(const std::string& dest, const std::string& strip) {
  if (strip.empty() || strip == "/" || dest.empty()) return {dest, strip};
  std::string d = dest;
  if (d.back() != '/') d += '/';
  if (!absl::EndsWith(d, strip)) return {dest, strip};
  absl::string_view tail = strip;
  absl::ConsumePrefix(&tail, "/");
  std::string folded = d.substr(0, d.size() - tail.size());
  return {folded.empty() ? "." : folded, ""};
}

// Splits a JSON pointer ("/deploy/helm/releases/0/values") into its tokens,
// unescaped ("~1" is '/', "~0" is '~'); false for text that is not a pointer.
bool PointerTokens(absl::string_view path, std::vector<std::string>* tokens) {
  if (!absl::ConsumePrefix(&path, "/")) return false;
  tokens->clear();
  for (absl::string_view t : absl::StrSplit(path, '/')) {
    tokens->push_back(absl::StrReplaceAll(t, {{"~1", "/"}, {"~0", "~"}}));
  }
  return true;
}

std::string Pointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    absl::StrAppend(&out, "/", absl::StrReplaceAll(t, {{"~", "~0"}, {"/", "~1"}}));
  }
  return out;
}

// True when `tokens` begins with `pattern`, where "*" stands for any token (a
// list index).
bool StartsWithPattern(const std::vector<std::string>& tokens,
                       const std::vector<std::string>& pattern) {
  if (tokens.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != tokens[i]) return false;
  }
  return true;
}

// The setValueTemplates entry that sets a value to the image built for
// artifact `image`: the variable the helm renderer defines for it, its name
// written with '_' for each character other than a letter, digit or '_'.
std::string ImageVariableSuffix(const std::string& image) {
  std::string name = image;
  for (char& c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') c = '_';
  }
  return name;
}

std::string FullyQualifiedTemplate(const std::string& image) {
  return absl::StrCat("{{.IMAGE_FULLY_QUALIFIED_", ImageVariableSuffix(image), "}}");
}

// A helm release's imageStrategy (v2 schemas): `fqn` (the default) sets each
// artifactOverrides value to the whole reference; `helm` sets <value>.repository
// and <value>.tag apart, and with explicitRegistry <value>.registry too, the
// repository then without its registry.
struct ImageStrategy {
  bool helm = false;
  bool explicit_registry = false;
};

// The setValueTemplates entries Skaffold's v2 -> v3 upgrade writes for the
// value `name` set to artifact `image` under `strategy`, as {suffix, template}
// with the entry's name being `name` + suffix. The tag keeps the digest, so the
// chart's "repository:tag" is the reference that was built.
std::vector<std::pair<std::string, std::string>> OverrideTemplates(const std::string& image,
                                                                   ImageStrategy strategy) {
  const std::string n = ImageVariableSuffix(image);
  if (!strategy.helm) return {{"", FullyQualifiedTemplate(image)}};
  std::vector<std::pair<std::string, std::string>> out = {
      {".tag", absl::StrCat("{{.IMAGE_TAG_", n, "}}@{{.IMAGE_DIGEST_", n, "}}")}};
  if (strategy.explicit_registry) {
    out.push_back({".repository", absl::StrCat("{{.IMAGE_REPO_NO_DOMAIN_", n, "}}")});
    out.push_back({".registry", absl::StrCat("{{.IMAGE_DOMAIN_", n, "}}")});
  } else {
    out.push_back({".repository", absl::StrCat("{{.IMAGE_REPO_", n, "}}")});
  }
  return out;
}

class Upgrader;
using StepFn = void (Upgrader::*)(YAML::Node doc);

// A schema version and the step that upgrades its documents to the next one;
// nullptr when only the apiVersion changes for the fields devloop decodes.
struct Version {
  const char* name;
  StepFn to_next;
};

class Upgrader {
 public:
  Upgrader(const std::string& file, std::vector<ConfigError>* errors) : w_(file, errors) {}

  // Runs `step` on `doc` as the step from `from` to `to`; returns false when it
  // reported a field it cannot upgrade.
  bool Run(StepFn step, const std::string& from, const std::string& to, YAML::Node doc) {
    from_ = from;
    to_ = to;
    failed_ = false;
    (this->*step)(doc);
    return !failed_;
  }

  // v1alpha1 -> v1alpha2 (v1alpha1 has no profiles): tagPolicy becomes a map of
  // one tagger; kubectl manifests lose their {paths, parameters} wrapping
  // (Skaffold drops parameters, with a warning); an artifact's dockerfilePath
  // and buildArgs move under docker; deploy.name goes.
  void V1alpha1ToV1alpha2(YAML::Node doc) {
    YAML::Node build = Child(doc, "build");
    if (build.IsMap()) {
      const YAML::Node tag = Child(build, "tagPolicy");
      if (tag.IsScalar()) {
        const std::string tagger = tag.Scalar();
        if (tagger.empty()) {
          build.remove(KeyNode(build, "tagPolicy"));
        } else if (tagger == "sha256" || tagger == "gitCommit") {
          YAML::Node policy(YAML::NodeType::Map);
          policy.force_insert(tag, YAML::Node(YAML::NodeType::Map));  // keeps the user's mark
          Replace(build, KeyNode(build, "tagPolicy"), "tagPolicy", policy, "build");
        } else {
          Fail(tag, absl::StrCat("build.tagPolicy: ", Describe(tag), " cannot be upgraded from ",
                                 from_, " (expected sha256 or gitCommit)"));
        }
      }
      ForEachItem(build, "artifacts", "build", [&](YAML::Node a, const std::string& path) {
        YAML::Node docker(YAML::NodeType::Map);
        for (const char* field : {"dockerfilePath", "buildArgs"}) Move(a, field, docker);
        if (docker.size() > 0) Insert(a, "docker", docker, path);
      });
    }
    YAML::Node deploy = Child(doc, "deploy");
    if (!deploy.IsMap()) return;
    if (YAML::Node name = KeyNode(deploy, "name"); name.IsDefined()) deploy.remove(name);
    YAML::Node kubectl = Child(deploy, "kubectl");
    const YAML::Node manifests = Child(kubectl, "manifests");
    if (!manifests.IsSequence()) return;
    YAML::Node flat(YAML::NodeType::Sequence);
    size_t i = 0;
    for (const YAML::Node& item : manifests) {
      const std::string path = absl::StrCat("deploy.kubectl.manifests[", i++, "]");
      if (!item.IsMap()) {
        flat.push_back(item);
        continue;
      }
      const YAML::Node paths = Child(item, "paths");
      if (paths.IsSequence()) {
        for (const YAML::Node& p : paths) flat.push_back(p);
      } else if (paths.IsDefined() && !paths.IsNull()) {
        Fail(paths, absl::StrCat(path, ".paths: expected a list of files, got ", Describe(paths)));
      }
    }
    Replace(kubectl, KeyNode(kubectl, "manifests"), "manifests", flat, "deploy.kubectl");
  }

  // v1alpha2 -> v1alpha3: a helm release's valuesFilePath becomes the list
  // valuesFiles.
  void V1alpha2ToV1alpha3(YAML::Node doc) {
    WrapPatches(doc, {"deploy", "helm", "releases", "*", "valuesFilePath"}, "valuesFiles");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachHelmRelease(pipeline, prefix, [&](YAML::Node r, const std::string& path) {
        const YAML::Node key = KeyNode(r, "valuesFilePath");
        if (!key.IsDefined()) return;
        const YAML::Node file = Child(r, "valuesFilePath");
        if (file.IsNull() || (file.IsScalar() && file.Scalar().empty())) {
          r.remove(key);
        } else if (file.IsScalar()) {
          YAML::Node files(YAML::NodeType::Sequence);
          files.push_back(file);
          Replace(r, key, "valuesFiles", files, path);
        } else {
          Fail(file, absl::StrCat(Sub(path, "valuesFilePath"), ": expected a file name, got ",
                                  Describe(file)));
        }
      });
    });
  }

  // v1alpha3 -> v1alpha4: artifact imageName/workspace become image/context,
  // docker.dockerfilePath becomes dockerfile, local.skipPush becomes its
  // opposite, push, and kustomize.kustomizePath becomes path.
  void V1alpha3ToV1alpha4(YAML::Node doc) {
    RenamePatches(doc, {"build", "artifacts", "*", "imageName"}, "image");
    RenamePatches(doc, {"build", "artifacts", "*", "workspace"}, "context");
    RenamePatches(doc, {"build", "artifacts", "*", "docker", "dockerfilePath"}, "dockerfile");
    RenamePatches(doc, {"deploy", "kustomize", "kustomizePath"}, "path");
    ForEachPatch(doc, [&](YAML::Node patch, std::vector<std::string>& tokens, const std::string&) {
      if (tokens != std::vector<std::string>{"build", "local", "skipPush"}) return;
      tokens.back() = "push";
      YAML::Node value = Child(patch, "value");
      if (IsTrue(value)) {
        value = "false";
      } else if (IsFalse(value)) {
        value = "true";
      }
    });
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      const std::string bp = Sub(prefix, "build");
      YAML::Node build = Child(pipeline, "build");
      ForEachItem(build, "artifacts", bp, [&](YAML::Node a, const std::string& path) {
        Rename(a, "imageName", "image", path);
        Rename(a, "workspace", "context", path);
        Rename(Child(a, "docker"), "dockerfilePath", "dockerfile", Sub(path, "docker"));
      });
      YAML::Node local = Child(build, "local");
      YAML::Node skip = Child(local, "skipPush");
      if (IsTrue(skip)) {
        skip = "false";  // a scalar assignment: the node keeps its mark
      } else if (IsFalse(skip)) {
        skip = "true";
      }
      Rename(local, "skipPush", "push", Sub(bp, "local"));
      Rename(Child(Child(pipeline, "deploy"), "kustomize"), "kustomizePath", "path",
             Sub(prefix, "deploy.kustomize"));
    });
  }

  // v1beta6 -> v1beta7: the kaniko build becomes the cluster build (Skaffold
  // also copies its settings into each artifact's kaniko; devloop refuses both).
  void V1beta6ToV1beta7(YAML::Node doc) {
    RenamePatches(doc, {"build", "kaniko"}, "cluster");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      Rename(Child(pipeline, "build"), "kaniko", "cluster", Sub(prefix, "build"));
    });
  }

  // v1beta8 -> v1beta9: builder plugins and execution environments, written as
  // {name, properties}, become the builder or environment of that name.
  void V1beta8ToV1beta9(YAML::Node doc) {
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      const std::string bp = Sub(prefix, "build");
      YAML::Node build = Child(pipeline, "build");
      ForEachItem(build, "artifacts", bp, [&](YAML::Node a, const std::string& path) {
        PluginToField(a, "plugin", path, {"bazel", "docker"});
      });
      PluginToField(build, "executionEnvironment", bp, {"googleCloudBuild", "local"});
    });
  }

  // v1beta9 -> v1beta10: an artifact's sync map {pattern: destination} becomes
  // sync.manual rules, with the pattern's directory as strip where that keeps
  // the old meaning.
  void V1beta9ToV1beta10(YAML::Node doc) {
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachItem(Child(pipeline, "build"), "artifacts", Sub(prefix, "build"),
                  [&](YAML::Node a, const std::string& path) { SyncMapToRules(a, path); });
    });
  }

  // v1beta13 -> v1beta14: jibMaven and jibGradle become jib.
  void V1beta13ToV1beta14(YAML::Node doc) {
    RenamePatches(doc, {"build", "artifacts", "*", "jibMaven"}, "jib");
    RenamePatches(doc, {"build", "artifacts", "*", "jibGradle"}, "jib");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachItem(Child(pipeline, "build"), "artifacts", Sub(prefix, "build"),
                  [&](YAML::Node a, const std::string& path) {
                    Rename(a, "jibMaven", "jib", path);
                    Rename(a, "jibGradle", "jib", path);
                  });
    });
  }

  // v2alpha2 -> v2alpha3: kustomize.path becomes the list kustomize.paths.
  void V2alpha2ToV2alpha3(YAML::Node doc) {
    WrapPatches(doc, {"deploy", "kustomize", "path"}, "paths");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      const std::string kp = Sub(prefix, "deploy.kustomize");
      YAML::Node kustomize = Child(Child(pipeline, "deploy"), "kustomize");
      const YAML::Node key = KeyNode(kustomize, "path");
      if (!key.IsDefined()) return;
      const YAML::Node dir = Child(kustomize, "path");
      if (dir.IsNull() || (dir.IsScalar() && dir.Scalar().empty())) {
        kustomize.remove(key);
      } else if (dir.IsScalar()) {
        YAML::Node paths(YAML::NodeType::Sequence);
        paths.push_back(dir);
        Replace(kustomize, key, "paths", paths, kp);
      } else {
        Fail(dir, absl::StrCat(Sub(kp, "path"), ": expected a directory, got ", Describe(dir)));
      }
    });
  }

  // v2beta3 -> v2beta4: a helm release's values become artifactOverrides.
  void V2beta3ToV2beta4(YAML::Node doc) {
    RenamePatches(doc, {"deploy", "helm", "releases", "*", "values"}, "artifactOverrides");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachHelmRelease(pipeline, prefix, [&](YAML::Node r, const std::string& path) {
        Rename(r, "values", "artifactOverrides", path);
      });
    });
  }

  // v2beta4 -> v2beta5: the buildpack builder becomes buildpacks.
  void V2beta4ToV2beta5(YAML::Node doc) {
    RenamePatches(doc, {"build", "artifacts", "*", "buildpack"}, "buildpacks");
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachItem(Child(pipeline, "build"), "artifacts", Sub(prefix, "build"),
                  [&](YAML::Node a, const std::string& path) {
                    Rename(a, "buildpack", "buildpacks", path);
                  });
    });
  }

  // v2beta12 -> v2beta13: a release with remote: true names its chart in
  // remoteChart instead of chartPath; remote goes.
  void V2beta12ToV2beta13(YAML::Node doc) {
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachHelmRelease(pipeline, prefix, [&](YAML::Node r, const std::string& path) {
        const YAML::Node key = KeyNode(r, "remote");
        if (!key.IsDefined()) return;
        const YAML::Node remote = Child(r, "remote");
        if (IsTrue(remote)) {
          Rename(r, "chartPath", "remoteChart", path);
        } else if (!remote.IsNull() && !IsFalse(remote)) {
          Fail(remote, absl::StrCat(Sub(path, "remote"), ": expected true or false, got ",
                                    Describe(remote)));
          return;
        }
        r.remove(key);
      });
    });
  }

  // v2beta29 -> v3alpha1: Skaffold moves deploy.kubectl.manifests to
  // manifests.rawYaml, deploy.kustomize to manifests.kustomize and helm
  // releases to manifests.helm (rewriting profile patch paths to match); the
  // decoder reads the v2 fields the same way, so they stay where they are, the
  // patch paths into them stay valid, and errors keep naming what the user
  // wrote. A helm release's artifactOverrides become setValueTemplates that
  // set each value to its artifact's image, as its imageStrategy said (patches
  // of them too), and imageStrategy goes. What Skaffold cannot convert, kpt
  // deploys, is refused here.
  void V2beta29ToV3alpha1(YAML::Node doc) {
    // Patches first: the release each one patches still has its imageStrategy.
    ForEachPatchOfProfile(doc, [&](const YAML::Node& profile, YAML::Node patch,
                                   std::vector<std::string>& tokens, const std::string& where,
                                   std::vector<YAML::Node>* added) {
      ArtifactOverridesPatchToTemplates(doc, profile, patch, tokens, where, added);
    });
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      ForEachHelmRelease(pipeline, prefix, [&](YAML::Node r, const std::string& path) {
        ArtifactOverridesToTemplates(r, path);
      });
    });
    ForEachPipeline(doc, [&](YAML::Node pipeline, const std::string& prefix) {
      const YAML::Node kpt = KeyNode(Child(pipeline, "deploy"), "kpt");
      if (!kpt.IsDefined()) return;
      Fail(kpt, absl::StrCat(Sub(prefix, "deploy.kpt"), ": cannot be upgraded from ", from_,
                             " to ", to_,
                             " (Skaffold cannot convert kpt deploys either); devloop deploys "
                             "with kubectl, kustomize, helm or docker"));
    });
  }

 private:
  void Fail(const YAML::Node& node, std::string message) {
    w_.Error(node, std::move(message));
    failed_ = true;
  }

  // Calls fn(pipeline, prefix) for the document ("") and for each profile
  // ("profiles[i]"), whose build, deploy and test sections Skaffold upgrades
  // the same way.
  template <typename Fn>
  void ForEachPipeline(YAML::Node doc, Fn fn) {
    fn(doc, "");
    const YAML::Node profiles = Child(doc, "profiles");
    if (!profiles.IsSequence()) return;
    size_t i = 0;
    for (YAML::Node profile : profiles) {
      if (profile.IsMap()) fn(profile, absl::StrCat("profiles[", i, "]"));
      ++i;
    }
  }

  // Calls fn(item, path) for each map in the list map[key].
  template <typename Fn>
  void ForEachItem(const YAML::Node& map, const std::string& key, const std::string& prefix,
                   Fn fn) {
    const YAML::Node list = Child(map, key);
    if (!list.IsSequence()) return;
    size_t i = 0;
    for (YAML::Node item : list) {
      if (item.IsMap()) fn(item, absl::StrCat(Sub(prefix, key), "[", i, "]"));
      ++i;
    }
  }

  template <typename Fn>
  void ForEachHelmRelease(const YAML::Node& pipeline, const std::string& prefix, Fn fn) {
    ForEachItem(Child(Child(pipeline, "deploy"), "helm"), "releases",
                Sub(prefix, "deploy.helm"), fn);
  }

  // Reports a field the step would create where the user already wrote it.
  bool Clashes(const YAML::Node& map, const YAML::Node& key, const std::string& to,
               const std::string& path) {
    const YAML::Node existing = KeyNode(map, to);
    if (!existing.IsDefined() || existing.is(key)) return false;
    Fail(key, absl::StrCat(Sub(path, key.Scalar()), ": cannot be upgraded from ", from_, " to ",
                           to_, ": it becomes ", to, ", which is set too"));
    return true;
  }

  // Renames field `from` of `map` to `to`, in place: the key node is the
  // user's, so its mark stays.
  void Rename(YAML::Node map, const std::string& from, const std::string& to,
              const std::string& path) {
    YAML::Node key = KeyNode(map, from);
    if (!key.IsDefined() || Clashes(map, key, to, path)) return;
    key = to;
  }

  // Replaces the field whose key node is `key` by `to: value`, keeping the key
  // node (and so its mark).
  void Replace(YAML::Node map, YAML::Node key, const std::string& to, const YAML::Node& value,
               const std::string& path) {
    if (!key.IsDefined() || Clashes(map, key, to, path)) return;
    map.remove(key);
    key = to;
    map.force_insert(key, value);
  }

  // Adds `key: value` to `map`, unless the user wrote that field already.
  void Insert(YAML::Node map, const std::string& key, const YAML::Node& value,
              const std::string& path) {
    if (const YAML::Node existing = KeyNode(map, key); existing.IsDefined()) {
      Fail(existing, absl::StrCat(Sub(path, key), ": cannot be upgraded from ", from_, " to ", to_,
                                  ": devloop would write it from older fields of ", path));
      return;
    }
    map.force_insert(key, value);
  }

  // Moves field `field` (key and value nodes) from map `from` to map `to`.
  static void Move(YAML::Node from, const std::string& field, YAML::Node to) {
    const YAML::Node key = KeyNode(from, field);
    if (!key.IsDefined()) return;
    const YAML::Node value = Child(from, field);
    from.remove(key);
    to.force_insert(key, value);
  }

  // Turns map[field] = {name: N, properties: P} into map[N] = P.
  void PluginToField(YAML::Node map, const std::string& field, const std::string& path,
                     const std::set<std::string>& names) {
    const YAML::Node key = KeyNode(map, field);
    if (!key.IsDefined()) return;
    const std::string p = Sub(path, field);
    const YAML::Node plugin = Child(map, field);
    if (!plugin.IsMap()) {
      Fail(plugin, absl::StrCat(p, ": expected a map with name and properties, got ",
                                Describe(plugin)));
      return;
    }
    const YAML::Node name = Child(plugin, "name");
    if (!name.IsScalar() || !names.contains(name.Scalar())) {
      Fail(name.IsDefined() ? name : plugin,
           absl::StrCat(Sub(p, "name"), ": ", Describe(name), " cannot be upgraded from ", from_,
                        " to ", to_, " (expected ", absl::StrJoin(names, " or "), ")"));
      return;
    }
    const YAML::Node properties = Child(plugin, "properties");
    Replace(map, key, name.Scalar(),
            properties.IsDefined() && !properties.IsNull() ? properties
                                                             : YAML::Node(YAML::NodeType::Map),
            path);
  }

  // Calls fn(profile, patch, tokens, where, &added) for each profile patch
  // whose path is a JSON pointer, with the pointer's tokens; when fn changes
  // them, the patch's path becomes the new pointer (its node keeps its mark).
  // The patches fn puts in `added` are appended to the profile's patches.
  template <typename Fn>
  void ForEachPatchOfProfile(YAML::Node doc, Fn fn) {
    const YAML::Node profiles = Child(doc, "profiles");
    if (!profiles.IsSequence()) return;
    size_t i = 0;
    for (const YAML::Node& profile : profiles) {
      YAML::Node patches = Child(profile, "patches");
      ++i;
      if (!patches.IsSequence()) continue;
      std::vector<YAML::Node> added;
      size_t j = 0;
      for (YAML::Node patch : patches) {
        const std::string where = absl::StrCat("profiles[", i - 1, "].patches[", j++, "]");
        YAML::Node path = Child(patch, "path");
        std::vector<std::string> tokens;
        if (!path.IsScalar() || !PointerTokens(path.Scalar(), &tokens)) continue;
        const std::vector<std::string> before = tokens;
        fn(profile, patch, tokens, where, &added);
        if (tokens != before) path = Pointer(tokens);
      }
      for (const YAML::Node& patch : added) patches.push_back(patch);
    }
  }

  // As ForEachPatchOfProfile, for fn(patch, tokens, where).
  template <typename Fn>
  void ForEachPatch(YAML::Node doc, Fn fn) {
    ForEachPatchOfProfile(doc, [&](const YAML::Node&, YAML::Node patch,
                                   std::vector<std::string>& tokens, const std::string& where,
                                   std::vector<YAML::Node>*) { fn(patch, tokens, where); });
  }

  // Renames, in each patch path that begins with `pattern` ("*" for any list
  // index), the token that matched the pattern's last one to `to`: the field a
  // step renamed, and whatever the path names inside it.
  void RenamePatches(YAML::Node doc, const std::vector<std::string>& pattern,
                     const std::string& to) {
    ForEachPatch(doc, [&](YAML::Node, std::vector<std::string>& tokens, const std::string&) {
      if (StartsWithPattern(tokens, pattern)) tokens[pattern.size() - 1] = to;
    });
  }

  // For a field a step turned from a scalar into the list `to` of that one
  // scalar: a patch of exactly that field names `to` instead, and a scalar
  // value it sets becomes a list of it.
  void WrapPatches(YAML::Node doc, const std::vector<std::string>& pattern,
                   const std::string& to) {
    ForEachPatch(doc, [&](YAML::Node patch, std::vector<std::string>& tokens,
                          const std::string& where) {
      if (tokens.size() != pattern.size() || !StartsWithPattern(tokens, pattern)) return;
      tokens.back() = to;
      const YAML::Node value = Child(patch, "value");
      if (!value.IsScalar()) return;
      YAML::Node list(YAML::NodeType::Sequence);
      list.push_back(value);
      Replace(patch, KeyNode(patch, "value"), "value", list, where);
    });
  }

  // The imageStrategy of a helm release, as far as it reads (CheckImageStrategy
  // reports what does not).
  static ImageStrategy StrategyOf(const YAML::Node& release) {
    const YAML::Node helm = Child(Child(release, "imageStrategy"), "helm");
    return {.helm = helm.IsDefined(), .explicit_registry = IsTrue(Child(helm, "explicitRegistry"))};
  }

  // Reports an imageStrategy that is not one of `fqn: {}`, `helm: {}` and
  // `helm: {explicitRegistry: BOOL}`; returns whether it is one.
  bool CheckImageStrategy(const YAML::Node& release, const std::string& path) {
    const YAML::Node strategy = Child(release, "imageStrategy");
    if (!strategy.IsDefined() || strategy.IsNull()) return true;
    if (strategy.IsMap() && strategy.size() == 0) return true;  // the default, fqn
    const std::string p = Sub(path, "imageStrategy");
    if (strategy.IsMap() && strategy.size() > 1) {
      Fail(strategy, absl::StrCat(p, ": expected one of fqn: {} or helm: {}, not both"));
      return false;
    }
    const YAML::Node fqn = Child(strategy, "fqn");
    const YAML::Node helm = Child(strategy, "helm");
    const bool empty_fqn = fqn.IsNull() || (fqn.IsMap() && fqn.size() == 0);
    if (fqn.IsDefined() && empty_fqn) return true;
    if (helm.IsDefined() && (helm.IsNull() || helm.IsMap())) {
      bool ok = true;
      for (auto it = helm.begin(); helm.IsMap() && it != helm.end(); ++it) {
        const bool known = it->first.IsScalar() && it->first.Scalar() == "explicitRegistry";
        if (!known || !(IsTrue(it->second) || IsFalse(it->second))) {
          Fail(known ? it->second : it->first,
               absl::StrCat(Sub(p, "helm"), ": expected explicitRegistry: true or false, got ",
                            known ? Describe(it->second) : Describe(it->first)));
          ok = false;
        }
      }
      return ok;
    }
    Fail(strategy, absl::StrCat(p, ": expected one of fqn: {} or helm: {}, got ",
                                Describe(strategy)));
    return false;
  }

  // The helm release a profile's patch of deploy.helm.releases[index] patches:
  // the profile's own when it has a deploy section, else the document's.
  static YAML::Node PatchedRelease(const YAML::Node& doc, const YAML::Node& profile,
                                   const std::string& index) {
    size_t i = 0;
    const YAML::Node pipeline = Child(profile, "deploy").IsDefined() ? profile : doc;
    const YAML::Node releases = Child(Child(Child(pipeline, "deploy"), "helm"), "releases");
    if (!absl::SimpleAtoi(index, &i) || !releases.IsSequence() || i >= releases.size()) {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return releases[i];
  }

  // Flattens `map` (artifactOverrides, a map of value names to artifact
  // images, nested maps meaning dotted names) into `out` as {name, image}
  // pairs, the key node kept for a top-level name.
  void FlattenOverrides(const YAML::Node& map, const std::string& prefix, const std::string& path,
                        std::vector<std::tuple<YAML::Node, std::string, YAML::Node>>* out) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        Fail(it->first, absl::StrCat(path, ": expected a value name, got ", Describe(it->first)));
        continue;
      }
      const std::string name =
          prefix.empty() ? it->first.Scalar() : absl::StrCat(prefix, ".", it->first.Scalar());
      if (it->second.IsMap()) {
        FlattenOverrides(it->second, name, path, out);
      } else if (it->second.IsScalar() && !it->second.Scalar().empty()) {
        out->emplace_back(prefix.empty() ? it->first : YAML::Node(name), name, it->second);
      } else {
        Fail(it->second.IsDefined() && !it->second.IsNull() ? it->second : it->first,
             absl::StrCat(Sub(path, name), ": expected an artifact's image, got ",
                          Describe(it->second)));
      }
    }
  }

  // Turns release `r`'s artifactOverrides {name: image} into setValueTemplates,
  // next to those the user wrote, as Skaffold's v2 -> v3 upgrade does: under
  // imageStrategy fqn (the default), {name: "{{.IMAGE_FULLY_QUALIFIED_<image>}}"};
  // under helm, name.repository "{{.IMAGE_REPO_<image>}}" and name.tag
  // "{{.IMAGE_TAG_<image>}}@{{.IMAGE_DIGEST_<image>}}", and with
  // explicitRegistry name.registry "{{.IMAGE_DOMAIN_<image>}}" and the
  // repository "{{.IMAGE_REPO_NO_DOMAIN_<image>}}". imageStrategy goes: v3 has
  // no such field.
  void ArtifactOverridesToTemplates(YAML::Node r, const std::string& path) {
    if (!CheckImageStrategy(r, path)) return;
    const ImageStrategy strategy = StrategyOf(r);
    if (const YAML::Node key = KeyNode(r, "artifactOverrides"); key.IsDefined()) {
      OverridesToTemplates(r, key, strategy, path);
    }
    if (failed_) return;
    if (const YAML::Node key = KeyNode(r, "imageStrategy"); key.IsDefined()) r.remove(key);
  }

  void OverridesToTemplates(YAML::Node r, const YAML::Node& key, ImageStrategy strategy,
                            const std::string& path) {
    const std::string p = Sub(path, "artifactOverrides");
    const YAML::Node overrides = Child(r, "artifactOverrides");
    if (!overrides.IsNull() && !overrides.IsMap()) {
      Fail(overrides, absl::StrCat(p, ": expected a map of values to artifact images, got ",
                                   Describe(overrides)));
      return;
    }
    std::vector<std::tuple<YAML::Node, std::string, YAML::Node>> flat;
    if (overrides.IsMap()) FlattenOverrides(overrides, "", p, &flat);
    if (failed_) return;
    YAML::Node templates = Child(r, "setValueTemplates");
    if (templates.IsDefined() && !templates.IsNull() && !templates.IsMap()) {
      return;  // the decoder reports it
    }
    if (templates.IsNull()) r.remove(KeyNode(r, "setValueTemplates"));
    const bool had_templates = templates.IsMap();
    YAML::Node merged = had_templates ? templates : YAML::Node(YAML::NodeType::Map);
    for (auto& [name_node, name, image] : flat) {
      const std::string artifact = image.Scalar();
      for (const auto& [suffix, text] : OverrideTemplates(artifact, strategy)) {
        const std::string entry = name + suffix;
        if (Child(merged, entry).IsDefined()) {
          Fail(name_node, absl::StrCat(Sub(p, name), ": cannot be upgraded from ", from_, " to ",
                                       to_, ": it becomes setValueTemplates.", entry,
                                       ", which is set too"));
          continue;
        }
        if (suffix.empty()) {
          image = text;  // in place: keeps the mark
          merged.force_insert(name_node, image);
        } else {
          merged.force_insert(entry, text);
        }
      }
    }
    if (had_templates) {
      r.remove(key);
    } else {
      Replace(r, key, "setValueTemplates", merged, path);  // the user's key node, with its mark
    }
  }

  // A patch of one artifactOverrides value patches the setValueTemplates
  // entries it became, with the image's templates as their values: under the
  // helm strategy of the release it patches (PatchedRelease) the patch sets
  // name.tag, and patches of name.repository (and name.registry) with the
  // same op are appended to `added`. A patch of the whole map is refused: it
  // would replace the user's own templates too.
  void ArtifactOverridesPatchToTemplates(const YAML::Node& doc, const YAML::Node& profile,
                                         YAML::Node patch, std::vector<std::string>& tokens,
                                         const std::string& where,
                                         std::vector<YAML::Node>* added) {
    if (!StartsWithPattern(tokens, {"deploy", "helm", "releases", "*", "artifactOverrides"})) {
      return;
    }
    const YAML::Node path = Child(patch, "path");
    if (tokens.size() == 5) {
      Fail(path, absl::StrCat(Sub(where, "path"), ": \"", path.Scalar(),
                              "\" cannot be upgraded from ", from_, " to ", to_,
                              ": artifactOverrides become setValueTemplates, and a patch of the "
                              "whole map would replace the templates written there too; patch "
                              "each value (",
                              path.Scalar(), "/NAME)"));
      return;
    }
    const ImageStrategy strategy = StrategyOf(PatchedRelease(doc, profile, tokens[3]));
    const std::vector<std::string> name(tokens.begin() + 5, tokens.end());
    const std::string value_name = absl::StrJoin(name, ".");
    tokens.resize(4);
    tokens.push_back("setValueTemplates");
    tokens.push_back(value_name);
    const YAML::Node op = Child(patch, "op");
    const bool remove = op.IsScalar() && op.Scalar() == "remove";
    YAML::Node value = Child(patch, "value");
    std::string image;
    if (!remove) {
      if (value.IsScalar() && !value.Scalar().empty()) {
        image = value.Scalar();
      } else if (value.IsDefined()) {
        Fail(value, absl::StrCat(Sub(where, "value"), ": expected an artifact's image, got ",
                                 Describe(value)));
        return;
      }
    }
    const std::vector<std::pair<std::string, std::string>> templates =
        OverrideTemplates(image, strategy);
    tokens.back() = value_name + templates[0].first;
    if (!image.empty()) value = templates[0].second;
    for (size_t i = 1; i < templates.size(); ++i) {
      if (!remove && !(op.IsScalar() && (op.Scalar() == "add" || op.Scalar() == "replace"))) {
        Fail(op.IsDefined() ? op : patch,
             absl::StrCat(Sub(where, "op"), ": ", Describe(op), " cannot be upgraded from ", from_,
                          " to ", to_, " for a release with imageStrategy helm (expected add, "
                          "replace or remove)"));
        return;
      }
      std::vector<std::string> extra_tokens = tokens;
      extra_tokens.back() = value_name + templates[i].first;
      YAML::Node extra(YAML::NodeType::Map);
      extra["op"] = op.Scalar();
      extra["path"] = Pointer(extra_tokens);
      if (!image.empty()) extra["value"] = templates[i].second;
      added->push_back(extra);
    }
  }

  void SyncMapToRules(YAML::Node artifact, const std::string& path) {
    const YAML::Node sync = Child(artifact, "sync");
    if (!sync.IsMap() || sync.size() == 0) return;
    for (auto it = sync.begin(); it != sync.end(); ++it) {
      // Not a map of patterns to destinations: already rules.
      if (!it->first.IsScalar() || !(it->second.IsScalar() || it->second.IsNull())) return;
    }
    std::vector<std::pair<YAML::Node, YAML::Node>> pairs;
    for (auto it = sync.begin(); it != sync.end(); ++it) pairs.emplace_back(it->first, it->second);
    YAML::Node rules(YAML::NodeType::Sequence);
    for (auto& [src, dest] : pairs) {
      const std::string pattern = src.Scalar();
      const std::string to = dest.IsScalar() ? dest.Scalar() : "";
      std::string dir;
      std::pair<std::string, std::string> dest_strip = {to, ""};
      if (SimplePatternDirectory(pattern, &dir)) {
        dest_strip = FoldStrip(to, dir);
      } else if (const size_t stars = pattern.find("***"); stars != std::string::npos) {
        dest_strip = FoldStrip(to, pattern.substr(0, stars));
        src = absl::StrReplaceAll(pattern, {{"***", "**"}});  // in place: keeps the mark
      }
      // Other patterns (a starred directory, "**") flattened their matches;
      // rules cannot say that, and Skaffold keeps them with a warning.
      if (dest_strip.first != to) dest = dest_strip.first;
      YAML::Node rule(YAML::NodeType::Map);
      rule.force_insert(std::string("src"), src);  // the pattern's key node, with its mark
      rule.force_insert(std::string("dest"), dest);
      if (!dest_strip.second.empty()) rule.force_insert(std::string("strip"), dest_strip.second);
      rules.push_back(rule);
    }
    YAML::Node manual(YAML::NodeType::Map);
    manual.force_insert(std::string("manual"), rules);
    Replace(artifact, KeyNode(artifact, "sync"), "sync", manual, path);
  }

  Walker w_;
  std::string from_;
  std::string to_;
  bool failed_ = false;
};

// Every version Skaffold v2 reads, oldest first, with what each step changes
// (from Skaffold's upgrade notes). Steps without a function change nothing
// devloop decodes.
const Version kVersions[] = {
    {"skaffold/v1alpha1", &Upgrader::V1alpha1ToV1alpha2},
    {"skaffold/v1alpha2", &Upgrader::V1alpha2ToV1alpha3},  // also kaniko.gcsBucket (refused)
    {"skaffold/v1alpha3", &Upgrader::V1alpha3ToV1alpha4},
    {"skaffold/v1alpha4", nullptr},  // azure builds; test becomes a list type
    {"skaffold/v1alpha5", nullptr},  // kaniko cache, bazel buildArgs
    {"skaffold/v1beta1", nullptr},   // kaniko additionalFlags
    {"skaffold/v1beta2", nullptr},   // gcb maven/gradle images, kaniko docker config
    {"skaffold/v1beta3", nullptr},   // profile activation and patches, skipBuildDependencies
    {"skaffold/v1beta4", nullptr},
    {"skaffold/v1beta5", nullptr},
    {"skaffold/v1beta6", &Upgrader::V1beta6ToV1beta7},  // also localDir initImage, useHelmSecrets
    {"skaffold/v1beta7", nullptr},
    {"skaffold/v1beta8", &Upgrader::V1beta8ToV1beta9},  // also gitCommit.variant
    {"skaffold/v1beta9", &Upgrader::V1beta9ToV1beta10},  // also docker.network
    {"skaffold/v1beta10", nullptr},
    {"skaffold/v1beta11", nullptr},
    {"skaffold/v1beta12", nullptr},
    {"skaffold/v1beta13", &Upgrader::V1beta13ToV1beta14},
    {"skaffold/v1beta14", nullptr},  // kustomize buildArgs
    {"skaffold/v1beta15", nullptr},
    {"skaffold/v1beta16", nullptr},  // kaniko storage resources
    {"skaffold/v1beta17", nullptr},
    {"skaffold/v1", nullptr},         // portForward.address, buildpack and kaniko env
    {"skaffold/v2alpha1", nullptr},   // kaniko buildContext.localDir moves (refused)
    {"skaffold/v2alpha2", &Upgrader::V2alpha2ToV2alpha3},
    {"skaffold/v2alpha3", nullptr},
    {"skaffold/v2alpha4", nullptr},
    {"skaffold/v2beta1", nullptr},
    {"skaffold/v2beta2", nullptr},
    {"skaffold/v2beta3", &Upgrader::V2beta3ToV2beta4},
    {"skaffold/v2beta4", &Upgrader::V2beta4ToV2beta5},  // also cluster pullSecretPath (refused)
    {"skaffold/v2beta5", nullptr},
    {"skaffold/v2beta6", nullptr},
    {"skaffold/v2beta7", nullptr},
    {"skaffold/v2beta8", nullptr},  // sync.auto and local booleans: same YAML
    {"skaffold/v2beta9", nullptr},
    {"skaffold/v2beta10", nullptr},  // portForward.port may be a name: same YAML
    {"skaffold/v2beta11", nullptr},
    {"skaffold/v2beta12", &Upgrader::V2beta12ToV2beta13},
    {"skaffold/v2beta13", nullptr},
    {"skaffold/v2beta14", nullptr},
    {"skaffold/v2beta15", nullptr},
    {"skaffold/v2beta16", nullptr},  // docker secret destination dropped (secrets refused)
    {"skaffold/v2beta17", nullptr},
    {"skaffold/v2beta18", nullptr},
    {"skaffold/v2beta19", nullptr},
    {"skaffold/v2beta20", nullptr},
    {"skaffold/v2beta21", nullptr},
    {"skaffold/v2beta22", nullptr},
    {"skaffold/v2beta23", nullptr},
    {"skaffold/v2beta24", nullptr},
    {"skaffold/v2beta25", nullptr},
    {"skaffold/v2beta26", nullptr},
    {"skaffold/v2beta27", nullptr},  // ko.platforms moves (refused)
    {"skaffold/v2beta28", nullptr},
    {"skaffold/v2beta29", &Upgrader::V2beta29ToV3alpha1},
    {"skaffold/v3alpha1", nullptr},
    {"skaffold/v3", nullptr},  // kubectl.remoteManifests moves (refused)
    {"skaffold/v4beta1", nullptr},
    {"skaffold/v4beta2", nullptr},
    {"skaffold/v4beta3", nullptr},
    {"skaffold/v4beta4", nullptr},
    {"skaffold/v4beta5", nullptr},
    {"skaffold/v4beta6", nullptr},
    {"skaffold/v4beta7", nullptr},
    {"skaffold/v4beta8", nullptr},
    {"skaffold/v4beta9", nullptr},
    {"skaffold/v4beta10", nullptr},
    {"skaffold/v4beta11", nullptr},
    {"skaffold/v4beta12", nullptr},
    {"skaffold/v4beta13", nullptr},  // the newest: no step
};
constexpr size_t kVersionCount = sizeof(kVersions) / sizeof(kVersions[0]);

// Returns the index of `api_version` in kVersions, or kVersionCount.
size_t IndexOf(absl::string_view api_version) {
  for (size_t i = 0; i < kVersionCount; ++i) {
    if (api_version == kVersions[i].name) return i;
  }
  return kVersionCount;
}

// "skaffold/v2beta7" -> "skaffold/v2beta": versions of one family differ in
// their last number only.
absl::string_view Family(absl::string_view version) {
  while (!version.empty() && absl::ascii_isdigit(version.back())) version.remove_suffix(1);
  return version;
}

}  // namespace

bool IsReadableApiVersion(absl::string_view api_version) {
  return IndexOf(api_version) < kVersionCount;
}

std::string ReadableApiVersions() {
  std::vector<std::string> ranges;
  for (size_t first = 0; first < kVersionCount;) {
    size_t last = first;
    while (last + 1 < kVersionCount &&
           Family(kVersions[last + 1].name) == Family(kVersions[first].name)) {
      ++last;
    }
    ranges.push_back(first == last ? kVersions[first].name
                                   : absl::StrCat(kVersions[first].name, " ... ",
                                                  kVersions[last].name));
    first = last + 1;
  }
  const std::string last = ranges.back();
  ranges.pop_back();
  return absl::StrCat(absl::StrJoin(ranges, ", "), ", or ", last);
}

const std::string& NewestApiVersion() {
  static const auto* newest = new std::string(kVersions[kVersionCount - 1].name);
  return *newest;
}

bool UpgradeConfig(YAML::Node doc, const std::string& file, std::vector<ConfigError>* errors) {
  const YAML::Node api = Child(doc, "apiVersion");
  const size_t from = api.IsScalar() ? IndexOf(api.Scalar()) : kVersionCount;
  if (from == kVersionCount) {
    Walker(file, errors).Error(api, absl::StrCat("unsupported apiVersion ", Describe(api)));
    return false;
  }
  Upgrader upgrader(file, errors);
  for (size_t i = from; i + 1 < kVersionCount; ++i) {
    if (kVersions[i].to_next == nullptr) continue;
    if (!upgrader.Run(kVersions[i].to_next, kVersions[i].name, kVersions[i + 1].name, doc)) {
      return false;
    }
  }
  return true;
}

}  // namespace devloop::config::internal
