#include "domain/events/event.h"

#include "absl/strings/str_cat.h"

namespace devloop::domain {
namespace {

void PrintErr(std::ostream& os, const std::optional<ActionableErr>& e) {
  if (e.has_value()) os << " err=" << *e;
}

struct Printer {
  std::ostream& os;
  void operator()(const NoEvent&) { os << "{}"; }
  void operator()(const MetaEvent& e) { os << "{entry=\"" << e.entry << "\"}"; }
  void operator()(const BuildEvent& e) {
    os << "{artifact=" << e.artifact << " status=\"" << e.status << "\"";
    if (!e.err.empty()) os << " err=\"" << e.err << "\"";
    if (e.err_code != StatusCode::kOk) os << " code=" << e.err_code;
    PrintErr(os, e.actionable_err);
    os << "}";
  }
  void operator()(const DeployEvent& e) {
    os << "{status=\"" << e.status << "\"";
    if (e.err_code != StatusCode::kOk) os << " code=" << e.err_code;
    PrintErr(os, e.actionable_err);
    os << "}";
  }
  void operator()(const PortEvent& e) {
    os << "{local=" << e.address << ":" << e.local_port << " remote=" << e.remote_port << " "
       << e.resource_type << "/" << e.resource_name << "}";
  }
  void operator()(const StatusCheckEvent& e) {
    os << "{status=\"" << e.status << "\" message=\"" << e.message << "\"";
    if (e.err_code != StatusCode::kOk) os << " code=" << e.err_code;
    os << "}";
  }
  void operator()(const ResourceStatusCheckEvent& e) {
    os << "{resource=" << e.resource << " status=\"" << e.status << "\" message=\"" << e.message
       << "\"";
    if (e.status_code != StatusCode::kOk) os << " code=" << e.status_code;
    os << "}";
  }
  void operator()(const FileSyncEvent& e) {
    os << "{image=" << e.image << " files=" << e.file_count << " status=\"" << e.status << "\"";
    if (e.err_code != StatusCode::kOk) os << " code=" << e.err_code;
    os << "}";
  }
  void operator()(const DebuggingContainerEvent& e) {
    os << "{status=\"" << e.status << "\" container=" << e.container_name << "}";
  }
  void operator()(const DevLoopEvent& e) {
    os << "{iteration=" << e.iteration << " status=\"" << e.status << "\"";
    PrintErr(os, e.err);
    os << "}";
  }
  void operator()(const TerminationEvent& e) {
    os << "{status=\"" << e.status << "\"";
    PrintErr(os, e.err);
    os << "}";
  }
  void operator()(const TestEvent& e) { os << "{status=\"" << e.status << "\"}"; }
};

struct KindName {
  absl::string_view operator()(const NoEvent&) { return ""; }
  absl::string_view operator()(const MetaEvent&) { return "metaEvent"; }
  absl::string_view operator()(const BuildEvent&) { return "buildEvent"; }
  absl::string_view operator()(const DeployEvent&) { return "deployEvent"; }
  absl::string_view operator()(const PortEvent&) { return "portEvent"; }
  absl::string_view operator()(const StatusCheckEvent&) { return "statusCheckEvent"; }
  absl::string_view operator()(const ResourceStatusCheckEvent&) {
    return "resourceStatusCheckEvent";
  }
  absl::string_view operator()(const FileSyncEvent&) { return "fileSyncEvent"; }
  absl::string_view operator()(const DebuggingContainerEvent&) {
    return "debuggingContainerEvent";
  }
  absl::string_view operator()(const DevLoopEvent&) { return "devLoopEvent"; }
  absl::string_view operator()(const TerminationEvent&) { return "terminationEvent"; }
  absl::string_view operator()(const TestEvent&) { return "TestEvent"; }
};

}  // namespace

absl::string_view EventKindName(const Event& e) { return std::visit(KindName{}, e); }

std::ostream& operator<<(std::ostream& os, const ActionableErr& e) {
  return os << "{" << e.code << " \"" << e.message << "\"}";
}

std::ostream& operator<<(std::ostream& os, const Event& e) {
  absl::string_view kind = EventKindName(e);
  os << (kind.empty() ? "noEvent" : kind);
  std::visit(Printer{os}, e);
  return os;
}

std::ostream& operator<<(std::ostream& os, const LogEntry& e) {
  return os << "LogEntry{" << absl::FormatTime(absl::RFC3339_full, e.timestamp, absl::UTCTimeZone())
            << " " << e.event << " \"" << e.entry << "\"}";
}

}  // namespace devloop::domain
