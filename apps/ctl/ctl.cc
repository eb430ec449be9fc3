#include "apps/ctl/ctl.h"

#include <map>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "api/json.h"
#include "apps/ctl/api_client.h"

namespace devloop::ctl {
namespace {

// How long the event stream may stay quiet before `events` (without
// --follow) takes the history as read: devloop sends the whole history at
// once when a stream opens.
constexpr absl::Duration kHistoryIdle = absl::Seconds(1);

enum class Output { kDefault, kJson };

struct Args {
  std::string address = "localhost:50051";
  Output output = Output::kDefault;
  bool follow = false;
  std::optional<int> since_iteration;
  std::vector<std::string> positional;
};

// Parses flags anywhere on the line; returns a message on a usage error.
std::optional<std::string> Parse(const std::vector<std::string>& in, Args* args) {
  for (size_t i = 0; i < in.size(); ++i) {
    absl::string_view a = in[i];
    // "--name=value" or "--name value".
    auto value = [&](absl::string_view name, std::string* out) -> std::optional<bool> {
      absl::string_view rest = a;
      if (!absl::ConsumePrefix(&rest, name)) return std::nullopt;
      if (absl::ConsumePrefix(&rest, "=")) {
        *out = std::string(rest);
        return true;
      }
      if (!rest.empty()) return std::nullopt;  // another flag with this prefix
      if (i + 1 >= in.size()) return false;
      *out = in[++i];
      return true;
    };
    std::string v;
    if (std::optional<bool> got = value("--address", &v)) {
      if (!*got) return "--address needs a value (HOST:PORT, grpc://HOST:PORT or http://HOST:PORT)";
      args->address = v;
    } else if (std::optional<bool> got = value("--output", &v); got || (got = value("-o", &v))) {
      if (!*got) return "-o needs a value (json, table or text)";
      if (v == "json") {
        args->output = Output::kJson;
      } else if (v == "table" || v == "text") {
        args->output = Output::kDefault;
      } else {
        return absl::StrCat("-o ", v, ": want json, table or text");
      }
    } else if (std::optional<bool> got = value("--since-iteration", &v)) {
      int n = 0;
      if (!*got || !absl::SimpleAtoi(v, &n) || n < 0) {
        return "--since-iteration needs an iteration number (0 or more)";
      }
      args->since_iteration = n;
    } else if (a == "--follow" || a == "-f") {
      args->follow = true;
    } else if (a == "--help" || a == "-h") {
      args->positional.insert(args->positional.begin(), "help");
    } else if (absl::StartsWith(a, "-") && a != "-") {
      return absl::StrCat("unknown flag ", a);
    } else {
      args->positional.emplace_back(a);
    }
  }
  return std::nullopt;
}

std::string Or(absl::string_view s, absl::string_view fallback) {
  return std::string(s.empty() ? fallback : s);
}

std::string Auto(bool on) { return on ? "auto on" : "auto off"; }

// An error's code, for the end of a line; nothing for OK and the *_SUCCESS codes.
std::string Code(proto::StatusCode code) {
  const std::string name = proto::StatusCode_Name(code);
  if (code == proto::OK || absl::EndsWith(name, "_SUCCESS")) return "";
  return absl::StrCat("  (", name, ")");
}

// The kind, status and error text of an event.
struct Summary {
  std::string kind;
  std::string status;
  std::string error;
  proto::StatusCode code = proto::OK;
};

std::string ErrorOf(absl::string_view err, const proto::ActionableErr& actionable) {
  return Or(err, actionable.message());
}

Summary Summarize(const proto::Event& e) {
  switch (e.event_type_case()) {
    case proto::Event::kMetaEvent:
      return {"meta", "", "", proto::OK};
    case proto::Event::kBuildEvent: {
      const proto::BuildEvent& b = e.buildevent();
      return {"build", b.status(), ErrorOf(b.err(), b.actionableerr()), b.errcode()};
    }
    case proto::Event::kDeployEvent: {
      const proto::DeployEvent& d = e.deployevent();
      return {"deploy", d.status(), ErrorOf(d.err(), d.actionableerr()), d.errcode()};
    }
    case proto::Event::kPortEvent:
      return {"port", "", "", proto::OK};
    case proto::Event::kStatusCheckEvent: {
      const proto::StatusCheckEvent& s = e.statuscheckevent();
      return {"status-check", s.status(), ErrorOf(s.err(), s.actionableerr()), s.errcode()};
    }
    case proto::Event::kResourceStatusCheckEvent: {
      const proto::ResourceStatusCheckEvent& r = e.resourcestatuscheckevent();
      return {absl::StrCat("resource ", r.resource()), r.status(),
              ErrorOf(r.err(), r.actionableerr()), r.statuscode()};
    }
    case proto::Event::kFileSyncEvent: {
      const proto::FileSyncEvent& f = e.filesyncevent();
      return {"sync", f.status(), ErrorOf(f.err(), f.actionableerr()), f.errcode()};
    }
    case proto::Event::kDebuggingContainerEvent:
      return {"debug", e.debuggingcontainerevent().status(), "", proto::OK};
    case proto::Event::kDevLoopEvent: {
      const proto::DevLoopEvent& d = e.devloopevent();
      return {absl::StrCat("iteration ", d.iteration()), d.status(), d.err().message(),
              d.err().errcode()};
    }
    case proto::Event::kTerminationEvent: {
      const proto::TerminationEvent& t = e.terminationevent();
      return {"termination", t.status(), t.err().message(), t.err().errcode()};
    }
    case proto::Event::kTestEvent: {
      const proto::TestEvent& t = e.testevent();
      return {"test", t.status(), t.actionableerr().message(), t.actionableerr().errcode()};
    }
    case proto::Event::EVENT_TYPE_NOT_SET:
      break;
  }
  return {"event", "", "", proto::OK};
}

int Fail(std::ostream& err, const absl::Status& s) {
  err << "devloopctl: " << s.message() << "\n";
  return 1;
}

int State(ApiClient& api, const Args& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<proto::State> state = api.GetState();
  if (!state.ok()) return Fail(err, state.status());
  out << (args.output == Output::kJson ? api::ToJson(*state) + "\n" : FormatStateTable(*state));
  return 0;
}

int Events(ApiClient& api, const Args& args, std::ostream& out, std::ostream& err) {
  bool printing = !args.since_iteration.has_value();
  absl::Status s = api.Events(
      {.idle_end = args.follow ? absl::ZeroDuration() : kHistoryIdle},
      [&](const proto::LogEntry& entry) {
        if (!printing && entry.event().has_devloopevent() &&
            entry.event().devloopevent().iteration() >= *args.since_iteration) {
          printing = true;
        }
        if (!printing) return true;
        out << (args.output == Output::kJson ? api::ToJson(entry) : FormatEntry(entry)) << "\n";
        out.flush();
        return static_cast<bool>(out);  // stop once the reader is gone (a closed pipe)
      });
  if (!s.ok()) return Fail(err, s);
  return 0;
}

// The application's log lines, of every container or of `artifact`'s.
int Logs(ApiClient& api, const Args& args, const std::string& artifact, std::ostream& out,
         std::ostream& err) {
  absl::Status s = api.ApplicationLogs(
      {.idle_end = args.follow ? absl::ZeroDuration() : kHistoryIdle},
      [&](const proto::v2::Event& event) {
        const proto::v2::ApplicationLogEvent& log = event.applicationlogevent();
        if (!artifact.empty() && log.containername() != artifact) return true;
        if (args.output == Output::kJson) {
          out << api::ToJson(event) << "\n";
        } else {
          out << log.prefix() << " " << log.message() << "\n";
        }
        out.flush();
        return static_cast<bool>(out);
      });
  if (!s.ok()) return Fail(err, s);
  return 0;
}

std::optional<Phase> PhaseNamed(absl::string_view name) {
  if (name == "build") return Phase::kBuild;
  if (name == "sync") return Phase::kSync;
  if (name == "deploy") return Phase::kDeploy;
  return std::nullopt;
}

int Trigger(ApiClient& api, Phase phase, std::ostream& out, std::ostream& err) {
  proto::Intent intent;
  intent.set_build(phase == Phase::kBuild);
  intent.set_sync(phase == Phase::kSync);
  intent.set_deploy(phase == Phase::kDeploy);
  absl::Status s = api.Execute(intent);
  if (!s.ok()) return Fail(err, s);
  out << "requested " << (phase == Phase::kBuild ? "a build" : phase == Phase::kSync ? "a sync" : "a deploy")
      << "\n";
  return 0;
}

int SetAuto(ApiClient& api, Phase phase, absl::string_view phase_name, bool on, std::ostream& out,
            std::ostream& err) {
  absl::Status s = api.SetAutoTrigger(phase, on);
  if (absl::IsAlreadyExists(s)) {
    out << "auto " << phase_name << " was already " << (on ? "on" : "off") << "\n";
    return 0;
  }
  if (!s.ok()) return Fail(err, s);
  out << "auto " << phase_name << " is " << (on ? "on" : "off") << "\n";
  return 0;
}

}  // namespace

std::string Usage() {
  return R"(devloopctl: talks to a running devloop's API.

Usage:
  devloopctl state [-o table|json]          the pipeline's state
  devloopctl events [--follow] [--since-iteration=N] [-o text|json]
                                            the event log (history, then live with --follow)
  devloopctl build | sync | deploy          run that phase now (with its auto trigger off)
  devloopctl auto build|sync|deploy on|off  turn a phase's auto trigger on or off
  devloopctl logs [ARTIFACT] [--follow] [-o text|json]
                                            the application's log lines (all, or one artifact's)

Flags:
  --address=ADDR   where devloop's API listens: HOST:PORT or grpc://HOST:PORT for gRPC
                   (default localhost:50051), http://HOST:PORT for the JSON API (50052)
)";
}

std::string FormatStateTable(const proto::State& state) {
  std::string out;
  auto row = [&out](absl::string_view name, absl::string_view trigger, absl::string_view status,
                    absl::string_view extra = "") {
    const std::string line = absl::StrFormat("%-14s%-10s%s%s", name, trigger, status, extra);
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  };
  auto item = [&out](absl::string_view name, absl::string_view status) {
    absl::StrAppend(&out, absl::StrFormat("  %-38s %s\n", name, status));
  };
  const proto::BuildState& build = state.buildstate();
  row("Build", Auto(build.autotrigger()), build.artifacts().empty() ? "no artifacts" : "",
      Code(build.statuscode()));
  std::map<std::string, std::string> artifacts(build.artifacts().begin(), build.artifacts().end());
  for (const auto& [image, status] : artifacts) item(image, status);
  const proto::FileSyncState& sync = state.filesyncstate();
  row("File sync", Auto(sync.autotrigger()), Or(sync.status(), "Not Started"));
  const proto::DeployState& deploy = state.deploystate();
  row("Deploy", Auto(deploy.autotrigger()), Or(deploy.status(), "Not Started"),
      Code(deploy.statuscode()));
  const proto::StatusCheckState& check = state.statuscheckstate();
  row("Status check", "", Or(check.status(), "Not Started"), Code(check.statuscode()));
  std::map<std::string, std::string> resources(check.resources().begin(), check.resources().end());
  for (const auto& [resource, status] : resources) item(resource, status);
  if (!state.teststate().status().empty() && state.teststate().status() != "Not Started") {
    row("Test", "", state.teststate().status(), Code(state.teststate().statuscode()));
  }
  std::map<int, proto::PortEvent> ports(state.forwardedports().begin(),
                                        state.forwardedports().end());
  row("Ports", "", ports.empty() ? "none forwarded" : "");
  for (const auto& [local, p] : ports) {
    item(absl::StrCat(Or(p.address(), "127.0.0.1"), ":", local),
         absl::StrCat("-> ", Or(p.resourcetype(), "container"), "/",
                      Or(p.resourcename(), p.containername()), ":", p.remoteport()));
  }
  if (!state.debuggingcontainers().empty()) {
    const int debugging = state.debuggingcontainers_size();
    row("Debugging", "", absl::StrCat(debugging, debugging == 1 ? " container" : " containers"));
    for (const proto::DebuggingContainerEvent& d : state.debuggingcontainers()) {
      std::vector<std::string> ports;
      std::map<std::string, uint32_t> sorted(d.debugports().begin(), d.debugports().end());
      for (const auto& [name, port] : sorted) ports.push_back(absl::StrCat(name, "=", port));
      item(absl::StrCat(Or(d.podname(), d.containername()), " (", d.runtime(), ")"),
           absl::StrJoin(ports, ", "));
    }
  }
  return out;
}

std::string FormatEntry(const proto::LogEntry& entry, absl::TimeZone zone) {
  const absl::Time at = absl::FromUnixSeconds(entry.timestamp().seconds()) +
                        absl::Nanoseconds(entry.timestamp().nanos());
  const Summary s = Summarize(entry.event());
  std::string line = absl::StrFormat("%s  %-22s %-12s %s", absl::FormatTime("%H:%M:%E3S", at, zone),
                                     s.kind, s.status, entry.entry());
  if (!s.error.empty()) absl::StrAppend(&line, "  error: ", s.error);
  absl::StrAppend(&line, Code(s.code));
  return std::string(absl::StripTrailingAsciiWhitespace(line));
}

int RunCtl(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args;
  if (std::optional<std::string> bad = Parse(argv, &args)) {
    err << "devloopctl: " << *bad << "\nRun 'devloopctl help' for usage.\n";
    return 2;
  }
  const std::vector<std::string>& p = args.positional;
  if (p.empty() || p[0] == "help") {
    (p.empty() ? err : out) << Usage();
    return p.empty() ? 2 : 0;
  }
  auto usage_error = [&](absl::string_view message) {
    err << "devloopctl: " << message << "\nRun 'devloopctl help' for usage.\n";
    return 2;
  };
  const std::string& command = p[0];
  std::optional<Phase> auto_phase;
  bool auto_on = false;
  if (command == "logs") {
    if (p.size() > 2) return usage_error("logs takes at most one artifact");
  } else if (command == "state" || command == "events" || PhaseNamed(command)) {
    if (p.size() != 1) return usage_error(absl::StrCat(command, " takes no arguments"));
  } else if (command == "auto") {
    if (p.size() != 3 || !PhaseNamed(p[1]) || (p[2] != "on" && p[2] != "off")) {
      return usage_error("auto wants a phase and on or off: devloopctl auto build|sync|deploy on|off");
    }
    auto_phase = PhaseNamed(p[1]);
    auto_on = p[2] == "on";
  } else {
    return usage_error(absl::StrCat("unknown command \"", command, "\""));
  }
  if (args.since_iteration && command != "events") {
    return usage_error("--since-iteration is a flag of events");
  }
  if (args.follow && command != "events" && command != "logs") {
    return usage_error("--follow is a flag of events and logs");
  }

  absl::StatusOr<Address> address = ParseAddress(args.address);
  if (!address.ok()) return usage_error(address.status().message());
  absl::StatusOr<std::unique_ptr<ApiClient>> api = ApiClient::Connect(*address);
  if (!api.ok()) return Fail(err, api.status());

  if (command == "state") return State(**api, args, out, err);
  if (command == "events") return Events(**api, args, out, err);
  if (command == "logs") return Logs(**api, args, p.size() == 2 ? p[1] : "", out, err);
  if (auto_phase) return SetAuto(**api, *auto_phase, p[1], auto_on, out, err);
  return Trigger(**api, *PhaseNamed(command), out, err);
}

}  // namespace devloop::ctl
