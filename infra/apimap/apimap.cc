#include "infra/apimap/apimap.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/base/status_macros.h"

namespace devloop::apimap {
namespace {

namespace d = ::devloop::domain;

// ---------------------------------------------------------------- to the wire

proto::StatusCode Code(d::StatusCode code) { return static_cast<proto::StatusCode>(code); }

void ToProto(const d::ActionableErr& in, proto::ActionableErr* out) {
  out->set_errcode(Code(in.code));
  out->set_message(in.message);
  for (const d::Suggestion& s : in.suggestions) {
    proto::Suggestion* p = out->add_suggestions();
    p->set_suggestioncode(static_cast<proto::SuggestionCode>(s.code));
    p->set_action(s.action);
  }
}

void ToProto(const d::BuildMetadata& in, proto::BuildMetadata* out) {
  out->set_numberofartifacts(in.number_of_artifacts);
  for (const auto& b : in.builders) {
    proto::BuildMetadata::ImageBuilder* p = out->add_builders();
    p->set_type(static_cast<proto::BuilderType>(b.type));
    p->set_count(b.count);
  }
  out->set_type(static_cast<proto::BuildType>(in.type));
  out->mutable_additional()->insert(in.additional.begin(), in.additional.end());
}

void ToProto(const d::DeployMetadata& in, proto::DeployMetadata* out) {
  for (const auto& dep : in.deployers) {
    proto::DeployMetadata::Deployer* p = out->add_deployers();
    p->set_type(static_cast<proto::DeployerType>(dep.type));
    p->set_count(dep.count);
  }
  out->set_cluster(static_cast<proto::ClusterType>(in.cluster));
}

void ToProto(const d::TestMetadata& in, proto::TestMetadata* out) {
  for (const auto& t : in.testers) {
    proto::TestMetadata::Tester* p = out->add_testers();
    p->set_type(static_cast<proto::TesterType>(t.type));
    p->set_count(t.count);
  }
}

void ToProto(const d::Metadata& in, proto::Metadata* out) {
  if (in.build) ToProto(*in.build, out->mutable_build());
  if (in.deploy) ToProto(*in.deploy, out->mutable_deploy());
  if (in.test) ToProto(*in.test, out->mutable_test());
  out->mutable_additional()->insert(in.additional.begin(), in.additional.end());
}

void ToProto(const d::PortEvent& in, proto::PortEvent* out) {
  out->set_localport(in.local_port);
  out->set_remoteport(in.remote_port);
  out->set_podname(in.pod_name);
  out->set_containername(in.container_name);
  out->set_namespace_(in.namespace_);
  out->set_portname(in.port_name);
  out->set_resourcetype(in.resource_type);
  out->set_resourcename(in.resource_name);
  out->set_address(in.address);
  if (in.target_port) {
    proto::IntOrString* t = out->mutable_targetport();
    t->set_type(in.target_port->type);
    t->set_intval(in.target_port->int_val);
    t->set_strval(in.target_port->str_val);
  }
}

void ToProto(const d::DebuggingContainerEvent& in, proto::DebuggingContainerEvent* out) {
  out->set_status(in.status);
  out->set_podname(in.pod_name);
  out->set_containername(in.container_name);
  out->set_namespace_(in.namespace_);
  out->set_artifact(in.artifact);
  out->set_runtime(in.runtime);
  out->set_workingdir(in.working_dir);
  out->mutable_debugports()->insert(in.debug_ports.begin(), in.debug_ports.end());
}

// Fills the member of proto.Event's oneof that matches the variant's alternative.
struct EventToProto {
  proto::Event* out;

  void operator()(const d::NoEvent&) {}
  void operator()(const d::MetaEvent& e) {
    proto::MetaEvent* p = out->mutable_metaevent();
    p->set_entry(e.entry);
    if (e.metadata) ToProto(*e.metadata, p->mutable_metadata());
  }
  void operator()(const d::BuildEvent& e) {
    proto::BuildEvent* p = out->mutable_buildevent();
    p->set_artifact(e.artifact);
    p->set_status(e.status);
    p->set_err(e.err);
    p->set_errcode(Code(e.err_code));
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
  void operator()(const d::DeployEvent& e) {
    proto::DeployEvent* p = out->mutable_deployevent();
    p->set_status(e.status);
    p->set_err(e.err);
    p->set_errcode(Code(e.err_code));
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
  void operator()(const d::PortEvent& e) { ToProto(e, out->mutable_portevent()); }
  void operator()(const d::StatusCheckEvent& e) {
    proto::StatusCheckEvent* p = out->mutable_statuscheckevent();
    p->set_status(e.status);
    p->set_message(e.message);
    p->set_err(e.err);
    p->set_errcode(Code(e.err_code));
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
  void operator()(const d::ResourceStatusCheckEvent& e) {
    proto::ResourceStatusCheckEvent* p = out->mutable_resourcestatuscheckevent();
    p->set_resource(e.resource);
    p->set_status(e.status);
    p->set_message(e.message);
    p->set_err(e.err);
    p->set_statuscode(Code(e.status_code));
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
  void operator()(const d::FileSyncEvent& e) {
    proto::FileSyncEvent* p = out->mutable_filesyncevent();
    p->set_filecount(e.file_count);
    p->set_image(e.image);
    p->set_status(e.status);
    p->set_err(e.err);
    p->set_errcode(Code(e.err_code));
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
  void operator()(const d::DebuggingContainerEvent& e) {
    ToProto(e, out->mutable_debuggingcontainerevent());
  }
  void operator()(const d::DevLoopEvent& e) {
    proto::DevLoopEvent* p = out->mutable_devloopevent();
    p->set_iteration(e.iteration);
    p->set_status(e.status);
    if (e.err) ToProto(*e.err, p->mutable_err());
  }
  void operator()(const d::TerminationEvent& e) {
    proto::TerminationEvent* p = out->mutable_terminationevent();
    p->set_status(e.status);
    if (e.err) ToProto(*e.err, p->mutable_err());
  }
  void operator()(const d::TestEvent& e) {
    proto::TestEvent* p = out->mutable_testevent();
    p->set_status(e.status);
    if (e.actionable_err) ToProto(*e.actionable_err, p->mutable_actionableerr());
  }
};

// -------------------------------------------------------------- from the wire

absl::StatusOr<d::StatusCode> FromCode(int number, absl::string_view field) {
  const auto code = static_cast<d::StatusCode>(number);
  if (number != 0 && d::StatusCodeName(code).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown status code ", number,
                     "; use one of the proto.StatusCode values"));
  }
  return code;
}

absl::StatusOr<d::ActionableErr> FromProto(const proto::ActionableErr& in,
                                           absl::string_view field) {
  d::ActionableErr out;
  DEVLOOP_ASSIGN_OR_RETURN(out.code, FromCode(in.errcode(), absl::StrCat(field, ".errCode")));
  out.message = in.message();
  for (const proto::Suggestion& s : in.suggestions()) {
    const auto code = static_cast<d::SuggestionCode>(s.suggestioncode());
    if (s.suggestioncode() != 0 && d::SuggestionCodeName(code).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".suggestions: unknown suggestion code ",
                                                     s.suggestioncode()));
    }
    out.suggestions.push_back(d::Suggestion{code, s.action()});
  }
  return out;
}

// Reads an optional ActionableErr sub-message.
absl::Status FromOptional(bool present, const proto::ActionableErr& in, absl::string_view field,
                          std::optional<d::ActionableErr>* out) {
  if (!present) return absl::OkStatus();
  DEVLOOP_ASSIGN_OR_RETURN(*out, FromProto(in, field));
  return absl::OkStatus();
}

}  // namespace

domain::Metadata FromProto(const proto::Metadata& in) {
  d::Metadata out;
  if (in.has_build()) {
    d::BuildMetadata b;
    b.number_of_artifacts = in.build().numberofartifacts();
    for (const auto& ib : in.build().builders()) {
      b.builders.push_back({static_cast<d::BuilderType>(ib.type()), ib.count()});
    }
    b.type = static_cast<d::BuildType>(in.build().type());
    b.additional.insert(in.build().additional().begin(), in.build().additional().end());
    out.build = std::move(b);
  }
  if (in.has_deploy()) {
    d::DeployMetadata dm;
    for (const auto& dep : in.deploy().deployers()) {
      dm.deployers.push_back({static_cast<d::DeployerType>(dep.type()), dep.count()});
    }
    dm.cluster = static_cast<d::ClusterType>(in.deploy().cluster());
    out.deploy = std::move(dm);
  }
  if (in.has_test()) {
    d::TestMetadata t;
    for (const auto& tester : in.test().testers()) {
      t.testers.push_back({static_cast<d::TesterType>(tester.type()), tester.count()});
    }
    out.test = std::move(t);
  }
  out.additional.insert(in.additional().begin(), in.additional().end());
  return out;
}

proto::Metadata ToProto(const domain::Metadata& metadata) {
  proto::Metadata out;
  ToProto(metadata, &out);
  return out;
}

proto::Event ToProto(const domain::Event& event) {
  proto::Event out;
  std::visit(EventToProto{&out}, event);
  return out;
}

proto::LogEntry ToProto(const domain::LogEntry& entry) {
  proto::LogEntry out;
  const int64_t seconds = absl::ToUnixSeconds(entry.timestamp);
  out.mutable_timestamp()->set_seconds(seconds);
  out.mutable_timestamp()->set_nanos(static_cast<int32_t>(
      (entry.timestamp - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  std::visit(EventToProto{out.mutable_event()}, entry.event);
  out.set_entry(entry.entry);
  return out;
}

proto::State ToProto(const domain::State& state) {
  proto::State out;
  proto::BuildState* build = out.mutable_buildstate();
  build->mutable_artifacts()->insert(state.build_state.artifacts.begin(),
                                     state.build_state.artifacts.end());
  build->set_autotrigger(state.build_state.auto_trigger);
  build->set_statuscode(Code(state.build_state.status_code));

  proto::DeployState* deploy = out.mutable_deploystate();
  deploy->set_status(state.deploy_state.status);
  deploy->set_autotrigger(state.deploy_state.auto_trigger);
  deploy->set_statuscode(Code(state.deploy_state.status_code));

  for (const auto& [port, event] : state.forwarded_ports) {
    ToProto(event, &(*out.mutable_forwardedports())[port]);
  }

  proto::StatusCheckState* check = out.mutable_statuscheckstate();
  check->set_status(state.status_check_state.status);
  check->mutable_resources()->insert(state.status_check_state.resources.begin(),
                                     state.status_check_state.resources.end());
  check->set_statuscode(Code(state.status_check_state.status_code));

  proto::FileSyncState* sync = out.mutable_filesyncstate();
  sync->set_status(state.file_sync_state.status);
  sync->set_autotrigger(state.file_sync_state.auto_trigger);

  for (const d::DebuggingContainerEvent& c : state.debugging_containers) {
    ToProto(c, out.add_debuggingcontainers());
  }
  ToProto(state.metadata, out.mutable_metadata());

  proto::TestState* test = out.mutable_teststate();
  test->set_status(state.test_state.status);
  test->set_statuscode(Code(state.test_state.status_code));
  return out;
}

absl::StatusOr<domain::Event> FromProto(const proto::Event& in) {
  switch (in.event_type_case()) {
    case proto::Event::EVENT_TYPE_NOT_SET:
      return d::NoEvent{};
    case proto::Event::kMetaEvent: {
      d::MetaEvent e{in.metaevent().entry(), std::nullopt};
      if (in.metaevent().has_metadata()) e.metadata = FromProto(in.metaevent().metadata());
      return e;
    }
    case proto::Event::kBuildEvent: {
      const proto::BuildEvent& p = in.buildevent();
      d::BuildEvent e{p.artifact(), p.status(), p.err()};
      DEVLOOP_ASSIGN_OR_RETURN(e.err_code, FromCode(p.errcode(), "buildEvent.errCode"));
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "buildEvent.actionableErr", &e.actionable_err));
      return e;
    }
    case proto::Event::kDeployEvent: {
      const proto::DeployEvent& p = in.deployevent();
      d::DeployEvent e{p.status(), p.err()};
      DEVLOOP_ASSIGN_OR_RETURN(e.err_code, FromCode(p.errcode(), "deployEvent.errCode"));
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "deployEvent.actionableErr", &e.actionable_err));
      return e;
    }
    case proto::Event::kPortEvent: {
      const proto::PortEvent& p = in.portevent();
      d::PortEvent e{p.localport(),     p.remoteport(),   p.podname(),
                     p.containername(), p.namespace_(),   p.portname(),
                     p.resourcetype(),  p.resourcename(), p.address()};
      if (p.has_targetport()) {
        e.target_port = d::IntOrString{p.targetport().type(), p.targetport().intval(),
                                       p.targetport().strval()};
      }
      return e;
    }
    case proto::Event::kStatusCheckEvent: {
      const proto::StatusCheckEvent& p = in.statuscheckevent();
      d::StatusCheckEvent e{p.status(), p.message(), p.err()};
      DEVLOOP_ASSIGN_OR_RETURN(e.err_code, FromCode(p.errcode(), "statusCheckEvent.errCode"));
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "statusCheckEvent.actionableErr", &e.actionable_err));
      return e;
    }
    case proto::Event::kResourceStatusCheckEvent: {
      const proto::ResourceStatusCheckEvent& p = in.resourcestatuscheckevent();
      d::ResourceStatusCheckEvent e{p.resource(), p.status(), p.message(), p.err()};
      DEVLOOP_ASSIGN_OR_RETURN(e.status_code,
                               FromCode(p.statuscode(), "resourceStatusCheckEvent.statusCode"));
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "resourceStatusCheckEvent.actionableErr",
                                           &e.actionable_err));
      return e;
    }
    case proto::Event::kFileSyncEvent: {
      const proto::FileSyncEvent& p = in.filesyncevent();
      d::FileSyncEvent e{p.filecount(), p.image(), p.status(), p.err()};
      DEVLOOP_ASSIGN_OR_RETURN(e.err_code, FromCode(p.errcode(), "fileSyncEvent.errCode"));
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "fileSyncEvent.actionableErr", &e.actionable_err));
      return e;
    }
    case proto::Event::kDebuggingContainerEvent: {
      const proto::DebuggingContainerEvent& p = in.debuggingcontainerevent();
      d::DebuggingContainerEvent e{p.status(),   p.podname(), p.containername(),
                                   p.namespace_(), p.artifact(), p.runtime(),
                                   p.workingdir()};
      e.debug_ports.insert(p.debugports().begin(), p.debugports().end());
      return e;
    }
    case proto::Event::kDevLoopEvent: {
      const proto::DevLoopEvent& p = in.devloopevent();
      d::DevLoopEvent e{p.iteration(), p.status()};
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_err(), p.err(), "devLoopEvent.err", &e.err));
      return e;
    }
    case proto::Event::kTerminationEvent: {
      const proto::TerminationEvent& p = in.terminationevent();
      d::TerminationEvent e{p.status()};
      DEVLOOP_RETURN_IF_ERROR(
          FromOptional(p.has_err(), p.err(), "terminationEvent.err", &e.err));
      return e;
    }
    case proto::Event::kTestEvent: {
      const proto::TestEvent& p = in.testevent();
      d::TestEvent e{p.status()};
      DEVLOOP_RETURN_IF_ERROR(FromOptional(p.has_actionableerr(), p.actionableerr(),
                                           "TestEvent.actionableErr", &e.actionable_err));
      return e;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Event: unknown event type ", static_cast<int>(in.event_type_case())));
}

absl::StatusOr<domain::LogEntry> FromProto(const proto::LogEntry& in) {
  d::LogEntry out;
  out.timestamp = absl::FromUnixSeconds(in.timestamp().seconds()) +
                  absl::Nanoseconds(in.timestamp().nanos());
  DEVLOOP_ASSIGN_OR_RETURN(out.event, FromProto(in.event()));
  out.entry = in.entry();
  return out;
}

}  // namespace devloop::apimap
