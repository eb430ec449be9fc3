#include "apps/cli/parser.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/base/status_macros.h"
#include "domain/config/platforms.h"

namespace devloop::cli {
namespace {

// Commands as a bit set, so each flag says which commands take it.
using CommandSet = uint32_t;
constexpr CommandSet Bit(Command c) { return 1u << static_cast<int>(c); }
// `debug` takes every flag `dev` takes.
constexpr CommandSet kDev = Bit(Command::kDev) | Bit(Command::kDebug);
constexpr CommandSet kRun = Bit(Command::kRun);
constexpr CommandSet kBuild = Bit(Command::kBuild);
constexpr CommandSet kDeploy = Bit(Command::kDeploy);
constexpr CommandSet kDelete = Bit(Command::kDelete);
constexpr CommandSet kDiagnose = Bit(Command::kDiagnose);
constexpr CommandSet kReplay = Bit(Command::kReplay);
constexpr CommandSet kVersion = Bit(Command::kVersion);
constexpr CommandSet kExec = Bit(Command::kExec);
constexpr CommandSet kVerify = Bit(Command::kVerify);
constexpr CommandSet kTest = Bit(Command::kTest);
constexpr CommandSet kNone = Bit(Command::kNone);
constexpr CommandSet kConfigured =
    kDev | kRun | kBuild | kDeploy | kDelete | kDiagnose | kExec | kVerify | kTest;
constexpr CommandSet kEvery = kConfigured | kReplay | kVersion | kNone;

struct CommandInfo {
  Command command;
  absl::string_view summary;
  absl::string_view argument = "";  // the one positional argument it needs, for usage
};

constexpr CommandInfo kCommands[] = {
    {Command::kDev, "Run a pipeline in development mode: build, deploy, watch, repeat"},
    {Command::kDebug, "Run a pipeline in debug mode: dev with a debugger listening in each container"},
    {Command::kRun, "Build and deploy once, exit with the status check's result"},
    {Command::kBuild, "Build the artifacts"},
    {Command::kDeploy, "Deploy pre-built artifacts"},
    {Command::kDelete, "Delete everything a previous run deployed"},
    {Command::kDiagnose, "Print the resolved configuration"},
    {Command::kReplay, "Print the State an event log folds into, and each iteration's summary",
     "FILE"},
    {Command::kExec, "Run a custom action (customActions) on the local Docker Engine", "ACTION"},
    {Command::kVerify, "Run the verify tests (verify) on the local Docker Engine"},
    {Command::kTest, "Run the tests (test) against the built images"},
    {Command::kVersion, "Print the version"},
};

enum class Kind { kBool, kValue };

using Setter = absl::Status (*)(absl::string_view flag, absl::string_view value, CliOptions* o);
using Shower = std::string (*)(const CliOptions& o);

struct FlagSpec {
  absl::string_view name;  // long form, without "--"
  char shorthand;          // 0 if none
  Kind kind;
  CommandSet commands;
  absl::string_view value_name;  // for usage: "FILE", "DURATION", ...
  absl::string_view help;
  Setter set;
  Shower show;  // the default, for usage
};

absl::Status BadValue(absl::string_view flag, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid value \"%s\" for --%s: want %s", value, flag, want));
}

absl::StatusOr<bool> ParseBool(absl::string_view flag, absl::string_view value) {
  // pflag's spellings.
  for (absl::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (value == t) return true;
  }
  for (absl::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (value == f) return false;
  }
  return BadValue(flag, value, "true or false");
}

// A Go-style duration ("2m", "1m30s", "100ms"); a bare integer counts in `unit`.
absl::StatusOr<absl::Duration> ParsePositiveDuration(absl::string_view flag,
                                                     absl::string_view value,
                                                     absl::Duration unit,
                                                     absl::string_view unit_name) {
  absl::Duration d;
  int64_t n = 0;
  if (absl::SimpleAtoi(value, &n)) {
    d = unit * n;
  } else if (!absl::ParseDuration(value, &d)) {
    return BadValue(flag, value,
                    absl::StrCat("a duration like 2m, 30s or 100ms (a bare number counts ",
                                 unit_name, ")"));
  }
  if (d <= absl::ZeroDuration()) return BadValue(flag, value, "a duration greater than zero");
  return d;
}

absl::StatusOr<int> ParsePort(absl::string_view flag, absl::string_view value) {
  int port = 0;
  if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) {
    return BadValue(flag, value, "a port number from 0 to 65535 (0 picks a free port)");
  }
  return port;
}

// Appends the comma-separated, non-empty items of `value` to `*list`.
void AppendList(absl::string_view value, std::vector<std::string>* list) {
  for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    list->emplace_back(absl::StripAsciiWhitespace(item));
  }
}

// --port-forward's value, as Skaffold reads it: a comma list of user,
// services, pods, debug; or alone, off or a boolean (true: user,services, the
// modes the flag meant when it was a boolean; false: off). Repeats count once.
absl::StatusOr<std::vector<std::string>> ParsePortForwardModes(absl::string_view flag,
                                                                absl::string_view value) {
  std::vector<std::string> items;
  AppendList(value, &items);
  std::vector<std::string> modes;
  for (const std::string& m : items) {
    absl::StatusOr<bool> b = ParseBool(flag, m);
    if (b.ok() || m == "off") {
      if (items.size() > 1) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "invalid value \"%s\" for --%s: \"%s\" cannot be combined with other modes", value,
            flag, m));
      }
      if (b.ok() && *b) return std::vector<std::string>{"user", "services"};
      return std::vector<std::string>{};
    }
    if (m != "user" && m != "services" && m != "pods" && m != "debug") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid value \"%s\" for --%s: unknown mode \"%s\"; want off, true, false, or a "
          "list of user, services, pods, debug",
          value, flag, m));
    }
    if (std::find(modes.begin(), modes.end(), m) == modes.end()) modes.push_back(m);
  }
  if (modes.empty()) {
    return BadValue(flag, value, "off, true, false, or a list of user, services, pods, debug");
  }
  return modes;
}

std::string ShowBool(bool b) { return b ? "true" : "false"; }
std::string ShowString(const std::string& s) { return s.empty() ? "" : absl::StrCat("\"", s, "\""); }
std::string ShowDuration(absl::Duration d) { return absl::FormatDuration(d); }

#define DEVLOOP_BOOL_FLAG(field)                                                        \
  [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {      \
    DEVLOOP_ASSIGN_OR_RETURN(o->field, ParseBool(flag, v));                             \
    return absl::OkStatus();                                                            \
  },                                                                                    \
      [](const CliOptions& o) { return ShowBool(o.field); }

#define DEVLOOP_STRING_FLAG(field)                                                      \
  [](absl::string_view, absl::string_view v, CliOptions* o) -> absl::Status {           \
    o->field = std::string(v);                                                          \
    return absl::OkStatus();                                                            \
  },                                                                                    \
      [](const CliOptions& o) { return ShowString(o.field); }

#define DEVLOOP_LIST_FLAG(field)                                                        \
  [](absl::string_view, absl::string_view v, CliOptions* o) -> absl::Status {           \
    AppendList(v, &o->field);                                                           \
    return absl::OkStatus();                                                            \
  },                                                                                    \
      [](const CliOptions& o) { return absl::StrCat("[", absl::StrJoin(o.field, ","), "]"); }

#define DEVLOOP_PORT_FLAG(field)                                                        \
  [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {      \
    DEVLOOP_ASSIGN_OR_RETURN(o->field, ParsePort(flag, v));                             \
    return absl::OkStatus();                                                            \
  },                                                                                    \
      [](const CliOptions& o) { return absl::StrCat(o.field); }

const std::vector<FlagSpec>& Flags() {
  static const auto* const flags = new std::vector<FlagSpec>{
      {"filename", 'f', Kind::kValue, kConfigured, "FILE",
       "Path or URL to the Skaffold config file", DEVLOOP_STRING_FLAG(filename)},
      {"profile", 'p', Kind::kValue, kConfigured, "NAMES",
       "Activate profiles by name (repeatable, comma-separated)", DEVLOOP_LIST_FLAG(profiles)},
      {"module", 'm', Kind::kValue, kConfigured, "NAMES",
       "Filter the build and deploy to these config modules", DEVLOOP_LIST_FLAG(modules)},
      {"default-repo", 'd', Kind::kValue, kDev | kRun | kBuild | kDeploy | kDelete, "REPO",
       "Default repository for image names, rewritten as Skaffold does (env "
       "SKAFFOLD_DEFAULT_REPO; \"\" for none)",
       [](absl::string_view, absl::string_view v, CliOptions* o) -> absl::Status {
         o->default_repo = std::string(v);
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return ShowString(o.default_repo.value_or("")); }},
      {"tag", 't', Kind::kValue, kDev | kRun | kBuild | kDeploy, "TAG",
       "Tag every built image with this instead of the tag policy", DEVLOOP_STRING_FLAG(tag)},
      {"trigger", 0, Kind::kValue, kDev, "MODE",
       "How changes are noticed: notify, polling or manual",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         if (v == "notify") {
           o->trigger = Trigger::kNotify;
         } else if (v == "polling") {
           o->trigger = Trigger::kPolling;
         } else if (v == "manual") {
           o->trigger = Trigger::kManual;
         } else {
           return BadValue(flag, v, "notify, polling or manual");
         }
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return std::string(TriggerName(o.trigger)); }},
      {"watch-poll-interval", 'i', Kind::kValue, kDev, "DURATION",
       "Interval between two checks for changes with --trigger=polling (a bare number is ms)",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         DEVLOOP_ASSIGN_OR_RETURN(
             o->watch_poll_interval,
             ParsePositiveDuration(flag, v, absl::Milliseconds(1), "milliseconds"));
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return ShowDuration(o.watch_poll_interval); }},
      {"auto-build", 0, Kind::kBool, kDev, "", "Rebuild automatically on source changes",
       DEVLOOP_BOOL_FLAG(auto_build)},
      {"auto-sync", 0, Kind::kBool, kDev, "", "Sync changed files automatically",
       DEVLOOP_BOOL_FLAG(auto_sync)},
      {"auto-deploy", 0, Kind::kBool, kDev, "", "Redeploy automatically after a rebuild",
       DEVLOOP_BOOL_FLAG(auto_deploy)},
      {"port-forward", 0, Kind::kBool, kDev | kRun | kDeploy, "MODES",
       "Forward ports: off, or a list of user (the config's portForward), services (every "
       "Service deployed) and pods (every containerPort deployed), both on Kubernetes only, "
       "debug (the debuggers' ports, under devloop debug); the bare flag means user,services",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         DEVLOOP_ASSIGN_OR_RETURN(o->port_forward, ParsePortForwardModes(flag, v));
         return absl::OkStatus();
       },
       [](const CliOptions& o) {
         return o.port_forward.empty() ? std::string("off") : absl::StrJoin(o.port_forward, ",");
       }},
      {"tail", 0, Kind::kBool, kDev | kRun | kDeploy, "", "Stream logs from deployed objects",
       DEVLOOP_BOOL_FLAG(tail)},
      {"skip-tests", 0, Kind::kBool, kDev | kRun, "",
       "Do not run the tests of skaffold.yaml `test`", DEVLOOP_BOOL_FLAG(skip_tests)},
      {"status-check", 0, Kind::kBool, kDev | kRun | kDeploy, "",
       "Wait for deployed resources to stabilize", DEVLOOP_BOOL_FLAG(status_check)},
      {"status-check-deadline", 0, Kind::kValue, kDev | kRun | kDeploy, "DURATION",
       "How long the status check may take (a bare number is seconds)",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         DEVLOOP_ASSIGN_OR_RETURN(o->status_check_deadline,
                                  ParsePositiveDuration(flag, v, absl::Seconds(1), "seconds"));
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return ShowDuration(o.status_check_deadline); }},
      {"cleanup", 0, Kind::kBool, kDev, "",
       "Delete what this run deployed when it is interrupted", DEVLOOP_BOOL_FLAG(cleanup)},
      // Skaffold's `run` takes --cleanup and ignores it: what run deploys stays
      // until `delete`. Same here, said in the help instead of left to surprise.
      {"cleanup", 0, Kind::kBool, kRun, "",
       "Accepted for compatibility; like skaffold run, devloop run leaves what it deployed "
       "(devloop delete removes it)",
       DEVLOOP_BOOL_FLAG(cleanup)},
      {"enable-rpc", 0, Kind::kBool, kDev | kRun | kBuild | kDeploy | kDelete | kTest, "",
       "Serve the Skaffold v1 API (gRPC and JSON over HTTP)", DEVLOOP_BOOL_FLAG(enable_rpc)},
      {"rpc-port", 0, Kind::kValue, kDev | kRun | kBuild | kDeploy | kDelete | kTest, "PORT",
       "Port of the gRPC API", DEVLOOP_PORT_FLAG(rpc_port)},
      {"rpc-http-port", 0, Kind::kValue, kDev | kRun | kBuild | kDeploy | kDelete | kTest, "PORT",
       "Port of the HTTP API", DEVLOOP_PORT_FLAG(rpc_http_port)},
      {"rpc-bind-address", 0, Kind::kValue, kDev | kRun | kBuild | kDeploy | kDelete | kTest,
       "ADDRESS", "Address the API servers listen on", DEVLOOP_STRING_FLAG(rpc_bind_address)},
      {"event-log-file", 0, Kind::kValue, kDev, "FILE",
       "Write every event and state change to this file as JSON lines, as they happen "
       "(read it with devloop replay)",
       DEVLOOP_STRING_FLAG(event_log_file)},
      {"output", 'o', Kind::kValue, kReplay, "FORMAT",
       "json: the State, as GET /v1/state serves it (the iteration summary goes to stderr); "
       "table: the iteration summary alone",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         if (v == "json") {
           o->replay_output = ReplayOutput::kJson;
         } else if (v == "table") {
           o->replay_output = ReplayOutput::kTable;
         } else {
           return BadValue(flag, v, "json or table");
         }
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return std::string(ReplayOutputName(o.replay_output)); }},
      {"cache-artifacts", 0, Kind::kBool, kDev | kRun | kBuild, "",
       "Skip builds whose inputs were already built", DEVLOOP_BOOL_FLAG(cache_artifacts)},
      {"push", 0, Kind::kBool, kBuild, "", "Push the built images", DEVLOOP_BOOL_FLAG(push)},
      {"file-output", 0, Kind::kValue, kBuild, "FILE",
       "Write the built images as JSON to this file", DEVLOOP_STRING_FLAG(file_output)},
      {"build-artifacts", 'a', Kind::kValue, kDeploy | kExec | kVerify | kTest, "FILE",
       "Use the images listed in this file (from build --file-output)",
       DEVLOOP_STRING_FLAG(build_artifacts)},
      {"check-cluster-node-platforms", 0, Kind::kBool, kDev | kRun | kBuild, "",
       "Build for the platforms of the cluster's nodes (on for dev, debug and run)",
       DEVLOOP_BOOL_FLAG(check_cluster_node_platforms)},
      {"disable-multi-platform-build", 0, Kind::kBool, kDev | kRun | kBuild, "",
       "Build one platform of several targets (on for dev and debug)",
       DEVLOOP_BOOL_FLAG(disable_multi_platform_build)},
      {"platform", 0, Kind::kValue, kDev | kRun | kBuild, "PLATFORMS",
       "Build for these target platforms, os/arch[/variant] (repeatable, comma-separated; "
       "overrides build.platforms; a Docker artifact takes one)",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         absl::StatusOr<std::vector<std::string>> platforms = config::ParsePlatformList(v);
         if (!platforms.ok()) {
           return absl::InvalidArgumentError(absl::StrFormat(
               "invalid value \"%s\" for --%s: %s", v, flag, platforms.status().message()));
         }
         for (std::string& p : *platforms) {
           if (std::find(o->platforms.begin(), o->platforms.end(), p) == o->platforms.end()) {
             o->platforms.push_back(std::move(p));
           }
         }
         return absl::OkStatus();
       },
       [](const CliOptions& o) { return absl::StrCat("[", absl::StrJoin(o.platforms, ","), "]"); }},
      {"images", 0, Kind::kValue, kDeploy, "IMAGES",
       "Deploy these image references (repeatable, comma-separated)", DEVLOOP_LIST_FLAG(images)},
      {"kube-context", 0, Kind::kValue, kConfigured, "NAME",
       "Kubernetes context (kubectl deployer)", DEVLOOP_STRING_FLAG(kube_context)},
      {"kubeconfig", 0, Kind::kValue, kConfigured, "FILE",
       "Kubernetes config file (default: KUBECONFIG, then ~/.kube/config)",
       DEVLOOP_STRING_FLAG(kubeconfig)},
      {"kubectl", 0, Kind::kValue, kConfigured, "PATH",
       "The kubectl binary the kubectl deployer runs (default: kubectl on PATH)",
       DEVLOOP_STRING_FLAG(kubectl)},
      {"namespace", 'n', Kind::kValue, kConfigured, "NAME",
       "Kubernetes namespace (kubectl deployer)", DEVLOOP_STRING_FLAG(namespace_)},
      {"verbosity", 'v', Kind::kValue, kEvery, "LEVEL",
       "Log level: panic, fatal, error, warning, info, debug (commands and API calls), trace",
       [](absl::string_view flag, absl::string_view v, CliOptions* o) -> absl::Status {
         for (Verbosity level : {Verbosity::kPanic, Verbosity::kFatal, Verbosity::kError,
                                 Verbosity::kWarning, Verbosity::kInfo, Verbosity::kDebug,
                                 Verbosity::kTrace}) {
           if (absl::EqualsIgnoreCase(v, VerbosityName(level))) {
             o->verbosity = level;
             return absl::OkStatus();
           }
         }
         return BadValue(flag, v, "panic, fatal, error, warning, info, debug or trace");
       },
       [](const CliOptions& o) { return std::string(VerbosityName(o.verbosity)); }},
      {"update-check", 0, Kind::kBool, kEvery, "",
       "Accepted for compatibility; devloop never checks for updates",
       DEVLOOP_BOOL_FLAG(update_check)},
      {"interactive", 0, Kind::kBool, kEvery, "",
       "Accepted for compatibility; devloop never prompts", DEVLOOP_BOOL_FLAG(interactive)},
      {"help", 'h', Kind::kBool, kEvery, "", "Show this help", DEVLOOP_BOOL_FLAG(help)},
  };
  return *flags;
}

#undef DEVLOOP_BOOL_FLAG
#undef DEVLOOP_STRING_FLAG
#undef DEVLOOP_LIST_FLAG
#undef DEVLOOP_PORT_FLAG

// Edit distance, for "did you mean".
int Distance(absl::string_view a, absl::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Returns the candidate closest to `word` if it is close enough to be a typo.
std::optional<std::string> Closest(absl::string_view word,
                                   const std::vector<absl::string_view>& candidates) {
  std::optional<std::string> best;
  int best_distance = 0;
  for (absl::string_view c : candidates) {
    int d = Distance(word, c);
    bool prefix = word.size() >= 2 && absl::StartsWith(c, word);
    if (prefix) d = 1;
    int limit = c.size() >= 4 ? 2 : 1;
    if ((d <= limit || prefix) && (!best || d < best_distance)) {
      best = std::string(c);
      best_distance = d;
    }
  }
  return best;
}

const CommandInfo* InfoOf(Command command) {
  for (const CommandInfo& info : kCommands) {
    if (info.command == command) return &info;
  }
  return nullptr;
}

std::optional<Command> CommandByName(absl::string_view name) {
  for (const CommandInfo& info : kCommands) {
    if (CommandName(info.command) == name) return info.command;
  }
  return std::nullopt;
}

std::string CommandsTaking(const FlagSpec& flag) {
  std::vector<absl::string_view> names;
  for (const CommandInfo& info : kCommands) {
    if (flag.commands & Bit(info.command)) names.push_back(CommandName(info.command));
  }
  return absl::StrJoin(names, ", ");
}

std::string Invocation(Command command) {
  return command == Command::kNone ? "devloop" : absl::StrCat("devloop ", CommandName(command));
}

// A flag as it was written, and its value if it had one ("--x=v" or "-xv").
struct Written {
  std::string text;  // for messages: "--file-output", "-f"
  const FlagSpec* spec;
  std::optional<std::string> value;
};

absl::StatusOr<const FlagSpec*> FindFlag(absl::string_view name, bool is_short,
                                         absl::string_view text, Command command) {
  const FlagSpec* found = nullptr;
  for (const FlagSpec& f : Flags()) {
    bool match = is_short ? (f.shorthand != 0 && name.size() == 1 && name[0] == f.shorthand)
                          : f.name == name;
    if (!match) continue;
    // A shorthand may mean different flags for different commands (pflag allows
    // it); prefer the one the command takes.
    if (found == nullptr || (f.commands & Bit(command))) found = &f;
  }
  if (found == nullptr) {
    std::vector<absl::string_view> names;
    for (const FlagSpec& f : Flags()) {
      if (f.commands & Bit(command)) names.push_back(f.name);
    }
    std::string message = absl::StrFormat("unknown flag %s for \"%s\"", text, Invocation(command));
    if (std::optional<std::string> near = Closest(name, names); near && !is_short) {
      absl::StrAppend(&message, "; did you mean --", *near, "?");
    }
    absl::StrAppend(&message, " (see '", Invocation(command), " --help')");
    return absl::InvalidArgumentError(message);
  }
  return found;
}

}  // namespace

absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string>& args) {
  // Pass 1: find the command. Flags before it are resolved as if for no command,
  // so `devloop -v debug dev` works; values are applied once defaults are known.
  std::optional<Command> command;
  bool help_word = false;  // `devloop help [COMMAND]`
  std::vector<Written> written;
  std::vector<std::string> positional;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    Command context = command.value_or(Command::kNone);
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      if (!command && !help_word && arg == "help") {
        help_word = true;
        continue;
      }
      if (!command) {
        command = CommandByName(arg);
        if (!command) {
          std::vector<absl::string_view> names;
          for (const CommandInfo& info : kCommands) names.push_back(CommandName(info.command));
          std::string message = absl::StrFormat("unknown command \"%s\" for \"devloop\"", arg);
          if (std::optional<std::string> near = Closest(arg, names)) {
            absl::StrAppend(&message, "; did you mean \"", *near, "\"?");
          }
          absl::StrAppend(&message, " (see 'devloop --help')");
          return absl::InvalidArgumentError(message);
        }
        continue;
      }
      const CommandInfo* info = InfoOf(*command);
      if (info != nullptr && !info->argument.empty() && positional.empty()) {
        positional.emplace_back(arg);
        continue;
      }
      return absl::InvalidArgumentError(absl::StrFormat(
          "unexpected argument \"%s\" for \"%s\": %s", arg, Invocation(*command),
          info != nullptr && !info->argument.empty()
              ? absl::StrCat("it takes one argument, ", info->argument)
              : std::string("it takes no arguments")));
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    bool is_short = arg[1] != '-';
    absl::string_view body = arg.substr(is_short ? 1 : 2);
    std::optional<std::string> value;
    absl::string_view name = body;
    if (is_short) {
      name = body.substr(0, 1);
      absl::string_view rest = body.substr(1);
      if (absl::ConsumePrefix(&rest, "=") || !rest.empty()) value = std::string(rest);
    } else if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = std::string(body.substr(eq + 1));
    }
    std::string text = absl::StrCat(is_short ? "-" : "--", name);
    DEVLOOP_ASSIGN_OR_RETURN(const FlagSpec* spec, FindFlag(name, is_short, text, context));
    if (!value) {
      if (spec->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrFormat(
            "flag needs an argument: %s (%s)", text, spec->value_name));
      }
    }
    written.push_back({text, spec, value});
  }

  CliOptions options = DefaultOptions(command.value_or(Command::kNone));
  options.help = help_word;
  options.args = std::move(positional);
  for (Written& w : written) {
    if (!(w.spec->commands & Bit(options.command))) {
      // Written before the command, it was resolved without one: a flag some
      // commands define twice (--cleanup) gets the command's own spec.
      for (const FlagSpec& f : Flags()) {
        if (f.name == w.spec->name && f.shorthand == w.spec->shorthand &&
            (f.commands & Bit(options.command))) {
          w.spec = &f;
          break;
        }
      }
    }
    if (!(w.spec->commands & Bit(options.command))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "flag %s is not valid for \"%s\" (it is a flag of: %s)", w.text,
          Invocation(options.command), CommandsTaking(*w.spec)));
    }
    DEVLOOP_RETURN_IF_ERROR(w.spec->set(w.spec->name, *w.value, &options));
  }
  if (options.command == Command::kNone && !options.help) {
    return absl::InvalidArgumentError(
        "missing command: devloop needs one of dev, run, build, deploy, delete, diagnose, "
        "replay, exec, verify, test, version (see 'devloop --help')");
  }
  if (const CommandInfo* info = InfoOf(options.command);
      info != nullptr && !info->argument.empty() && options.args.empty() && !options.help) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" needs one argument, %s (see '%s --help')", Invocation(options.command),
        info->argument, Invocation(options.command)));
  }
  return options;
}

absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return ParseCommandLine(args);
}

void ApplyEnvironment(const std::map<std::string, std::string>& env, CliOptions* options) {
  if (options->default_repo.has_value()) return;
  if (auto it = env.find("SKAFFOLD_DEFAULT_REPO"); it != env.end()) {
    options->default_repo = it->second;
  }
}

std::string Usage(Command command) {
  std::string out;
  if (command == Command::kNone) {
    absl::StrAppend(&out,
                    "devloop: a fast inner loop for container development; reads skaffold.yaml "
                    "and serves the Skaffold v1 API.\n\nUsage: devloop COMMAND [flags]\n\n"
                    "Commands:\n");
    for (const CommandInfo& info : kCommands) {
      absl::StrAppend(&out, absl::StrFormat("  %-10s %s\n", CommandName(info.command), info.summary));
    }
    absl::StrAppend(&out, "\nRun 'devloop COMMAND --help' for a command's flags.\n");
    return out;
  }
  const CommandInfo* info = InfoOf(command);
  if (info != nullptr) absl::StrAppend(&out, info->summary, ".\n\n");
  absl::StrAppend(&out, "Usage: devloop ", CommandName(command));
  if (info != nullptr && !info->argument.empty()) absl::StrAppend(&out, " ", info->argument);
  absl::StrAppend(&out, " [flags]\n\n");
  if (command == Command::kReplay) {
    absl::StrAppend(
        &out,
        "FILE is an event log written by `devloop dev --event-log-file=FILE`, or the\n"
        "NDJSON of GET /v1/events (which lacks the auto-trigger and Execute records, so\n"
        "its State may differ in those). The records are folded by the dev loop's own\n"
        "reducer; a line that cannot be read is an error naming FILE:LINE.\n\n");
  }
  absl::StrAppend(&out, "Flags:\n");
  CliOptions defaults = DefaultOptions(command);
  for (const FlagSpec& f : Flags()) {
    if (!(f.commands & Bit(command))) continue;
    std::string names = f.shorthand != 0 ? absl::StrFormat("-%c, --%s", f.shorthand, f.name)
                                         : absl::StrCat("    --", f.name);
    if (!f.value_name.empty() && f.kind == Kind::kValue) absl::StrAppend(&names, " ", f.value_name);
    std::string shown = f.name == "help" ? "" : f.show(defaults);
    absl::StrAppend(&out, absl::StrFormat("  %-34s %s", names, f.help));
    if (!shown.empty()) absl::StrAppend(&out, " (default ", shown, ")");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace devloop::cli
