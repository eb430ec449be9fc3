#include "infra/deploy/kubectl/debug_manifests.h"

#include <cstdint>
#include <exception>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/debug/transform.h"
#include "infra/deploy/kubectl/manifest_yaml.h"
#include "infra/deploy/kubectl/manifests.h"
#include "yaml-cpp/yaml.h"

namespace devloop::deploy::kubectl {
namespace {

using internal::Get;
using internal::ScalarOrEmpty;
using internal::StringNode;

// Where an init container mounts the support volume: not /dbg, which would
// hide the support image's own files there.
constexpr char kInstallMount[] = "/devloop-dbg";
constexpr int64_t kMaxValues = 1'000'000;

// A scalar written plain, so that a reader resolves it (a port number stays
// a number).
YAML::Node PlainNode(const std::string& value) {
  YAML::Node node(value);
  node.SetTag("?");
  return node;
}

YAML::Node StringList(const std::vector<std::string>& values) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const std::string& v : values) list.push_back(StringNode(v));
  return list;
}

std::vector<std::string> Strings(const YAML::Node& list) {
  std::vector<std::string> out;
  if (!list.IsSequence()) return out;
  for (const YAML::Node& item : list) out.push_back(ScalarOrEmpty(item));
  return out;
}

// Returns node[key] as a sequence, made (empty) when missing or null.
YAML::Node ListOf(YAML::Node node, const std::string& key) {
  YAML::Node list = Get(node, key);
  if (list.IsSequence()) return list;
  node[key] = YAML::Node(YAML::NodeType::Sequence);
  return Get(node, key);
}

// Returns node[key] as a map, made (empty) when missing or null.
YAML::Node MapOf(YAML::Node node, const std::string& key) {
  YAML::Node map = Get(node, key);
  if (map.IsMap()) return map;
  node[key] = YAML::Node(YAML::NodeType::Map);
  return Get(node, key);
}

// Removes `key` from a map node, if there.
void RemoveKey(YAML::Node map, const std::string& key) {
  if (map.IsMap() && Get(map, key).IsDefined()) map.remove(key);
}

// The node holding a workload's pod metadata and the pod spec: the object
// itself for a Pod, its pod template otherwise. False when missing.
bool FindPod(const YAML::Node& object, const std::string& kind, YAML::Node* holder,
             YAML::Node* spec) {
  YAML::Node at = object;
  if (kind != "Pod") {
    YAML::Node object_spec = Get(object, "spec");
    if (kind == "CronJob") object_spec.reset(Get(Get(object_spec, "jobTemplate"), "spec"));
    at.reset(Get(object_spec, "template"));
  }
  if (!at.IsMap()) return false;
  YAML::Node pod_spec = Get(at, "spec");
  if (!pod_spec.IsMap()) return false;
  holder->reset(at);
  spec->reset(pod_spec);
  return true;
}

class Rewriter {
 public:
  explicit Rewriter(const DebugManifestOptions& options) : options_(options) {
    for (const auto& [artifact, reference] : options_.images) artifacts_[reference] = artifact;
  }

  absl::Status Document(YAML::Node object) {
    const std::string kind = ScalarOrEmpty(Get(object, "kind"));
    YAML::Node holder, spec;
    if (IsWorkloadKind(kind) && FindPod(object, kind, &holder, &spec)) {
      const YAML::Node metadata = Get(object, "metadata");
      DebugWorkload w{.kind = kind,
                      .name = ScalarOrEmpty(Get(metadata, "name")),
                      .namespace_name = ScalarOrEmpty(Get(metadata, "namespace"))};
      absl::Status s = Pod(holder, spec, w);
      if (!s.ok()) return s;
      if (!w.containers.empty()) out_.workloads.push_back(std::move(w));
    }
    YAML::Emitter emitter;
    emitter.SetIndent(2);
    absl::Status s = internal::DocumentWriter(&budget_).Write(emitter, object);
    if (!s.ok()) return s;
    if (!emitter.good()) {
      return absl::InternalError(
          absl::StrCat("cannot write ", kind, " back as YAML: ", emitter.GetLastError()));
    }
    documents_.push_back(absl::StrCat(emitter.c_str(), "\n"));
    return absl::OkStatus();
  }

  DebugManifests Take() {
    out_.yaml = absl::StrJoin(documents_, "---\n");
    return std::move(out_);
  }

 private:
  absl::Status Pod(YAML::Node holder, YAML::Node spec, DebugWorkload& w) {
    const std::string what = absl::StrCat(w.kind, " ", w.name);
    if (Get(Get(Get(holder, "metadata"), "annotations"), std::string(debug::kDebugConfigAnnotation))
            .IsDefined()) {
      return absl::OkStatus();  // configured for debugging by someone else
    }
    YAML::Node containers = Get(spec, "containers");
    if (!containers.IsSequence()) return absl::OkStatus();
    // Debug ports go where no container of the pod listens.
    absl::flat_hash_set<uint32_t> used;
    for (const char* list : {"initContainers", "containers"}) {
      for (const YAML::Node& c : Get(spec, list)) {
        for (const YAML::Node& p : Get(c, "ports")) {
          uint32_t port = 0;
          if (absl::SimpleAtoi(ScalarOrEmpty(Get(p, "containerPort")), &port)) used.insert(port);
        }
      }
    }
    std::set<std::string> supports;
    for (YAML::Node container : containers) {
      const std::string reference = ScalarOrEmpty(Get(container, "image"));
      auto artifact = artifacts_.find(reference);
      if (artifact == artifacts_.end()) continue;  // not built by this run
      const std::string name = ScalarOrEmpty(Get(container, "name"));
      const std::string where = absl::StrCat(what, ", container ", name);
      absl::StatusOr<ImageRunConfig> image = options_.image_config(reference);
      if (!image.ok()) {
        return absl::Status(image.status().code(),
                            absl::StrCat(where, ": cannot read the configuration of image ",
                                         reference, ": ", image.status().message()));
      }
      debug::ContainerSpec c = SpecOf(container, name, artifact->second, *image);
      absl::StatusOr<debug::DebugTransform> t = debug::TransformContainer(c, used);
      if (!t.ok()) {
        out_.skipped.push_back(absl::StrCat(where, ": ", t.status().message()));
        continue;
      }
      for (const debug::DebugPort& p : t->ports) used.insert(p.port);
      WriteBack(container, c, *image, *t);
      if (!t->support.empty()) {
        supports.insert(t->support);
        Mount(container, kDebugSupportVolume, "/dbg");
      }
      w.containers[name] = debug::DebugConfigFor(c, *t);
    }
    if (w.containers.empty()) return absl::OkStatus();
    if (!supports.empty()) {
      YAML::Node volumes = ListOf(spec, "volumes");
      bool have = false;
      for (const YAML::Node& v : volumes) have |= ScalarOrEmpty(Get(v, "name")) == kDebugSupportVolume;
      if (!have) {
        YAML::Node v(YAML::NodeType::Map);
        v["name"] = StringNode(std::string(kDebugSupportVolume));
        v["emptyDir"] = YAML::Node(YAML::NodeType::Map);
        volumes.push_back(v);
      }
      YAML::Node init = ListOf(spec, "initContainers");
      for (const std::string& support : supports) {
        const std::string init_name = absl::StrCat("install-", support, "-debug-support");
        bool there = false;
        for (const YAML::Node& c : init) there |= ScalarOrEmpty(Get(c, "name")) == init_name;
        if (there) continue;
        absl::StatusOr<SupportImage> image = SupportOf(support);
        if (!image.ok()) {
          return absl::Status(image.status().code(),
                              absl::StrCat(what, ": ", image.status().message()));
        }
        YAML::Node c(YAML::NodeType::Map);
        c["name"] = StringNode(init_name);
        c["image"] = StringNode(image->reference);
        c["imagePullPolicy"] = StringNode(image->pull_policy);
        // The support image holds busybox and its files under /dbg/<runtime>.
        c["command"] = StringList({"/bin/cp", "-a", absl::StrCat("/dbg/", support),
                                   absl::StrCat(kInstallMount, "/")});
        Mount(c, kDebugSupportVolume, kInstallMount);
        init.push_back(c);
      }
    }
    YAML::Node metadata = MapOf(holder, "metadata");
    YAML::Node annotations = MapOf(metadata, "annotations");
    annotations[StringNode(std::string(debug::kDebugConfigAnnotation))] =
        StringNode(debug::EncodeDebugConfig(w.containers));
    return absl::OkStatus();
  }

  // The container as it will run: the manifest over the image, as the
  // kubelet lays them (a command replaces the entrypoint and drops the
  // image's cmd; args replace the cmd).
  debug::ContainerSpec SpecOf(const YAML::Node& container, const std::string& name,
                              const std::string& artifact, const ImageRunConfig& image) const {
    debug::ContainerSpec c{.name = name, .artifact = artifact};
    const YAML::Node command = Get(container, "command");
    const YAML::Node args = Get(container, "args");
    const bool has_command = command.IsSequence() && command.size() > 0;
    const bool has_args = args.IsSequence() && args.size() > 0;
    c.entrypoint = has_command ? Strings(command) : image.entrypoint;
    c.args = has_args ? Strings(args) : has_command ? std::vector<std::string>{} : image.cmd;
    for (const std::string& kv : image.env) {
      const size_t eq = kv.find('=');
      c.env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    for (const YAML::Node& e : Get(container, "env")) {
      // A valueFrom's value is unknown here; its name still says something.
      c.env[ScalarOrEmpty(Get(e, "name"))] = ScalarOrEmpty(Get(e, "value"));
    }
    const std::string working_dir = ScalarOrEmpty(Get(container, "workingDir"));
    c.working_dir = working_dir.empty() ? image.working_dir : working_dir;
    for (const YAML::Node& p : Get(container, "ports")) {
      uint32_t port = 0;
      if (absl::SimpleAtoi(ScalarOrEmpty(Get(p, "containerPort")), &port)) c.ports.push_back(port);
    }
    auto runtime_type = options_.runtime_types.find(artifact);
    if (runtime_type != options_.runtime_types.end()) c.runtime_type = runtime_type->second;
    return c;
  }

  static void WriteBack(YAML::Node container, const debug::ContainerSpec& was,
                        const ImageRunConfig& image, const debug::DebugTransform& t) {
    if (t.entrypoint != was.entrypoint || t.args != was.args) {
      if (!t.entrypoint.empty()) {
        container["command"] = StringList(t.entrypoint);
        if (t.args.empty()) {
          RemoveKey(container, "args");
        } else {
          container["args"] = StringList(t.args);
        }
      } else if (!image.entrypoint.empty()) {
        // The whole line runs as the command, so the image's entrypoint does not.
        container["command"] = StringList(t.args);
        RemoveKey(container, "args");
      } else {
        RemoveKey(container, "command");
        container["args"] = StringList(t.args);
      }
    }
    if (!t.env.empty()) {
      YAML::Node env = ListOf(container, "env");
      for (const auto& [key, value] : t.env) {
        bool set = false;
        for (YAML::Node e : env) {
          if (ScalarOrEmpty(Get(e, "name")) != key) continue;
          RemoveKey(e, "valueFrom");
          e["value"] = StringNode(value);
          set = true;
        }
        if (set) continue;
        YAML::Node e(YAML::NodeType::Map);
        e["name"] = StringNode(key);
        e["value"] = StringNode(value);
        env.push_back(e);
      }
    }
    for (const debug::DebugPort& p : t.ports) {
      bool declared = false;
      for (uint32_t port : was.ports) declared |= port == p.port;
      if (declared) continue;
      YAML::Node port(YAML::NodeType::Map);
      port["name"] = StringNode(p.name);
      port["containerPort"] = PlainNode(absl::StrCat(p.port));
      ListOf(container, "ports").push_back(port);
    }
  }

  static void Mount(YAML::Node container, absl::string_view volume, absl::string_view path) {
    YAML::Node mounts = ListOf(container, "volumeMounts");
    for (const YAML::Node& m : mounts) {
      if (ScalarOrEmpty(Get(m, "mountPath")) == path) return;
    }
    YAML::Node m(YAML::NodeType::Map);
    m["name"] = StringNode(std::string(volume));
    m["mountPath"] = StringNode(std::string(path));
    mounts.push_back(m);
  }

  absl::StatusOr<SupportImage> SupportOf(const std::string& support) {
    auto it = supports_.find(support);
    if (it != supports_.end()) return it->second;
    absl::StatusOr<SupportImage> image = options_.support_image(support);
    if (image.ok()) supports_[support] = *image;
    return image;
  }

  const DebugManifestOptions& options_;
  std::map<std::string, std::string> artifacts_;  // deployed reference -> artifact
  std::map<std::string, SupportImage> supports_;
  int64_t budget_ = kMaxValues;
  std::vector<std::string> documents_;
  DebugManifests out_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const DebugWorkload& w) {
  os << "{" << w.kind << " " << w.namespace_name << "/" << w.name << ":";
  for (const auto& [name, c] : w.containers) os << " " << name << "=" << c;
  return os << "}";
}

absl::StatusOr<DebugManifests> RewriteForDebug(absl::string_view yaml,
                                               const DebugManifestOptions& options) {
  Rewriter rewriter(options);
  try {
    for (YAML::Node doc : YAML::LoadAll(std::string(yaml))) {
      if (doc.IsNull()) continue;
      absl::Status s = rewriter.Document(doc);
      if (!s.ok()) return s;
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the rendered manifests: ", e.what()));
  }
  return rewriter.Take();
}

}  // namespace devloop::deploy::kubectl
