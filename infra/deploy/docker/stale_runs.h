// Removing what a dead run left on the local Docker Engine.
//
// A run that ends without cleaning up (SIGKILL, a crash, a forced exit) leaves
// its containers, its network and its images, all labelled with its run id
// (labels.h). The next `devloop dev` or `run` of the same project finds such
// runs in the RunRegistry (run_registry.h), removes their objects by that
// label, and forgets them. Runs whose owner still lives, or cannot be judged
// from here, are not touched.
//
//   DEVLOOP_ASSIGN_OR_RETURN(StaleRunSweep swept,
//       SweepDeadRuns(&docker, registry, project));
//   if (!swept.run_ids.empty()) console.Info(DescribeSweep(swept));
//
// Free functions: thread-safe (as the Docker port is).
#ifndef DEVLOOP_INFRA_DEPLOY_DOCKER_STALE_RUNS_H_
#define DEVLOOP_INFRA_DEPLOY_DOCKER_STALE_RUNS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "infra/deploy/run_registry.h"
#include "infra/docker/docker.h"

namespace devloop::deploy {

// How many objects carrying one or more run ids were removed.
struct RemovedObjects {
  int containers = 0;
  int networks = 0;
  int images = 0;
  int volumes = 0;          // debugger support volumes
  int cluster_objects = 0;  // a kubectl run's Kubernetes objects
  bool empty() const {
    return containers == 0 && networks == 0 && images == 0 && cluster_objects == 0;
  }
};

// Removes every container (forcibly), then network, then image labelled with
// run `run_id`, and nothing else. Keeps going past errors; returns what it
// removed in `removed` and the first error.
absl::Status RemoveRunObjects(docker::Docker* docker, const std::string& run_id,
                              RemovedObjects* removed);

// Returns whether anything labelled with run `run_id` is still on the engine.
absl::StatusOr<bool> RunObjectsLeft(docker::Docker* docker, const std::string& run_id);

struct StaleRunSweep {
  std::vector<RunRecord> runs;  // the dead runs whose objects are gone now
  RemovedObjects removed;
  bool cluster_swept = false;  // kubectl runs' clusters were swept too
  // Dead runs whose objects could not all be removed (kept in the registry,
  // for the next run to try again), with the first error.
  std::vector<std::string> failed_run_ids;
  absl::Status first_error;
};

// Removes what dead kubectl run `run` left in its cluster; returns how many
// objects went.
using ClusterRemover = std::function<absl::StatusOr<int>(const RunRecord& run)>;

// Finds the runs of `project` in `registry` whose owner is dead, removes
// their objects from `docker` (and, for a kubectl run, from its cluster with
// `remove_from_cluster` when set) and forgets them. A run whose removal failed
// is kept for a later sweep. Returns an error only when the registry cannot be
// read.
absl::StatusOr<StaleRunSweep> SweepDeadRuns(docker::Docker* docker, const RunRegistry& registry,
                                            const std::string& project,
                                            const ClusterRemover& remove_from_cluster = nullptr);

// Returns the one console line that tells what a sweep did: "Removed 1
// container, 1 network and 2 images left by an earlier devloop run (run
// 3f2a9c01, pid 4242) that ended without cleaning up". Empty if it found no
// dead run.
std::string DescribeSweep(const StaleRunSweep& sweep);

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_DOCKER_STALE_RUNS_H_
