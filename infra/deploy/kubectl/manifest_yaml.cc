#include "infra/deploy/kubectl/manifest_yaml.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace devloop::deploy::kubectl::internal {
namespace {

// YAML 1.1 words that a plain scalar would turn into a bool or null; kubectl's
// YAML reader still speaks 1.1.
bool IsReservedWord(absl::string_view s) {
  static const auto* kWords = new std::set<std::string>{
      "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"};
  return kWords->contains(absl::AsciiStrToLower(s));
}

// Whether `s` reads back as the same string when written plain: conservative
// (letters first, a small alphabet, no reserved word), so numbers, times and
// anything a YAML 1.1 reader could resolve to another type get quoted.
bool IsSafePlain(absl::string_view s) {
  if (s.empty() || !(absl::ascii_isalpha(s[0]) || s[0] == '/')) return false;
  if (s.back() == ':' || IsReservedWord(s)) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("._/:@+-", c)) return false;
  }
  return true;
}

// Whether yaml-cpp's literal block ("|", which always keeps exactly one final
// newline) writes `s` so that it reads back unchanged.
bool FitsLiteralBlock(absl::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s[0] == ' ' || s[0] == '\t' || absl::StrContains(s, '\r')) return false;
  for (absl::string_view line : absl::StrSplit(s.substr(0, s.size() - 1), '\n')) {
    // A line of blanks only would lose them (they read as indentation).
    if (!line.empty() && line.find_first_not_of(" \t") == absl::string_view::npos) return false;
  }
  return true;
}

}  // namespace

YAML::Node Get(const YAML::Node& map, absl::string_view key) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string ScalarOrEmpty(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : std::string();
}

YAML::Node StringNode(const std::string& value) {
  YAML::Node node(value);
  node.SetTag("!");
  return node;
}

absl::Status DocumentWriter::Write(YAML::Emitter& out, const YAML::Node& node, bool is_key) {
  if (--*budget_ < 0) {
    return absl::InvalidArgumentError(
        "the manifests expand to more than a million values (check anchors and aliases)");
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      return absl::OkStatus();
    case YAML::NodeType::Scalar:
      WriteScalar(out, node, is_key);
      return absl::OkStatus();
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const YAML::Node& item : node) {
        absl::Status s = Write(out, item);
        if (!s.ok()) return s;
      }
      out << YAML::EndSeq;
      return absl::OkStatus();
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (auto it = node.begin(); it != node.end(); ++it) {
        out << YAML::Key;
        absl::Status s = Write(out, it->first, /*is_key=*/true);
        if (!s.ok()) return s;
        out << YAML::Value;
        s = Write(out, it->second);
        if (!s.ok()) return s;
      }
      out << YAML::EndMap;
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

void DocumentWriter::WriteScalar(YAML::Emitter& out, const YAML::Node& node, bool is_key) {
  const std::string& tag = node.Tag();
  const std::string& value = node.Scalar();
  if (tag == "?") {
    out << value;  // plain in the source: let the reader resolve it as before
    return;
  }
  const bool is_string = tag.empty() || tag == "!" || tag == "tag:yaml.org,2002:str";
  if (!is_string) {
    // Another explicit tag (!!int, !Custom): keep it with the plain text.
    if (absl::StartsWith(tag, "!") && tag.size() > 1) {
      out << YAML::LocalTag(tag.substr(1));
    } else {
      out << YAML::VerbatimTag(tag);
    }
    out << value;
    return;
  }
  if (IsSafePlain(value)) {
    out << value;
  } else if (!is_key && FitsLiteralBlock(value)) {
    // Without its final newline: the block's default chomping adds it back.
    out << YAML::Literal << value.substr(0, value.size() - 1);
  } else {
    out << YAML::DoubleQuoted << value;
  }
}

}  // namespace devloop::deploy::kubectl::internal
