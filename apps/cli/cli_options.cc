#include "apps/cli/cli_options.h"

#include "absl/strings/str_join.h"

namespace devloop::cli {

CliOptions DefaultOptions(Command command) {
  CliOptions o;
  o.command = command;
  if (command == Command::kDev || command == Command::kDebug) {
    // `skaffold dev` is the interactive loop: it follows logs, forwards the
    // ports the config asks for, and serves the API IDEs follow. `debug` is
    // the same loop, and forwards the debuggers' ports too.
    o.enable_rpc = true;
    o.tail = true;
    o.port_forward = {"user"};
    if (command == Command::kDebug) o.port_forward.push_back("debug");
    o.disable_multi_platform_build = true;
  }
  o.check_cluster_node_platforms =
      command == Command::kDev || command == Command::kDebug || command == Command::kRun;
  return o;
}

absl::string_view CommandName(Command command) {
  switch (command) {
    case Command::kNone: return "";
    case Command::kDev: return "dev";
    case Command::kRun: return "run";
    case Command::kBuild: return "build";
    case Command::kDeploy: return "deploy";
    case Command::kDelete: return "delete";
    case Command::kDiagnose: return "diagnose";
    case Command::kReplay: return "replay";
    case Command::kVersion: return "version";
    case Command::kExec: return "exec";
    case Command::kVerify: return "verify";
    case Command::kTest: return "test";
    case Command::kDebug: return "debug";
  }
  return "";
}

absl::string_view TriggerName(Trigger trigger) {
  switch (trigger) {
    case Trigger::kNotify: return "notify";
    case Trigger::kPolling: return "polling";
    case Trigger::kManual: return "manual";
  }
  return "";
}

absl::string_view VerbosityName(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::kPanic: return "panic";
    case Verbosity::kFatal: return "fatal";
    case Verbosity::kError: return "error";
    case Verbosity::kWarning: return "warning";
    case Verbosity::kInfo: return "info";
    case Verbosity::kDebug: return "debug";
    case Verbosity::kTrace: return "trace";
  }
  return "";
}

absl::string_view ReplayOutputName(ReplayOutput output) {
  switch (output) {
    case ReplayOutput::kJson: return "json";
    case ReplayOutput::kTable: return "table";
  }
  return "";
}

std::ostream& operator<<(std::ostream& os, Command command) {
  absl::string_view name = CommandName(command);
  return os << (name.empty() ? "(none)" : name);
}

std::ostream& operator<<(std::ostream& os, const CliOptions& o) {
  return os << "{command=" << o.command << " help=" << o.help << " args=["
            << absl::StrJoin(o.args, ",") << "] filename=" << o.filename
            << " profiles=[" << absl::StrJoin(o.profiles, ",") << "] modules=["
            << absl::StrJoin(o.modules, ",")
            << "] default_repo=" << o.default_repo.value_or("<unset>")
            << " tag=" << o.tag << " kube_context=" << o.kube_context
            << " kubeconfig=" << o.kubeconfig << " kubectl=" << o.kubectl
            << " namespace=" << o.namespace_ << " trigger=" << TriggerName(o.trigger)
            << " watch_poll_interval=" << o.watch_poll_interval << " auto_build=" << o.auto_build
            << " auto_sync=" << o.auto_sync << " auto_deploy=" << o.auto_deploy
            << " port_forward=[" << absl::StrJoin(o.port_forward, ",") << "] tail=" << o.tail
            << " status_check=" << o.status_check
            << " status_check_deadline=" << o.status_check_deadline << " cleanup=" << o.cleanup
            << " skip_tests=" << o.skip_tests
            << " enable_rpc=" << o.enable_rpc << " rpc_port=" << o.rpc_port
            << " rpc_http_port=" << o.rpc_http_port << " rpc_bind_address=" << o.rpc_bind_address
            << " event_log_file=" << o.event_log_file
            << " replay_output=" << ReplayOutputName(o.replay_output)
            << " cache_artifacts=" << o.cache_artifacts << " push=" << o.push
            << " file_output=" << o.file_output << " build_artifacts=" << o.build_artifacts
            << " images=[" << absl::StrJoin(o.images, ",") << "]"
            << " platforms=[" << absl::StrJoin(o.platforms, ",") << "]"
            << " check_cluster_node_platforms=" << o.check_cluster_node_platforms
            << " disable_multi_platform_build=" << o.disable_multi_platform_build
            << " verbosity=" << VerbosityName(o.verbosity) << " update_check=" << o.update_check
            << " interactive=" << o.interactive << "}";
}

}  // namespace devloop::cli
