// The events of a dev loop, as domain values: what happened, never how it is sent.
//
// Each type mirrors a message of the Skaffold v1 API (api/skaffold.proto) field
// by field, so the transports map them one-to-one; the domain itself depends on
// nothing but Abseil and the standard library. A LogEntry is one line of the event
// log: a time, an event and a human-readable `entry` text.
//
//   LogEntry e{.timestamp = now, .event = BuildEvent{.artifact = "web",
//              .status = std::string(kStatusInProgress)},
//              .entry = "Build started for artifact web"};
//
// Value types: thread-compatible.
#ifndef DEVLOOP_DOMAIN_EVENTS_EVENT_H_
#define DEVLOOP_DOMAIN_EVENTS_EVENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/events/status_code.h"

namespace devloop::domain {

// Status strings clients of Skaffold see (shared/api/skaffold-v1-contract.md).
inline constexpr absl::string_view kStatusNotStarted = "Not Started";
inline constexpr absl::string_view kStatusInProgress = "In Progress";
inline constexpr absl::string_view kStatusComplete = "Complete";
inline constexpr absl::string_view kStatusFailed = "Failed";
inline constexpr absl::string_view kStatusSucceeded = "Succeeded";
inline constexpr absl::string_view kStatusPending = "Pending";
inline constexpr absl::string_view kStatusCompleted = "Completed";  // termination
inline constexpr absl::string_view kStatusStarted = "Started";      // debugging
inline constexpr absl::string_view kStatusTerminated = "Terminated";

enum class BuilderType : int {
  kUnknown = 0, kJib = 1, kBazel = 2, kBuildpacks = 3, kCustom = 4, kKaniko = 5, kDocker = 6
};
enum class BuildType : int { kUnknown = 0, kCluster = 1, kGcb = 2, kLocal = 3 };
enum class TesterType : int { kUnknown = 0, kUnit = 1, kContainerStructureTest = 2 };
enum class DeployerType : int { kUnknown = 0, kHelm = 1, kKustomize = 2, kKubectl = 3 };
enum class ClusterType : int { kUnknown = 0, kMinikube = 1, kGke = 2, kOther = 3 };

struct Suggestion {
  SuggestionCode code = SuggestionCode::kNil;
  std::string action;
  bool operator==(const Suggestion&) const = default;
};

struct ActionableErr {
  StatusCode code = StatusCode::kOk;
  std::string message;
  std::vector<Suggestion> suggestions;
  bool operator==(const ActionableErr&) const = default;
};

struct BuildMetadata {
  struct ImageBuilder {
    BuilderType type = BuilderType::kUnknown;
    int32_t count = 0;
    bool operator==(const ImageBuilder&) const = default;
  };
  int32_t number_of_artifacts = 0;
  std::vector<ImageBuilder> builders;
  BuildType type = BuildType::kUnknown;
  std::map<std::string, std::string> additional;
  bool operator==(const BuildMetadata&) const = default;
};

struct DeployMetadata {
  struct Deployer {
    DeployerType type = DeployerType::kUnknown;
    int32_t count = 0;
    bool operator==(const Deployer&) const = default;
  };
  std::vector<Deployer> deployers;
  ClusterType cluster = ClusterType::kUnknown;
  bool operator==(const DeployMetadata&) const = default;
};

struct TestMetadata {
  struct Tester {
    TesterType type = TesterType::kUnknown;
    int32_t count = 0;
    bool operator==(const Tester&) const = default;
  };
  std::vector<Tester> testers;
  bool operator==(const TestMetadata&) const = default;
};

// Unset sub-messages are std::nullopt (they render as null on the wire).
struct Metadata {
  std::optional<BuildMetadata> build;
  std::optional<DeployMetadata> deploy;
  std::optional<TestMetadata> test;
  std::map<std::string, std::string> additional;
  bool operator==(const Metadata&) const = default;
};

struct MetaEvent {
  std::string entry;
  std::optional<Metadata> metadata;
  bool operator==(const MetaEvent&) const = default;
};

struct BuildEvent {
  std::string artifact;
  std::string status;
  std::string err;
  StatusCode err_code = StatusCode::kOk;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const BuildEvent&) const = default;
};

struct DeployEvent {
  std::string status;
  std::string err;
  StatusCode err_code = StatusCode::kOk;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const DeployEvent&) const = default;
};

struct IntOrString {
  int32_t type = 0;  // 0: int_val, 1: str_val
  int32_t int_val = 0;
  std::string str_val;
  bool operator==(const IntOrString&) const = default;
};

struct PortEvent {
  int32_t local_port = 0;
  int32_t remote_port = 0;
  std::string pod_name;
  std::string container_name;
  std::string namespace_;
  std::string port_name;
  std::string resource_type;
  std::string resource_name;
  std::string address;
  std::optional<IntOrString> target_port;
  bool operator==(const PortEvent&) const = default;
};

struct StatusCheckEvent {
  std::string status;
  std::string message;
  std::string err;
  StatusCode err_code = StatusCode::kOk;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const StatusCheckEvent&) const = default;
};

struct ResourceStatusCheckEvent {
  std::string resource;
  std::string status;
  std::string message;
  std::string err;
  StatusCode status_code = StatusCode::kOk;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const ResourceStatusCheckEvent&) const = default;
};

struct FileSyncEvent {
  int32_t file_count = 0;
  std::string image;
  std::string status;
  std::string err;
  StatusCode err_code = StatusCode::kOk;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const FileSyncEvent&) const = default;
};

struct DebuggingContainerEvent {
  std::string status;
  std::string pod_name;
  std::string container_name;
  std::string namespace_;
  std::string artifact;
  std::string runtime;
  std::string working_dir;
  std::map<std::string, uint32_t> debug_ports;
  bool operator==(const DebuggingContainerEvent&) const = default;
};

struct DevLoopEvent {
  int32_t iteration = 0;
  std::string status;
  std::optional<ActionableErr> err;
  bool operator==(const DevLoopEvent&) const = default;
};

struct TerminationEvent {
  std::string status;
  std::optional<ActionableErr> err;
  bool operator==(const TerminationEvent&) const = default;
};

struct TestEvent {
  std::string status;
  std::optional<ActionableErr> actionable_err;
  bool operator==(const TestEvent&) const = default;
};

// No event set (an Event message whose oneof is empty, as Handle may receive).
struct NoEvent {
  bool operator==(const NoEvent&) const = default;
};

// One alternative per member of proto.Event's oneof, in field-number order.
using Event = std::variant<NoEvent, MetaEvent, BuildEvent, DeployEvent, PortEvent,
                           StatusCheckEvent, ResourceStatusCheckEvent, FileSyncEvent,
                           DebuggingContainerEvent, DevLoopEvent, TerminationEvent, TestEvent>;

struct LogEntry {
  absl::Time timestamp = absl::UnixEpoch();
  Event event;
  std::string entry;
  bool operator==(const LogEntry&) const = default;
};

// Printers, so a failing test shows values.
std::ostream& operator<<(std::ostream& os, const ActionableErr& e);
std::ostream& operator<<(std::ostream& os, const Event& e);
std::ostream& operator<<(std::ostream& os, const LogEntry& e);

// Returns the name of the event's kind as in proto.Event's oneof ("buildEvent").
absl::string_view EventKindName(const Event& e);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_EVENTS_EVENT_H_
