#include "infra/config/yaml_util.h"

#include <set>
#include <sstream>

#include "yaml-cpp/eventhandler.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace devloop::config::internal {

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar: {
      std::string s = node.Scalar();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return absl::StrCat("\"", s, "\"");
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
  }
  return "something else";
}

SourcePos PosOf(const std::string& file, const YAML::Node& node) {
  SourcePos pos{file, 0, 0};
  try {
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) {
      pos.line = mark.line + 1;
      pos.column = mark.column + 1;
    }
  } catch (const std::exception&) {
    // An invalid node has no place; the file alone is still useful.
  }
  return pos;
}

YAML::Node Child(const YAML::Node& map, const std::string& key) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

namespace {

// Sees only where documents start; everything else is ignored.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark last = YAML::Mark::null_mark();
};

}  // namespace

std::optional<std::vector<YAML::Node>> LoadDocuments(const std::string& text,
                                                     const std::string& file,
                                                     std::vector<ConfigError>* errors) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    YAML::Mark previous = YAML::Mark::null_mark();
    while (parser.HandleNextDocument(starts)) {
      if (!previous.is_null() && starts.last.pos == previous.pos) {
        // No progress: yaml-cpp would return this empty document forever.
        const char c = starts.last.pos >= 0 && starts.last.pos < static_cast<int>(text.size())
                           ? text[starts.last.pos]
                           : ' ';
        errors->push_back({{file, starts.last.line + 1, starts.last.column + 1},
                           absl::StrCat("invalid YAML: unexpected \"", std::string(1, c),
                                        "\" (expected a key, a value or a list item)")});
        return std::nullopt;
      }
      previous = starts.last;
    }
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    SourcePos pos{file, 0, 0};
    if (!e.mark.is_null()) pos = {file, e.mark.line + 1, e.mark.column + 1};
    errors->push_back({pos, absl::StrCat("invalid YAML: ", e.msg)});
  } catch (const std::exception& e) {
    errors->push_back({{file, 0, 0}, absl::StrCat("invalid YAML: ", e.what())});
  }
  return std::nullopt;
}

std::string Sub(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
}

void Walker::Error(const YAML::Node& node, std::string message) {
  ErrorAt(Pos(node), std::move(message));
}

void Walker::ErrorAt(const SourcePos& pos, std::string message) {
  errors_->push_back(ConfigError{pos, std::move(message)});
}

bool Walker::Budget(const YAML::Node& node) {
  if (--budget_ >= 0) return true;
  if (!over_budget_reported_) {
    over_budget_reported_ = true;
    Error(node, "the config expands to more than a million values (check anchors and aliases)");
  }
  return false;
}

bool Walker::Fields(const YAML::Node& node, const std::string& path,
                    const std::vector<std::string>& known, const std::vector<Refused>& refused) {
  if (!Budget(node)) return false;
  if (node.IsNull() || !node.IsDefined()) return true;
  if (!node.IsMap()) {
    Error(node, absl::StrCat(path.empty() ? "the document" : path, ": expected a map, got ",
                             Describe(node)));
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy: the iterator's `->` yields a temporary, so a reference would dangle.
    const YAML::Node key_node = it->first;
    if (!key_node.IsScalar()) {
      Error(key_node, absl::StrCat("expected a field name in ", path.empty() ? "the document" : path,
                                   ", got ", Describe(key_node)));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string where = path.empty() ? "the document" : path;
    if (!seen.insert(key).second) {
      Error(key_node, absl::StrCat("duplicate field \"", key, "\" in ", where));
      continue;
    }
    bool handled = false;
    for (const std::string& k : known) handled = handled || k == key;
    if (handled) continue;
    for (const Refused& r : refused) {
      if (key == r.key) {
        Error(key_node, absl::StrCat(Sub(path, key), ": ", r.reason));
        handled = true;
        break;
      }
    }
    if (handled) continue;
    std::vector<std::string> candidates = known;
    for (const Refused& r : refused) candidates.push_back(r.key);
    const std::string suggestion = ClosestName(key, candidates);
    std::string message = absl::StrCat("unknown field \"", key, "\" in ", where);
    if (!suggestion.empty()) {
      absl::StrAppend(&message, " (did you mean \"", suggestion, "\"?)");
    } else {
      absl::StrAppend(&message, " (expected one of: ", absl::StrJoin(known, ", "), ")");
    }
    Error(key_node, std::move(message));
  }
  return true;
}

std::optional<std::string> Walker::Scalar(const YAML::Node& node, const std::string& path) {
  if (!Budget(node)) return std::nullopt;
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return std::string();
  Error(node, absl::StrCat(path, ": expected a string, got ", Describe(node)));
  return std::nullopt;
}

bool Walker::String(const YAML::Node& map, const std::string& key, const std::string& path,
                    std::string* out) {
  YAML::Node v = Child(map, key);
  if (!v.IsDefined()) return false;
  if (v.IsNull()) return true;  // `key:` with no value keeps the default
  if (std::optional<std::string> s = Scalar(v, Sub(path, key))) *out = *std::move(s);
  return true;
}

bool Walker::OptBool(const YAML::Node& map, const std::string& key, const std::string& path,
                     std::optional<bool>* out) {
  YAML::Node v = Child(map, key);
  if (!v.IsDefined()) return false;
  if (v.IsNull()) return true;
  if (!Budget(v)) return true;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      *out = true;
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      *out = false;
      return true;
    }
  }
  Error(v, absl::StrCat(Sub(path, key), ": expected true or false, got ", Describe(v)));
  return true;
}

bool Walker::Bool(const YAML::Node& map, const std::string& key, const std::string& path,
                  bool* out) {
  std::optional<bool> value;
  const bool present = OptBool(map, key, path, &value);
  if (value) *out = *value;
  return present;
}

bool Walker::OptInt(const YAML::Node& map, const std::string& key, const std::string& path,
                    std::optional<int>* out) {
  YAML::Node v = Child(map, key);
  if (!v.IsDefined()) return false;
  if (v.IsNull()) return true;
  if (!Budget(v)) return true;
  int value = 0;
  if (v.IsScalar() && absl::SimpleAtoi(v.Scalar(), &value)) {
    *out = value;
    return true;
  }
  Error(v, absl::StrCat(Sub(path, key), ": expected an integer, got ", Describe(v)));
  return true;
}

bool Walker::Int(const YAML::Node& map, const std::string& key, const std::string& path,
                 int* out) {
  std::optional<int> value;
  const bool present = OptInt(map, key, path, &value);
  if (value) *out = *value;
  return present;
}

bool Walker::StringList(const YAML::Node& map, const std::string& key, const std::string& path,
                        std::vector<std::string>* out) {
  YAML::Node v = Child(map, key);
  if (!v.IsDefined()) return false;
  if (v.IsNull()) return true;
  if (!v.IsSequence()) {
    Error(v, absl::StrCat(Sub(path, key), ": expected a list of strings, got ", Describe(v)));
    return true;
  }
  out->clear();
  size_t i = 0;
  for (const YAML::Node& item : v) {
    if (std::optional<std::string> s = Scalar(item, absl::StrCat(Sub(path, key), "[", i, "]"))) {
      out->push_back(*std::move(s));
    }
    ++i;
  }
  return true;
}

void Walker::Missing(const YAML::Node& map, const std::string& key, const std::string& path) {
  Error(map, absl::StrCat("missing required field \"", key, "\" in ",
                          path.empty() ? "the document" : path));
}

}  // namespace devloop::config::internal
