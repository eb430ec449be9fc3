// The YAML reading and writing that the manifest passes share: Render
// (manifests.h) and the debug rewrite (debug_manifests.h) both change parsed
// documents in place and write them back so that every scalar reads back as
// the type it was (a quoted "true" stays a string for kubectl).
//
//   YAML::Node image = internal::Get(container, "image");   // never adds the key
//   if (image.IsDefined()) image = internal::StringNode("web:v2");
//   int64_t budget = 1'000'000;
//   YAML::Emitter out;
//   absl::Status s = internal::DocumentWriter(&budget).Write(out, object);
//
// Thread-compatible.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFEST_YAML_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFEST_YAML_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace devloop::deploy::kubectl::internal {

// Returns the value of `key` in a map node, or an undefined node. Never adds
// the key (a non-const operator[] would).
//
// Beware: assigning one YAML::Node to another (`a = b`) overwrites the node `a`
// refers to, in the tree; callers do that on purpose to replace a value, and
// use reset() to merely point a variable elsewhere.
YAML::Node Get(const YAML::Node& map, absl::string_view key);

// The node's text when it is a scalar; empty otherwise.
std::string ScalarOrEmpty(const YAML::Node& node);

// Returns a scalar node that DocumentWriter keeps a string.
YAML::Node StringNode(const std::string& value);

// Writes a parsed document back. yaml-cpp's own `emitter << node` writes a
// quoted "true" or "80" plain, turning strings into a bool or a number (an env
// value kubectl then refuses), so scalars are written here by what they were:
// plain ones (tag "?") plain, strings (quoted in the source, !!str, or made by
// StringNode) so that they stay strings.
class DocumentWriter {
 public:
  // `budget` counts down the values written: anchors and aliases can make a
  // small document expand enormously, and writing stops when it runs out.
  explicit DocumentWriter(int64_t* budget) : budget_(budget) {}

  // InvalidArgument when the budget runs out.
  absl::Status Write(YAML::Emitter& out, const YAML::Node& node, bool is_key = false);

 private:
  static void WriteScalar(YAML::Emitter& out, const YAML::Node& node, bool is_key);

  int64_t* budget_;
};

}  // namespace devloop::deploy::kubectl::internal

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_MANIFEST_YAML_H_
