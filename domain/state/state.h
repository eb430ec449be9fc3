// The State snapshot of a dev loop and the reducer that folds the event log into it.
//
// State mirrors proto.State (what GetState and GET /v1/state return). It is never
// set directly: every change is a Record folded by Apply(), so replaying the log
// from the start reproduces the same State. Most records are the LogEntries that
// clients see on the Events stream; control changes that have no event of their
// own on the wire (a trigger toggled, phases reset by an Execute intent, the
// pipeline's initial shape) are records too, kept in the log but not streamed.
//
//   State state;
//   for (const Record& r : log) Apply(r, &state);
//
// Value types and free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_STATE_STATE_H_
#define DEVLOOP_DOMAIN_STATE_STATE_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "domain/events/event.h"

namespace devloop::domain {

struct BuildState {
  std::map<std::string, std::string> artifacts;  // image -> status
  bool auto_trigger = false;
  StatusCode status_code = StatusCode::kOk;
  bool operator==(const BuildState&) const = default;
};

struct DeployState {
  std::string status;
  bool auto_trigger = false;
  StatusCode status_code = StatusCode::kOk;
  bool operator==(const DeployState&) const = default;
};

struct StatusCheckState {
  std::string status;
  std::map<std::string, std::string> resources;  // resource -> status
  StatusCode status_code = StatusCode::kOk;
  bool operator==(const StatusCheckState&) const = default;
};

struct FileSyncState {
  std::string status;
  bool auto_trigger = false;
  bool operator==(const FileSyncState&) const = default;
};

struct TestState {
  std::string status;
  StatusCode status_code = StatusCode::kOk;
  bool operator==(const TestState&) const = default;
};

struct State {
  BuildState build_state;
  DeployState deploy_state;
  std::map<int32_t, PortEvent> forwarded_ports;  // keyed by local port
  StatusCheckState status_check_state;
  FileSyncState file_sync_state;
  std::vector<DebuggingContainerEvent> debugging_containers;
  Metadata metadata;
  TestState test_state;
  bool operator==(const State&) const = default;
};

enum class Phase { kBuild, kSync, kDeploy };

// The pipeline's shape at start-up: every phase "Not Started", these artifacts,
// these auto triggers. The first record of a log.
struct PipelineStarted {
  std::vector<std::string> artifacts;
  bool auto_build = true;
  bool auto_sync = true;
  bool auto_deploy = true;
  Metadata metadata;
  bool operator==(const PipelineStarted&) const = default;
};

// An auto trigger turned on or off (AutoBuild / AutoSync / AutoDeploy).
struct TriggerChanged {
  Phase phase = Phase::kBuild;
  bool enabled = false;
  bool operator==(const TriggerChanged&) const = default;
};

// An Execute intent resets the phases it runs to "Not Started" before they run.
struct PhasesReset {
  bool build = false;
  bool sync = false;
  bool deploy = false;
  bool operator==(const PhasesReset&) const = default;
};

// One record of the event log. Only LogEntry records are streamed to clients.
using Record = std::variant<LogEntry, PipelineStarted, TriggerChanged, PhasesReset>;

// Folds `record` into `*state`. Total: every record is accepted; an event that
// names something the state does not know (an artifact not in the pipeline)
// adds it, as a custom event sent through Handle may.
void Apply(const Record& record, State* state);

// Returns the State that replaying `records` from an empty State produces.
State Replay(const std::vector<Record>& records);

std::ostream& operator<<(std::ostream& os, Phase phase);
std::ostream& operator<<(std::ostream& os, const State& state);
std::ostream& operator<<(std::ostream& os, const Record& record);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_STATE_STATE_H_
