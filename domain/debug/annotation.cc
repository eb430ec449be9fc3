#include "domain/debug/annotation.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace devloop::debug {
namespace {

// Appends `s` as a JSON string the way Go's encoding/json writes it: HTML
// characters and U+2028/U+2029 escaped too, so the annotation's bytes match.
void AppendJsonString(std::string& out, absl::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&':
        absl::StrAppendFormat(&out, "\\u%04x", c);
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else if (c == 0xE2 && absl::StartsWith(s.substr(i), "\xE2\x80\xA8")) {
          out += "\\u2028";  // LINE SEPARATOR
          i += 2;
        } else if (c == 0xE2 && absl::StartsWith(s.substr(i), "\xE2\x80\xA9")) {
          out += "\\u2029";  // PARAGRAPH SEPARATOR
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendField(std::string& out, bool& first, absl::string_view key) {
  if (!first) out += ',';
  first = false;
  AppendJsonString(out, key);
  out += ':';
}

void AppendConfig(std::string& out, const ContainerDebugConfig& c) {
  out += '{';
  bool first = true;
  const std::pair<absl::string_view, const std::string*> fields[] = {
      {"artifact", &c.artifact}, {"runtime", &c.runtime}, {"workingDir", &c.working_dir}};
  for (const auto& [key, value] : fields) {
    if (value->empty()) continue;
    AppendField(out, first, key);
    AppendJsonString(out, *value);
  }
  if (!c.ports.empty()) {
    AppendField(out, first, "ports");
    out += '{';
    bool first_port = true;
    for (const auto& [name, port] : c.ports) {
      AppendField(out, first_port, name);
      absl::StrAppend(&out, port);
    }
    out += '}';
  }
  out += '}';
}

// A reader of the JSON subset the annotation needs: objects, strings,
// integers, and (skipped) anything else a writer might add.
class JsonReader {
 public:
  explicit JsonReader(absl::string_view text) : text_(text) {}

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("debug annotation ", kDebugConfigAnnotation, ": ", what, " at byte ", pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && absl::string_view(" \t\r\n").find(text_[pos_]) !=
                                      absl::string_view::npos) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }

  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  absl::StatusOr<std::string> String() {
    if (!Consume('"')) return Error("expected a string");
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          uint32_t code = 0;
          if (pos_ + 4 > text_.size() ||
              !absl::SimpleHexAtoi(text_.substr(pos_, 4), &code)) {
            return Error("bad \\u escape");
          }
          pos_ += 4;
          AppendUtf8(out, code);
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
    if (pos_ == text_.size()) return Error("unterminated string");
    ++pos_;
    return out;
  }

  absl::StatusOr<uint32_t> Port() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) ++pos_;
    uint32_t port = 0;
    if (!absl::SimpleAtoi(text_.substr(start, pos_ - start), &port) || port == 0 ||
        port > 65535) {
      pos_ = start;
      return Error("expected a port number in [1, 65535]");
    }
    return port;
  }

  // Skips one value of any type.
  absl::Status Skip() {
    char c = Peek();
    if (c == '"') return String().status();
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      if (Consume(close)) return absl::OkStatus();
      do {
        if (close == '}') {
          if (absl::Status s = String().status(); !s.ok()) return s;
          if (!Consume(':')) return Error("expected ':'");
        }
        if (absl::Status s = Skip(); !s.ok()) return s;
      } while (Consume(','));
      return Consume(close) ? absl::OkStatus() : Error("expected ',' or a closing bracket");
    }
    size_t start = pos_;
    while (pos_ < text_.size() &&
           absl::string_view(",}] \t\r\n").find(text_[pos_]) == absl::string_view::npos) {
      ++pos_;
    }
    return pos_ > start ? absl::OkStatus() : Error("expected a value");
  }

 private:
  static void AppendUtf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// Reads `{ "key": <value>, ... }`, calling `field(key)` to read each value.
template <typename Field>
absl::Status ReadObject(JsonReader& r, Field field) {
  if (!r.Consume('{')) return r.Error("expected '{'");
  if (r.Consume('}')) return absl::OkStatus();
  do {
    absl::StatusOr<std::string> key = r.String();
    if (!key.ok()) return key.status();
    if (!r.Consume(':')) return r.Error("expected ':'");
    if (absl::Status s = field(*key); !s.ok()) return s;
  } while (r.Consume(','));
  return r.Consume('}') ? absl::OkStatus() : r.Error("expected ',' or '}'");
}

absl::Status ReadConfig(JsonReader& r, ContainerDebugConfig& config) {
  return ReadObject(r, [&](const std::string& key) -> absl::Status {
    std::string* text = key == "artifact"     ? &config.artifact
                        : key == "runtime"    ? &config.runtime
                        : key == "workingDir" ? &config.working_dir
                                              : nullptr;
    if (text != nullptr) {
      absl::StatusOr<std::string> value = r.String();
      if (!value.ok()) return value.status();
      *text = *std::move(value);
      return absl::OkStatus();
    }
    if (key != "ports") return r.Skip();
    return ReadObject(r, [&](const std::string& name) -> absl::Status {
      absl::StatusOr<uint32_t> port = r.Port();
      if (!port.ok()) return port.status();
      config.ports[name] = *port;
      return absl::OkStatus();
    });
  });
}

std::ostream& PrintPorts(std::ostream& os, const std::map<std::string, uint32_t>& ports) {
  os << "{";
  bool first = true;
  for (const auto& [name, port] : ports) {
    os << (first ? "" : ", ") << name << ":" << port;
    first = false;
  }
  return os << "}";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const ContainerDebugConfig& c) {
  os << "ContainerDebugConfig{artifact=" << c.artifact << ", runtime=" << c.runtime
     << ", working_dir=" << c.working_dir << ", ports=";
  return PrintPorts(os, c.ports) << "}";
}

ContainerDebugConfig DebugConfigFor(const ContainerSpec& spec, const DebugTransform& transform) {
  ContainerDebugConfig config;
  config.artifact = spec.artifact;
  config.runtime = std::string(RuntimeName(transform.runtime));
  config.working_dir = transform.working_dir;
  for (const DebugPort& p : transform.ports) config.ports[p.name] = p.port;
  return config;
}

std::string EncodeDebugConfig(const std::map<std::string, ContainerDebugConfig>& by_container) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, config] : by_container) {
    AppendField(out, first, name);
    AppendConfig(out, config);
  }
  out += '}';
  return out;
}

absl::StatusOr<std::map<std::string, ContainerDebugConfig>> ParseDebugConfig(
    absl::string_view json) {
  JsonReader r(json);
  std::map<std::string, ContainerDebugConfig> out;
  absl::Status status = ReadObject(r, [&](const std::string& container) {
    return ReadConfig(r, out[container]);
  });
  if (!status.ok()) return status;
  if (!r.AtEnd()) return r.Error("unexpected text after the object");
  return out;
}

absl::string_view DebugStatusName(DebugStatus status) {
  switch (status) {
    case DebugStatus::kStarted:
      return "Started";
    case DebugStatus::kTerminated:
      return "Terminated";
  }
  return "Unknown";
}

std::ostream& operator<<(std::ostream& os, DebugStatus status) {
  return os << DebugStatusName(status);
}

std::ostream& operator<<(std::ostream& os, const DebuggingContainer& c) {
  os << "DebuggingContainer{" << c.status << ", pod=" << c.pod_name
     << ", container=" << c.container_name << ", namespace=" << c.namespace_name
     << ", artifact=" << c.artifact << ", runtime=" << c.runtime
     << ", working_dir=" << c.working_dir << ", ports=";
  return PrintPorts(os, c.debug_ports) << "}";
}

DebuggingContainer MakeDebuggingContainer(DebugStatus status, absl::string_view pod,
                                          absl::string_view namespace_name,
                                          absl::string_view container,
                                          const ContainerDebugConfig& config) {
  DebuggingContainer c;
  c.status = status;
  c.pod_name = std::string(pod);
  c.container_name = std::string(container);
  c.namespace_name = std::string(namespace_name);
  c.artifact = config.artifact;
  c.runtime = config.runtime;
  c.working_dir = config.working_dir;
  c.debug_ports = config.ports;
  return c;
}

}  // namespace devloop::debug
