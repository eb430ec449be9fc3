// What tests on the test cluster share: the cluster testing/kube/
// with_kube_cluster.sh brought up (its kubeconfig, registry and directory, from
// the environment) and kubectl run against it.
//
//   KubeTestCluster cluster = KubeTestCluster::FromEnvironment();
//   absl::StatusOr<std::string> out = cluster.Kubectl({"get", "pods", "-A"});
//
// Thread-compatible.
#ifndef DEVLOOP_TESTING_KUBE_KUBE_TEST_ENV_H_
#define DEVLOOP_TESTING_KUBE_KUBE_TEST_ENV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::testing {

class KubeTestCluster {
 public:
  // Reads DEVLOOP_KUBECONFIG, DEVLOOP_REGISTRY and DEVLOOP_KUBE_DIR; each is
  // empty when the test was not run through with_kube_cluster.sh.
  static KubeTestCluster FromEnvironment();

  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& registry() const { return registry_; }  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }

  // Runs `kubectl --kubeconfig=... ARGS` (60 s at most) and returns its stdout;
  // Internal with the exit status and stderr when it fails.
  absl::StatusOr<std::string> Kubectl(std::vector<std::string> args);

 private:
  std::string kubeconfig_, registry_, dir_;
  process::PosixProcessRunner runner_;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_KUBE_KUBE_TEST_ENV_H_
