#include "apps/dev/dead_runs.h"

#include "absl/strings/str_cat.h"
#include "infra/deploy/docker/stale_runs.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/run_objects.h"
#include "infra/log/log.h"

namespace devloop::apps {

void RemoveDeadRuns(console::Console* console, docker::Docker* docker,
                    process::ProcessRunner* runner, const deploy::RunRegistry& registry,
                    const std::string& project) {
  auto from_cluster = [runner](const deploy::RunRecord& run) -> absl::StatusOr<int> {
    deploy::kubectl::KubectlCli kubectl(
        runner, {.kubeconfig = run.kubeconfig, .context = run.kube_context});
    return deploy::kubectl::DeleteRunObjects(kubectl, run.run_id);
  };
  absl::StatusOr<deploy::StaleRunSweep> sweep =
      deploy::SweepDeadRuns(docker, registry, project, from_cluster);
  if (!sweep.ok()) {
    DEVLOOP_LOG(WARNING) << "looking for what earlier runs left: " << sweep.status();
    return;
  }
  const std::string said = deploy::DescribeSweep(*sweep);
  if (!said.empty()) console->Info(said);
}

bool RecordRun(const deploy::RunRegistry& registry, const std::string& run_id,
               const std::string& project, const std::string& deployer,
               const std::string& kubeconfig, const std::string& kube_context) {
  absl::StatusOr<deploy::RunOwner> owner = deploy::CurrentOwner();
  absl::Status recorded =
      owner.ok() ? registry.Record({.run_id = run_id,
                                    .project = project,
                                    .deployer = deployer,
                                    .kubeconfig = kubeconfig,
                                    .kube_context = kube_context,
                                    .owner = *owner})
                 : owner.status();
  if (!recorded.ok()) {
    DEVLOOP_LOG(WARNING) << "cannot record run " << run_id << " in " << registry.dir() << ": "
                         << recorded << " (if this run is killed, what it made is not found "
                         << "by the next one)";
    return false;
  }
  return true;
}

bool ForgetRunIfClean(console::Console* console, docker::Docker* docker,
                      const deploy::RunRegistry& registry, const std::string& run_id) {
  absl::StatusOr<bool> left = deploy::RunObjectsLeft(docker, run_id);
  if (!left.ok() || *left) {
    console->Info(absl::StrCat(
        "Some of what this run made may be left (",
        left.ok() ? "the engine still lists it" : std::string(left.status().message()),
        "): the next `devloop dev` or `devloop run` of this project removes it"));
    return false;
  }
  absl::Status forgotten = registry.Forget(run_id);
  if (!forgotten.ok()) DEVLOOP_LOG(WARNING) << forgotten;
  return forgotten.ok();
}

}  // namespace devloop::apps
