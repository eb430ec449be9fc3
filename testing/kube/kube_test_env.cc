#include "testing/kube/kube_test_env.h"

#include <stdlib.h>

#include <sstream>

#include "absl/strings/str_cat.h"

namespace devloop::testing {
namespace {

std::string Env(const char* name) {
  const char* v = ::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

KubeTestCluster KubeTestCluster::FromEnvironment() {
  KubeTestCluster c;
  c.kubeconfig_ = Env("DEVLOOP_KUBECONFIG");
  c.registry_ = Env("DEVLOOP_REGISTRY");
  c.dir_ = Env("DEVLOOP_KUBE_DIR");
  return c;
}

absl::StatusOr<std::string> KubeTestCluster::Kubectl(std::vector<std::string> args) {
  args.insert(args.begin(), {"kubectl", "--kubeconfig=" + kubeconfig_});
  std::string out, err;
  process::ProcessSpec spec{.argv = args, .timeout = absl::Seconds(60)};
  spec.on_stdout = [&out](absl::string_view line) { absl::StrAppend(&out, line, "\n"); };
  spec.on_stderr = [&err](absl::string_view line) { absl::StrAppend(&err, line, "\n"); };
  absl::StatusOr<process::ExitStatus> exit = runner_.Run(spec);
  if (!exit.ok()) return exit.status();
  if (!exit->success()) {
    std::ostringstream status;
    status << *exit;
    return absl::InternalError(absl::StrCat("kubectl ", args[2], " failed (", status.str(),
                                            "): ", err));
  }
  return out;
}

}  // namespace devloop::testing
