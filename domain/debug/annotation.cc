#include "domain/debug/annotation.h"

#include <utility>

#include "absl/strings/match.h"
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
