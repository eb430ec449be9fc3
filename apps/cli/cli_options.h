// The options of one devloop command line, as a plain value.
//
// Produced by ParseCommandLine() (parser.h) and handed to the composition root,
// which turns them into the option structs of the layers below (STYLE.md: flags
// exist only in apps/; everything below takes option structs). Field names and
// defaults follow Skaffold's flags, so scripts written for `skaffold dev` carry
// over; DefaultOptions(command) gives each command's defaults.
//
//   CliOptions o = DefaultOptions(Command::kDev);
//   o.rpc_port;                 // 50051
//   o.status_check_deadline;    // absl::Minutes(10)
//
// Value type: thread-compatible.
#ifndef DEVLOOP_APPS_CLI_CLI_OPTIONS_H_
#define DEVLOOP_APPS_CLI_CLI_OPTIONS_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::cli {

enum class Command {
  kNone, kDev, kRun, kBuild, kDeploy, kDelete, kDiagnose, kReplay, kVersion, kExec, kVerify,
  kTest,
  kDebug  // dev with every container under its language's debugger
};

// What `devloop replay` prints on stdout (-o/--output).
enum class ReplayOutput { kJson, kTable };

// How changes are noticed (--trigger).
enum class Trigger { kNotify, kPolling, kManual };

// --verbosity levels, Skaffold's (logrus) names.
enum class Verbosity { kPanic, kFatal, kError, kWarning, kInfo, kDebug, kTrace };

struct CliOptions {
  Command command = Command::kNone;
  bool help = false;  // --help / -h / `devloop help CMD`: print Usage(command), exit 0
  // Positional arguments: replay's FILE, exec's ACTION.
  std::vector<std::string> args;

  // Which configuration.
  std::string filename = "skaffold.yaml";  // -f/--filename
  std::vector<std::string> profiles;       // -p/--profile, repeated or comma-separated
  std::vector<std::string> modules;        // -m/--module
  // -d/--default-repo, else SKAFFOLD_DEFAULT_REPO (ApplyEnvironment); unset and
  // "" both mean none, but "" given on the command line also hides the env var.
  std::optional<std::string> default_repo;
  std::string tag;                         // -t/--tag: overrides the tag policy
  std::string kube_context;                // --kube-context (kubectl deployer)
  std::string kubeconfig;                  // --kubeconfig; empty: KUBECONFIG or ~/.kube/config
  std::string kubectl = "kubectl";         // --kubectl: the kubectl binary (PATH lookup)
  std::string namespace_;                  // -n/--namespace

  // The dev loop's triggers.
  Trigger trigger = Trigger::kNotify;
  // Polling interval for --trigger=polling. Skaffold's default; the notify
  // watcher ignores it (its own quiet period is 20 ms).
  absl::Duration watch_poll_interval = absl::Seconds(1);
  bool auto_build = true;
  bool auto_sync = true;
  bool auto_deploy = true;

  // After deploying.
  // --port-forward modes, each once, among "user", "services", "pods", "debug";
  // empty = off. The parser turns `true` into {user, services}.
  std::vector<std::string> port_forward;
  bool tail = false;
  bool status_check = true;
  absl::Duration status_check_deadline = absl::Minutes(10);
  bool cleanup = true;  // remove what this run deployed on exit (dev, run)
  bool skip_tests = false;  // --skip-tests (dev, run): skaffold.yaml `test` does not run

  // The API.
  bool enable_rpc = false;
  int rpc_port = 50051;       // gRPC
  int rpc_http_port = 50052;  // JSON over HTTP
  std::string rpc_bind_address = "127.0.0.1";
  // --event-log-file (dev): every record of the log, as JSON lines, as appended.
  std::string event_log_file;

  // Replaying (`devloop replay FILE`).
  ReplayOutput replay_output = ReplayOutput::kJson;  // -o/--output

  // Building.
  bool cache_artifacts = true;  // skip builds whose input digest was already built
  bool push = false;            // --push (build)
  std::string file_output;      // --file-output (build): JSON of built images
  std::string build_artifacts;  // -a/--build-artifacts (deploy, exec, verify, test): that JSON
  std::vector<std::string> images;  // --images (deploy): image references to deploy
  // --platform (dev, debug, run, build): the target platforms, normalized
  // ("linux/amd64"), repeated or comma-separated; empty: build.platforms.
  std::vector<std::string> platforms;
  // --check-cluster-node-platforms: build for the platforms of the cluster's
  // nodes (config::ArtifactPlatforms). On by default for dev, debug and run,
  // which deploy what they build.
  bool check_cluster_node_platforms = false;
  // --disable-multi-platform-build: of several target platforms, build one.
  // On by default for dev and debug, to keep the loop fast.
  bool disable_multi_platform_build = false;

  // Console and compatibility.
  Verbosity verbosity = Verbosity::kWarning;
  bool update_check = true;  // accepted; devloop never checks for updates
  bool interactive = true;   // accepted; devloop never prompts

  bool operator==(const CliOptions&) const = default;
};

// Returns the defaults of `command`: Skaffold's, plus dev's RPC, tail and
// port-forward on.
CliOptions DefaultOptions(Command command);

// Returns the command's name as typed ("dev"), or "" for kNone.
absl::string_view CommandName(Command command);
absl::string_view TriggerName(Trigger trigger);
absl::string_view VerbosityName(Verbosity verbosity);
absl::string_view ReplayOutputName(ReplayOutput output);

std::ostream& operator<<(std::ostream& os, Command command);
std::ostream& operator<<(std::ostream& os, const CliOptions& options);

}  // namespace devloop::cli

#endif  // DEVLOOP_APPS_CLI_CLI_OPTIONS_H_
