#include "infra/apimap/record_line.h"

#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/event_log.pb.h"
#include "api/json.h"
#include "domain/base/status_macros.h"
#include "infra/apimap/apimap.h"

namespace devloop::apimap {
namespace {

namespace d = ::devloop::domain;
namespace wire = ::devloop::eventlog;

wire::Phase PhaseToProto(d::Phase phase) {
  switch (phase) {
    case d::Phase::kBuild:
      return wire::BUILD;
    case d::Phase::kSync:
      return wire::SYNC;
    case d::Phase::kDeploy:
      return wire::DEPLOY;
  }
  return wire::UNKNOWN_PHASE;
}

absl::StatusOr<d::Phase> PhaseFromProto(int phase) {
  switch (phase) {
    case wire::BUILD:
      return d::Phase::kBuild;
    case wire::SYNC:
      return d::Phase::kSync;
    case wire::DEPLOY:
      return d::Phase::kDeploy;
    default:
      // An unknown name reads as UNKNOWN_PHASE (unknown values are ignored).
      return absl::InvalidArgumentError(absl::StrCat(
          "devloopRecord.triggerChanged.phase: missing or unknown (", phase,
          "); want BUILD, SYNC or DEPLOY"));
  }
}

// The records that are not streamed, as the lines that carry them.
struct ControlToProto {
  wire::DevloopRecord* out;

  void operator()(const d::LogEntry&) {}  // not a control record; see AppendEventLogLine
  void operator()(const d::PipelineStarted& p) {
    wire::PipelineStarted* m = out->mutable_pipelinestarted();
    for (const std::string& artifact : p.artifacts) m->add_artifacts(artifact);
    m->set_autobuild(p.auto_build);
    m->set_autosync(p.auto_sync);
    m->set_autodeploy(p.auto_deploy);
    *m->mutable_metadata() = ToProto(p.metadata);
  }
  void operator()(const d::TriggerChanged& t) {
    wire::TriggerChanged* m = out->mutable_triggerchanged();
    m->set_phase(PhaseToProto(t.phase));
    m->set_enabled(t.enabled);
  }
  void operator()(const d::PhasesReset& r) {
    wire::PhasesReset* m = out->mutable_phasesreset();
    m->set_build(r.build);
    m->set_sync(r.sync);
    m->set_deploy(r.deploy);
  }
};

absl::StatusOr<d::Record> ControlFromProto(const wire::DevloopRecord& in) {
  switch (in.record_case()) {
    case wire::DevloopRecord::kPipelineStarted: {
      const wire::PipelineStarted& m = in.pipelinestarted();
      d::PipelineStarted p;
      p.artifacts.assign(m.artifacts().begin(), m.artifacts().end());
      p.auto_build = m.autobuild();
      p.auto_sync = m.autosync();
      p.auto_deploy = m.autodeploy();
      p.metadata = FromProto(m.metadata());
      return p;
    }
    case wire::DevloopRecord::kTriggerChanged: {
      DEVLOOP_ASSIGN_OR_RETURN(d::Phase phase, PhaseFromProto(in.triggerchanged().phase()));
      return d::TriggerChanged{phase, in.triggerchanged().enabled()};
    }
    case wire::DevloopRecord::kPhasesReset:
      return d::PhasesReset{in.phasesreset().build(), in.phasesreset().sync(),
                            in.phasesreset().deploy()};
    case wire::DevloopRecord::RECORD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "devloopRecord has no record: want one of pipelineStarted, triggerChanged, phasesReset");
}

}  // namespace

void AppendEventsLine(const proto::LogEntry& entry, std::string* out) {
  out->append("{\"result\":");
  api::AppendJson(entry, out);
  out->append("}\n");
}

void AppendEventLogLine(const domain::Record& record, std::string* out) {
  if (const d::LogEntry* entry = std::get_if<d::LogEntry>(&record)) {
    AppendEventsLine(ToProto(*entry), out);
    return;
  }
  wire::EventLogLine line;
  std::visit(ControlToProto{line.mutable_devlooprecord()}, record);
  api::AppendJson(line, out);
  out->push_back('\n');
}

absl::StatusOr<domain::Record> FromEventLogLine(absl::string_view line) {
  line = absl::StripSuffix(absl::StripSuffix(line, "\n"), "\r");
  wire::EventLogLine parsed;
  DEVLOOP_RETURN_IF_ERROR(api::FromJson(line, &parsed));
  switch (parsed.line_case()) {
    case wire::EventLogLine::kResult: {
      DEVLOOP_ASSIGN_OR_RETURN(d::LogEntry entry, FromProto(parsed.result()));
      return entry;
    }
    case wire::EventLogLine::kDevloopRecord:
      return ControlFromProto(parsed.devlooprecord());
    case wire::EventLogLine::LINE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "neither \"result\" (a LogEntry, as /v1/events sends it) nor \"devloopRecord\" is set");
}

}  // namespace devloop::apimap
