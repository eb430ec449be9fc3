#include "infra/deploy/kubectl/kubectl_cli.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "infra/log/log.h"
#include "infra/log/redact.h"

namespace devloop::deploy::kubectl {

std::vector<std::string> KubectlCli::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {options_.binary};
  if (!options_.kubeconfig.empty()) argv.push_back("--kubeconfig=" + options_.kubeconfig);
  if (!options_.context.empty()) argv.push_back("--context=" + options_.context);
  argv.push_back(absl::StrCat("--request-timeout=",
                              absl::ToInt64Seconds(options_.request_timeout), "s"));
  argv.insert(argv.end(), options_.global_flags.begin(), options_.global_flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

absl::StatusOr<std::string> KubectlCli::Run(Phase phase, absl::string_view what,
                                            const std::vector<std::string>& args,
                                            std::optional<std::string> stdin_data,
                                            absl::Duration timeout) const {
  // The callbacks run on the runner's thread for this process, one at a time.
  std::string out, err;
  process::ProcessSpec spec;
  spec.argv = Argv(args);
  spec.stdin_data = std::move(stdin_data);
  spec.timeout = timeout;
  spec.on_stdout = [&out](absl::string_view line) { absl::StrAppend(&out, line, "\n"); };
  spec.on_stderr = [&err](absl::string_view line) { absl::StrAppend(&err, line, "\n"); };
  DEVLOOP_VLOG(1) << "kubectl: " << what << ": " << log::DescribeCommand(spec.argv);
  absl::StatusOr<process::ExitStatus> exit = runner_->Run(spec);
  if (!exit.ok()) return KubectlMissing(options_.binary, exit.status());
  if (!exit->success()) {
    if (exit->timed_out) absl::StrAppend(&err, "kubectl ran longer than ", absl::FormatDuration(timeout));
    return KubectlError(phase, what, spec.argv, exit->exit_code, err);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<process::Process>> KubectlCli::Start(
    const std::vector<std::string>& args, process::LineCallback on_stdout,
    process::LineCallback on_stderr) const {
  process::ProcessSpec spec;
  spec.argv = Argv(args);
  spec.on_stdout = std::move(on_stdout);
  spec.on_stderr = std::move(on_stderr);
  spec.kill_grace = absl::Seconds(1);
  DEVLOOP_VLOG(1) << "kubectl: starting " << log::DescribeCommand(spec.argv);
  absl::StatusOr<std::unique_ptr<process::Process>> process = runner_->Start(spec);
  if (!process.ok()) return KubectlMissing(options_.binary, process.status());
  return process;
}

}  // namespace devloop::deploy::kubectl
