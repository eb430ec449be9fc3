// The composition root's side of stale-run removal (infra/deploy/run_registry.h,
// infra/deploy/docker/stale_runs.h): `devloop dev` records itself before it
// creates anything and forgets itself once nothing of it is left; `dev` and
// `run` first remove what dead runs of the same project left, saying so once.
//
//   deploy::RunRegistry registry(deploy::RunRegistry::DefaultDir());
//   RemoveDeadRuns(&console, docker, &runner, registry, project);
//   bool recorded = RecordRun(registry, run_id, project, "docker");
//   ... the run ...
//   ForgetRunIfClean(&console, docker, registry, run_id);
//
// Free functions: thread-safe.
#ifndef DEVLOOP_APPS_DEV_DEAD_RUNS_H_
#define DEVLOOP_APPS_DEV_DEAD_RUNS_H_

#include <string>

#include "apps/console/console.h"
#include "infra/deploy/run_registry.h"
#include "infra/docker/docker.h"
#include "infra/process/process_runner.h"

namespace devloop::apps {

// Removes the objects of `project`'s dead runs (a kubectl run's from its
// cluster too, with `runner` running kubectl) and prints one line saying what
// went (nothing when there were none). Failures are printed, never fatal.
void RemoveDeadRuns(console::Console* console, docker::Docker* docker,
                    process::ProcessRunner* runner, const deploy::RunRegistry& registry,
                    const std::string& project);

// Records this process as the owner of run `run_id`. Returns false (after a
// warning in the log) when it cannot: the run goes on, but what it leaves after
// a SIGKILL is then not found by the next run.
// A kubectl run also records its cluster (`kubeconfig`, `kube_context`: as
// its kubectl was told; empty for the defaults).
bool RecordRun(const deploy::RunRegistry& registry, const std::string& run_id,
               const std::string& project, const std::string& deployer,
               const std::string& kubeconfig = "", const std::string& kube_context = "");

// Forgets run `run_id` if the engine holds nothing of it any more; otherwise
// (or if the engine cannot tell) keeps the record for the next run, and says
// so. Returns whether the run was forgotten.
bool ForgetRunIfClean(console::Console* console, docker::Docker* docker,
                      const deploy::RunRegistry& registry, const std::string& run_id);

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_DEAD_RUNS_H_
