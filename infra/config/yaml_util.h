// Helpers shared by infra/config's YAML code: positions, node kinds, and the
// schema walker that reports unknown, refused, duplicate and wrongly typed fields.
// Internal to infra/config, except LoadDocuments, which the kubectl deployer's
// manifest reader (infra/deploy/kubectl/manifests.h) uses as well, and the
// Walker, with which infra/tester reads container-structure-test files in the
// same error format as skaffold.yaml.
//
//   Walker w(file, &errors);
//   if (w.Fields(node, "build.local", {"push", "useBuildkit", "concurrency"}, {})) {
//     w.Bool(node, "push", "build.local", &local.push);
//   }
//
// Thread-compatible.
#ifndef DEVLOOP_INFRA_CONFIG_YAML_UTIL_H_
#define DEVLOOP_INFRA_CONFIG_YAML_UTIL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/config/config.h"
#include "domain/config/errors.h"
#include "yaml-cpp/yaml.h"

namespace devloop::config::internal {

// A field devloop recognises but does not implement, and why.
struct Refused {
  const char* key;
  const char* reason;  // e.g. "jib builds are not supported by devloop (supported: docker, custom)"
};

// Returns "a map", "a sequence", "a string \"x\"", or "nothing" for a node.
std::string Describe(const YAML::Node& node);

// Returns the 1-based position of `node` in `file` (line 0 when yaml-cpp has none).
SourcePos PosOf(const std::string& file, const YAML::Node& node);

// Returns the value of `key` in a map node, or an undefined node. Never throws.
YAML::Node Child(const YAML::Node& map, const std::string& key);

class Walker {
 public:
  Walker(std::string file, std::vector<ConfigError>* errors) : file_(std::move(file)), errors_(errors) {}

  const std::string& file() const { return file_; }
  SourcePos Pos(const YAML::Node& node) const { return PosOf(file_, node); }
  void Error(const YAML::Node& node, std::string message);
  void ErrorAt(const SourcePos& pos, std::string message);

  // Checks that `node` is a map (null counts as an empty one) whose keys are all
  // in `known` or `refused`; reports each other key with the closest known name,
  // each refused key with its reason, and duplicate keys. Returns false when
  // `node` is not a map (after reporting it).
  bool Fields(const YAML::Node& node, const std::string& path,
              const std::vector<std::string>& known, const std::vector<Refused>& refused);

  // Each reads map[key] into *out when present and well typed, reports a wrong
  // type, and returns true when the key was present (even if mistyped).
  bool String(const YAML::Node& map, const std::string& key, const std::string& path,
              std::string* out);
  bool Bool(const YAML::Node& map, const std::string& key, const std::string& path, bool* out);
  bool OptBool(const YAML::Node& map, const std::string& key, const std::string& path,
               std::optional<bool>* out);
  bool Int(const YAML::Node& map, const std::string& key, const std::string& path, int* out);
  bool OptInt(const YAML::Node& map, const std::string& key, const std::string& path,
              std::optional<int>* out);
  bool StringList(const YAML::Node& map, const std::string& key, const std::string& path,
                  std::vector<std::string>* out);

  // Reads a scalar node as a string; reports and returns nullopt otherwise.
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& path);

  // Reports `what` as missing from the map at `path`.
  void Missing(const YAML::Node& map, const std::string& key, const std::string& path);

  // Counts decoded values; false (once reported) when the document expands past
  // a sane size, as aliases can make a small file decode into billions of values.
  bool Budget(const YAML::Node& node);

 private:
  std::string file_;
  std::vector<ConfigError>* errors_;
  int64_t budget_ = 1'000'000;
  bool over_budget_reported_ = false;
};

// Parses every document of `text` like YAML::LoadAll, but first walks the event
// stream to stop where yaml-cpp 0.7 would loop forever (a stray "," at the start
// of a document makes LoadAll push empty documents until memory runs out;
// yaml-cpp issue 1040). Never throws. Errors are reported at their place in `file`.
std::optional<std::vector<YAML::Node>> LoadDocuments(const std::string& text,
                                                     const std::string& file,
                                                     std::vector<ConfigError>* errors);

// Returns `prefix` + "." + `key`, or `key` when prefix is empty.
std::string Sub(const std::string& prefix, const std::string& key);

}  // namespace devloop::config::internal

#endif  // DEVLOOP_INFRA_CONFIG_YAML_UTIL_H_
