#include "domain/state/state.h"

#include <algorithm>

namespace devloop::domain {
namespace {

bool AllComplete(const BuildState& build) {
  return std::all_of(build.artifacts.begin(), build.artifacts.end(),
                     [](const auto& a) { return a.second == kStatusComplete; });
}

struct EventReducer {
  State* s;

  void operator()(const NoEvent&) {}
  void operator()(const MetaEvent& e) {
    if (e.metadata.has_value()) s->metadata = *e.metadata;
  }
  void operator()(const BuildEvent& e) {
    s->build_state.artifacts[e.artifact] = e.status;
    if (e.status == kStatusFailed) {
      s->build_state.status_code = e.err_code;
    } else if (e.status == kStatusComplete) {
      if (AllComplete(s->build_state)) s->build_state.status_code = StatusCode::kBuildSuccess;
    } else if (e.status == kStatusInProgress) {
      s->build_state.status_code = StatusCode::kOk;
    }
  }
  void operator()(const DeployEvent& e) {
    s->deploy_state.status = e.status;
    if (e.status == kStatusFailed) {
      s->deploy_state.status_code = e.err_code;
    } else if (e.status == kStatusComplete) {
      s->deploy_state.status_code = StatusCode::kDeploySuccess;
    } else {
      s->deploy_state.status_code = StatusCode::kOk;
    }
  }
  void operator()(const PortEvent& e) { s->forwarded_ports[e.local_port] = e; }
  void operator()(const StatusCheckEvent& e) {
    StatusCheckState& sc = s->status_check_state;
    if (e.status == kStatusInProgress && sc.status != kStatusInProgress) {
      sc.resources.clear();  // a new status check starts
    }
    sc.status = e.status;
    if (e.status == kStatusFailed) {
      sc.status_code = e.err_code;
    } else if (e.status == kStatusSucceeded) {
      sc.status_code = StatusCode::kStatusCheckSuccess;
    } else {
      sc.status_code = StatusCode::kOk;
    }
  }
  void operator()(const ResourceStatusCheckEvent& e) {
    s->status_check_state.resources[e.resource] = e.status;
  }
  void operator()(const FileSyncEvent& e) { s->file_sync_state.status = e.status; }
  void operator()(const DebuggingContainerEvent& e) {
    auto& list = s->debugging_containers;
    auto same = [&](const DebuggingContainerEvent& c) {
      return c.pod_name == e.pod_name && c.container_name == e.container_name &&
             c.namespace_ == e.namespace_;
    };
    list.erase(std::remove_if(list.begin(), list.end(), same), list.end());
    if (e.status != kStatusTerminated) list.push_back(e);
  }
  void operator()(const DevLoopEvent&) {}
  void operator()(const TerminationEvent&) {}
  void operator()(const TestEvent& e) {
    s->test_state.status = e.status;
    s->test_state.status_code =
        e.actionable_err.has_value() ? e.actionable_err->code : StatusCode::kOk;
  }
};

struct RecordReducer {
  State* s;

  void operator()(const LogEntry& entry) { std::visit(EventReducer{s}, entry.event); }
  void operator()(const PipelineStarted& p) {
    *s = State();
    for (const std::string& a : p.artifacts) {
      s->build_state.artifacts[a] = std::string(kStatusNotStarted);
    }
    s->build_state.auto_trigger = p.auto_build;
    s->deploy_state.status = std::string(kStatusNotStarted);
    s->deploy_state.auto_trigger = p.auto_deploy;
    s->status_check_state.status = std::string(kStatusNotStarted);
    s->file_sync_state.status = std::string(kStatusNotStarted);
    s->file_sync_state.auto_trigger = p.auto_sync;
    s->test_state.status = std::string(kStatusNotStarted);
    s->metadata = p.metadata;
  }
  void operator()(const TriggerChanged& t) {
    switch (t.phase) {
      case Phase::kBuild:
        s->build_state.auto_trigger = t.enabled;
        return;
      case Phase::kSync:
        s->file_sync_state.auto_trigger = t.enabled;
        return;
      case Phase::kDeploy:
        s->deploy_state.auto_trigger = t.enabled;
        return;
    }
  }
  void operator()(const PhasesReset& r) {
    // As Skaffold's server does on Execute: a phase about to run again starts
    // from "Not Started", and what a redeploy replaces (its status check, its
    // forwarded ports, its debugging containers) goes with it.
    if (r.build) {
      for (auto& [artifact, status] : s->build_state.artifacts) {
        status = std::string(kStatusNotStarted);
      }
      s->build_state.status_code = StatusCode::kOk;
      s->test_state = TestState{std::string(kStatusNotStarted), StatusCode::kOk};
    }
    if (r.sync) s->file_sync_state.status = std::string(kStatusNotStarted);
    if (r.deploy) {
      s->deploy_state.status = std::string(kStatusNotStarted);
      s->deploy_state.status_code = StatusCode::kOk;
      s->status_check_state.status = std::string(kStatusNotStarted);
      s->status_check_state.resources.clear();
      s->status_check_state.status_code = StatusCode::kOk;
      s->forwarded_ports.clear();
      s->debugging_containers.clear();
    }
  }
};

}  // namespace

void Apply(const Record& record, State* state) { std::visit(RecordReducer{state}, record); }

State Replay(const std::vector<Record>& records) {
  State state;
  for (const Record& r : records) Apply(r, &state);
  return state;
}

std::ostream& operator<<(std::ostream& os, Phase phase) {
  switch (phase) {
    case Phase::kBuild:
      return os << "build";
    case Phase::kSync:
      return os << "sync";
    case Phase::kDeploy:
      return os << "deploy";
  }
  return os << "Phase(" << static_cast<int>(phase) << ")";
}

std::ostream& operator<<(std::ostream& os, const State& s) {
  os << "State{build={";
  for (const auto& [a, st] : s.build_state.artifacts) os << a << ":" << st << " ";
  os << "auto=" << s.build_state.auto_trigger << " code=" << s.build_state.status_code << "}"
     << " deploy={" << s.deploy_state.status << " auto=" << s.deploy_state.auto_trigger
     << " code=" << s.deploy_state.status_code << "}"
     << " statusCheck={" << s.status_check_state.status << " resources=";
  for (const auto& [r, st] : s.status_check_state.resources) os << r << ":" << st << " ";
  os << "code=" << s.status_check_state.status_code << "}"
     << " sync={" << s.file_sync_state.status << " auto=" << s.file_sync_state.auto_trigger
     << "} ports=[";
  for (const auto& [p, e] : s.forwarded_ports) os << p << "->" << e.remote_port << " ";
  return os << "]}";
}

std::ostream& operator<<(std::ostream& os, const Record& record) {
  struct P {
    std::ostream& os;
    void operator()(const LogEntry& e) { os << e; }
    void operator()(const PipelineStarted& p) {
      os << "PipelineStarted{" << p.artifacts.size() << " artifacts auto=" << p.auto_build
         << p.auto_sync << p.auto_deploy << "}";
    }
    void operator()(const TriggerChanged& t) {
      os << "TriggerChanged{" << t.phase << "=" << t.enabled << "}";
    }
    void operator()(const PhasesReset& r) {
      os << "PhasesReset{build=" << r.build << " sync=" << r.sync << " deploy=" << r.deploy
         << "}";
    }
  };
  std::visit(P{os}, record);
  return os;
}

}  // namespace devloop::domain
