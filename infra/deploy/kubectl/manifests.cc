#include "infra/deploy/kubectl/manifests.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "domain/config/errors.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"
#include "infra/config/yaml_util.h"
#include "infra/deploy/kubectl/manifest_yaml.h"
#include "yaml-cpp/yaml.h"

namespace devloop::deploy::kubectl {
namespace {

namespace fs = std::filesystem;
using internal::DocumentWriter;
using internal::Get;
using internal::ScalarOrEmpty;
using internal::StringNode;

// Anchors and aliases can make a small file expand into billions of values;
// rendering stops at this many, as the config loader does.
constexpr int64_t kMaxValues = 1'000'000;
// `kind: List` inside `kind: List` is legal but never deep.
constexpr int kMaxListDepth = 8;

// ---------------------------------------------------------------------------
// ReadManifests
// ---------------------------------------------------------------------------

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& shown) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string why = absl::StrCat("cannot read ", shown, ": ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(why) : absl::InvalidArgumentError(why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read ", shown));
  return text.str();
}

bool IsRegularFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);  // follows symlinks, as kubectl -f does
}

// Returns the paths, relative to `root`, of the regular files below `root`/`prefix`
// that `glob` matches, sorted. `max_depth` bounds the directories walked below the
// prefix (-1: no bound, for "**").
std::vector<std::string> MatchFiles(const std::string& root, const domain::Glob& glob,
                                    int max_depth) {
  std::vector<std::string> found;
  const fs::path start = glob.literal_prefix().empty()
                             ? fs::path(root)
                             : fs::path(root) / glob.literal_prefix();
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return found;
  fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (entry.is_directory(type_ec)) {
      if (max_depth >= 0 && it.depth() + 1 >= max_depth) it.disable_recursion_pending();
      continue;
    }
    if (!IsRegularFile(entry.path())) continue;
    const std::string rel = entry.path().lexically_relative(root).generic_string();
    if (glob.Matches(rel)) found.push_back(rel);
  }
  std::sort(found.begin(), found.end());
  return found;
}

// ---------------------------------------------------------------------------
// Render
// ---------------------------------------------------------------------------

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar().substr(0, 40), "\"");
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
  }
  return "something else";
}

// Kinds whose objects live outside namespaces (the built-in ones; a custom
// resource is taken to be namespaced).
bool IsClusterScoped(const std::string& kind) {
  static const std::set<std::string>* const kinds = new std::set<std::string>{
      "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole",
      "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "IngressClass",
      "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService",
      "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
      "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
      "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration"};
  return kinds->count(kind) > 0;
}

class Renderer {
 public:
  explicit Renderer(const RenderOptions& options) : options_(options) {}

  absl::Status Source(const ManifestSource& source) {
    path_ = source.path;
    namespace_ = source.namespace_name;
    std::vector<config::ConfigError> errors;
    std::optional<std::vector<YAML::Node>> docs =
        config::internal::LoadDocuments(source.text, source.path, &errors);
    if (!docs) {
      return absl::InvalidArgumentError(
          errors.empty() ? absl::StrCat(source.path, ": invalid YAML")
                         : config::FormatError(errors.front()));
    }
    for (const YAML::Node& doc : *docs) {
      if (doc.IsNull()) continue;  // an empty document ("---" twice, a comment only)
      absl::Status s = Object(doc, /*list_depth=*/0);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  Rendered Take() {
    rendered_.yaml = absl::StrJoin(documents_, "---\n");
    return std::move(rendered_);
  }

 private:
  absl::Status ErrorAt(const YAML::Node& node, absl::string_view what) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return absl::InvalidArgumentError(absl::StrCat(path_, ": ", what));
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", mark.line + 1, ":", mark.column + 1, ": ", what));
  }

  absl::Status Object(const YAML::Node& node, int list_depth) {
    constexpr absl::string_view kNeeds =
        "(every object needs apiVersion, kind and metadata.name)";
    if (!node.IsMap()) {
      return ErrorAt(node, absl::StrCat("expected a Kubernetes object, got ", Describe(node),
                                        " ", kNeeds));
    }
    const std::string kind = ScalarOrEmpty(Get(node, "kind"));
    if (kind.empty()) return ErrorAt(node, absl::StrCat("the object has no kind ", kNeeds));
    if (kind == "List") return List(node, list_depth);
    const std::string api_version = ScalarOrEmpty(Get(node, "apiVersion"));
    if (api_version.empty()) {
      return ErrorAt(node, absl::StrCat(kind, " has no apiVersion ", kNeeds));
    }
    YAML::Node metadata = Get(node, "metadata");
    if (!metadata.IsMap()) {
      return ErrorAt(metadata.IsDefined() ? metadata : node,
                     absl::StrCat(kind, " has no metadata.name ", kNeeds));
    }
    const std::string name = ScalarOrEmpty(Get(metadata, "name"));
    if (name.empty()) {
      return ErrorAt(metadata, absl::StrCat(kind, " has no metadata.name ", kNeeds));
    }
    if (IsWorkloadKind(kind)) {
      for (YAML::Node pod_spec : PodSpecs(node, kind)) ReplaceImages(pod_spec);
    }
    if (!namespace_.empty() && !Get(metadata, "namespace").IsDefined() &&
        !IsClusterScoped(kind)) {
      metadata["namespace"] = StringNode(namespace_);
    }
    absl::Status s = AddLabels(metadata, "metadata");
    if (!s.ok()) return s;
    for (const auto& [template_metadata, where] : PodTemplateMetadata(node, kind)) {
      s = AddLabels(template_metadata, where);
      if (!s.ok()) return s;
    }
    rendered_.objects.push_back(
        {api_version, kind, name, ScalarOrEmpty(Get(metadata, "namespace"))});
    YAML::Emitter out;
    out.SetIndent(2);
    s = DocumentWriter(&budget_).Write(out, node);
    if (!s.ok()) return ErrorAt(node, s.message());
    if (!out.good()) {
      return ErrorAt(node, absl::StrCat("cannot write ", kind, " ", name, " back as YAML: ",
                                        out.GetLastError()));
    }
    documents_.push_back(absl::StrCat(out.c_str(), "\n"));
    return absl::OkStatus();
  }

  absl::Status List(const YAML::Node& node, int list_depth) {
    if (list_depth >= kMaxListDepth) {
      return ErrorAt(node, absl::StrCat("kind: List nested more than ", kMaxListDepth,
                                        " deep"));
    }
    const YAML::Node items = Get(node, "items");
    if (!items.IsDefined() || items.IsNull()) return absl::OkStatus();
    if (!items.IsSequence()) {
      return ErrorAt(items, absl::StrCat("items of a List: expected a list, got ",
                                         Describe(items)));
    }
    for (const YAML::Node& item : items) {
      absl::Status s = Object(item, list_depth + 1);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Returns the pod specs of a workload of `kind`: Pod's own spec, CronJob's
  // spec.jobTemplate.spec.template.spec, the others' spec.template.spec. Missing
  // parts are skipped (kubectl reports them better).
  static std::vector<YAML::Node> PodSpecs(const YAML::Node& object, const std::string& kind) {
    YAML::Node spec = Get(object, "spec");
    if (kind == "CronJob") spec.reset(Get(Get(spec, "jobTemplate"), "spec"));
    if (kind != "Pod") spec.reset(Get(Get(spec, "template"), "spec"));
    if (!spec.IsMap()) return {};
    return {spec};
  }

  // Returns the metadata of what a workload makes, with its path for errors: a
  // pod template's (CronJob: the job template's too, so the Jobs carry the
  // labels as well as their pods). Created when the template has none.
  static std::vector<std::pair<YAML::Node, std::string>> PodTemplateMetadata(
      YAML::Node object, const std::string& kind) {
    if (!IsWorkloadKind(kind) || kind == "Pod") return {};
    std::vector<std::pair<YAML::Node, std::string>> out;
    YAML::Node spec = Get(object, "spec");
    std::string where = "spec";
    if (kind == "CronJob") {
      YAML::Node job_template = Get(spec, "jobTemplate");
      if (!job_template.IsMap()) return {};
      out.push_back({MetadataOf(job_template), "spec.jobTemplate.metadata"});
      spec.reset(Get(job_template, "spec"));
      where = "spec.jobTemplate.spec";
    }
    YAML::Node pod_template = Get(spec, "template");
    if (!pod_template.IsMap()) return out;
    out.push_back({MetadataOf(pod_template), absl::StrCat(where, ".template.metadata")});
    return out;
  }

  // Returns node.metadata, added as an empty map when missing or null.
  static YAML::Node MetadataOf(YAML::Node node) {
    YAML::Node metadata = Get(node, "metadata");
    if (metadata.IsDefined() && !metadata.IsNull()) return metadata;
    node["metadata"] = YAML::Node(YAML::NodeType::Map);
    return Get(node, "metadata");
  }

  absl::Status AddLabels(YAML::Node metadata, const std::string& where) {
    if (options_.labels.empty()) return absl::OkStatus();
    if (!metadata.IsMap()) {
      return ErrorAt(metadata, absl::StrCat(where, ": expected a map, got ", Describe(metadata)));
    }
    YAML::Node labels = Get(metadata, "labels");
    if (!labels.IsDefined() || labels.IsNull()) {
      metadata["labels"] = YAML::Node(YAML::NodeType::Map);
      labels.reset(Get(metadata, "labels"));
    }
    if (!labels.IsMap()) {
      return ErrorAt(labels, absl::StrCat(where, ".labels: expected a map, got ",
                                          Describe(labels)));
    }
    for (const auto& [key, value] : options_.labels) {
      YAML::Node existing = Get(labels, key);
      if (existing.IsDefined()) {
        existing = StringNode(value);  // assigns in place, keeping the key's place
      } else {
        labels[StringNode(key)] = StringNode(value);
      }
    }
    return absl::OkStatus();
  }

  void ReplaceImages(YAML::Node pod_spec) {
    if (options_.images.empty()) return;
    for (const char* list : {"initContainers", "containers"}) {
      const YAML::Node containers = Get(pod_spec, list);
      if (!containers.IsSequence()) continue;
      for (YAML::Node container : containers) {
        YAML::Node image = Get(container, "image");
        if (!image.IsScalar()) continue;
        auto it = options_.images.find(ParseImageReference(image.Scalar()).name);
        if (it != options_.images.end()) image = StringNode(it->second);
      }
    }
  }

  const RenderOptions& options_;
  std::string path_;
  std::string namespace_;  // of the source being read
  int64_t budget_ = kMaxValues;
  std::vector<std::string> documents_;
  Rendered rendered_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const ObjectRef& ref) {
  os << ref.kind << " " << ref.name << " (" << ref.api_version;
  if (!ref.namespace_name.empty()) os << ", namespace " << ref.namespace_name;
  return os << ")";
}

std::ostream& operator<<(std::ostream& os, const ImageReference& ref) {
  return os << "{name \"" << ref.name << "\", tag \"" << ref.tag << "\", digest \"" << ref.digest
            << "\"}";
}

ImageReference ParseImageReference(absl::string_view reference) {
  ImageReference out;
  const size_t at = reference.find('@');
  if (at != absl::string_view::npos) {
    out.digest = std::string(reference.substr(at + 1));
    reference = reference.substr(0, at);
  }
  const size_t colon = reference.rfind(':');
  const size_t slash = reference.rfind('/');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    out.tag = std::string(reference.substr(colon + 1));
    reference = reference.substr(0, colon);
  }
  out.name = std::string(reference);
  return out;
}

bool IsWorkloadKind(const std::string& kind) {
  return kind == "Pod" || kind == "Deployment" || kind == "ReplicaSet" ||
         kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job" || kind == "CronJob";
}

absl::StatusOr<std::vector<ManifestSource>> ReadManifests(const std::vector<std::string>& globs,
                                                          const std::string& base_dir) {
  std::vector<ManifestSource> sources;
  std::set<std::string> seen;  // absolute paths already read
  for (const std::string& written : globs) {
    const bool absolute = absl::StartsWith(written, "/");
    const std::string root = absolute ? "/" : domain::CleanPath(base_dir);
    std::string pattern = domain::CleanPath(written);
    if (absolute) pattern = pattern.substr(1);
    const std::string where = absolute ? std::string() : absl::StrCat(" in ", root);
    std::vector<std::string> matched;
    if (!domain::HasGlobMeta(pattern)) {
      if (IsRegularFile(fs::path(root) / pattern)) matched.push_back(pattern);
    } else {
      absl::StatusOr<domain::Glob> glob = domain::Glob::Compile(pattern);
      if (!glob.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("manifests glob \"", written,
                                                       "\" is malformed: ",
                                                       glob.status().message()));
      }
      // Without "**", nothing deeper than the pattern's own depth can match.
      const int depth = static_cast<int>(domain::SplitPath(pattern).size()) -
                        static_cast<int>(domain::SplitPath(glob->literal_prefix()).size());
      matched = MatchFiles(root, *glob, absl::StrContains(pattern, "**") ? -1 : depth);
    }
    if (matched.empty()) {
      return absl::NotFoundError(absl::StrCat("manifests glob \"", written, "\" matches no file",
                                              where, " (an empty deploy is never what was "
                                              "meant: fix the glob or remove it)"));
    }
    for (const std::string& rel : matched) {
      const std::string full = domain::ResolvePath(root, rel);
      if (!seen.insert(full).second) continue;
      const std::string shown = absolute ? full : rel;
      absl::StatusOr<std::string> text = ReadFile(full, shown);
      if (!text.ok()) return text.status();
      sources.push_back({shown, *std::move(text)});
    }
  }
  return sources;
}

absl::StatusOr<Rendered> Render(const std::vector<ManifestSource>& sources,
                                const RenderOptions& options) {
  Renderer renderer(options);
  for (const ManifestSource& source : sources) {
    try {
      absl::Status s = renderer.Source(source);
      if (!s.ok()) return s;
    } catch (const std::exception& e) {
      // yaml-cpp throws on trees we did not foresee; never let it escape.
      return absl::InvalidArgumentError(
          absl::StrCat(source.path, ": cannot read the manifests: ", e.what()));
    }
  }
  return renderer.Take();
}

}  // namespace devloop::deploy::kubectl
