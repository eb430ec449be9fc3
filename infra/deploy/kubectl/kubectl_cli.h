// KubectlCli: runs the real `kubectl` binary for the kubectl deployer, with the
// run's connection flags (--kubeconfig, --context, config's global flags) on
// every call, and turns a failed call into an error the user can act on
// (kubectl_errors.h).
//
//   KubectlCli kubectl(&runner, {.kubeconfig = "/tmp/kube/kubeconfig"});
//   DEVLOOP_ASSIGN_OR_RETURN(std::string out,
//       kubectl.Run(Phase::kDeploy, "applying manifests", {"apply", "-f", "-"}, yaml));
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<process::Process> logs,
//       kubectl.Start({"logs", "-f", "pod/web-1"}, on_line, nullptr));
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_CLI_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_CLI_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "infra/deploy/kubectl/kubectl_errors.h"
#include "infra/process/process_runner.h"

namespace devloop::deploy::kubectl {

struct KubectlOptions {
  std::string binary = "kubectl";  // looked up in PATH unless it holds a '/'
  std::string kubeconfig;          // --kubeconfig; empty: KUBECONFIG or ~/.kube/config
  std::string context;             // --context; empty: the kubeconfig's current one
  std::vector<std::string> global_flags;  // deploy.kubectl.flags.global
  // How long one request to the API server may take (--request-timeout).
  absl::Duration request_timeout = absl::Seconds(20);
};

class KubectlCli {
 public:
  // `runner` must outlive the CLI.
  KubectlCli(process::ProcessRunner* runner, KubectlOptions options)
      : runner_(runner), options_(std::move(options)) {}

  // Returns the full argv for `args`: the binary, the connection flags, `args`.
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;

  // Runs kubectl with `args` (and `stdin_data` on its stdin) to the end and
  // returns its stdout. Errors: KubectlMissing when kubectl cannot be started;
  // KubectlError(phase, what, ...) when it fails or runs past `timeout`.
  absl::StatusOr<std::string> Run(Phase phase, absl::string_view what,
                                  const std::vector<std::string>& args,
                                  std::optional<std::string> stdin_data = std::nullopt,
                                  absl::Duration timeout = absl::Minutes(2)) const;

  // Starts a kubectl that runs until cancelled (port-forward, logs -f); its
  // output goes to the callbacks line by line. Errors: KubectlMissing.
  absl::StatusOr<std::unique_ptr<process::Process>> Start(const std::vector<std::string>& args,
                                                          process::LineCallback on_stdout,
                                                          process::LineCallback on_stderr) const;

  const KubectlOptions& options() const { return options_; }

 private:
  process::ProcessRunner* const runner_;
  const KubectlOptions options_;
};

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_CLI_H_
