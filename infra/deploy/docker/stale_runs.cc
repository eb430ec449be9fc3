#include "infra/deploy/docker/stale_runs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "infra/deploy/labels.h"
#include "infra/log/log.h"

namespace devloop::deploy {
namespace {

std::string Count(int n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

absl::Status RemoveRunObjects(docker::Docker* docker, const std::string& run_id,
                              RemovedObjects* removed) {
  absl::Status first;
  auto keep = [&first](const absl::Status& s) {
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound && first.ok()) first = s;
    return s.ok();
  };
  // Containers first: the engine refuses to remove a network or an image in use.
  absl::StatusOr<std::vector<docker::ContainerSummary>> containers =
      docker->ListContainers(kRunIdLabel, run_id);
  if (keep(containers.status())) {
    for (const docker::ContainerSummary& c : *containers) {
      if (keep(docker->Remove(c.id, /*force=*/true))) ++removed->containers;
    }
  }
  absl::StatusOr<std::vector<std::string>> networks = docker->ListNetworks(kRunIdLabel, run_id);
  if (keep(networks.status())) {
    for (const std::string& n : *networks) {
      if (keep(docker->RemoveNetwork(n))) ++removed->networks;
    }
  }
  absl::StatusOr<std::vector<std::string>> images = docker->ListImages(kRunIdLabel, run_id);
  if (keep(images.status())) {
    for (const std::string& id : *images) {
      if (keep(docker->RemoveImage(id, /*force=*/true))) ++removed->images;
    }
  }
  // `devloop debug`'s debugger support volumes.
  absl::StatusOr<std::vector<std::string>> volumes = docker->ListVolumes(kRunIdLabel, run_id);
  if (keep(volumes.status())) {
    for (const std::string& v : *volumes) {
      if (keep(docker->RemoveVolume(v))) ++removed->volumes;
    }
  }
  return first;
}

absl::StatusOr<bool> RunObjectsLeft(docker::Docker* docker, const std::string& run_id) {
  absl::StatusOr<std::vector<docker::ContainerSummary>> containers =
      docker->ListContainers(kRunIdLabel, run_id);
  if (!containers.ok()) return containers.status();
  if (!containers->empty()) return true;
  absl::StatusOr<std::vector<std::string>> networks = docker->ListNetworks(kRunIdLabel, run_id);
  if (!networks.ok()) return networks.status();
  if (!networks->empty()) return true;
  absl::StatusOr<std::vector<std::string>> images = docker->ListImages(kRunIdLabel, run_id);
  if (!images.ok()) return images.status();
  if (!images->empty()) return true;
  absl::StatusOr<std::vector<std::string>> volumes = docker->ListVolumes(kRunIdLabel, run_id);
  if (!volumes.ok()) return volumes.status();
  return !volumes->empty();
}

absl::StatusOr<StaleRunSweep> SweepDeadRuns(docker::Docker* docker, const RunRegistry& registry,
                                            const std::string& project,
                                            const ClusterRemover& remove_from_cluster) {
  absl::StatusOr<std::vector<RunRecord>> dead = registry.DeadRuns(project);
  if (!dead.ok()) return dead.status();
  StaleRunSweep sweep;
  sweep.cluster_swept = remove_from_cluster != nullptr;
  for (RunRecord& run : *dead) {
    absl::Status s = RemoveRunObjects(docker, run.run_id, &sweep.removed);
    if (s.ok() && run.deployer == "kubectl" && remove_from_cluster) {
      absl::StatusOr<int> deleted = remove_from_cluster(run);
      if (deleted.ok()) {
        sweep.removed.cluster_objects += *deleted;
      } else {
        s = deleted.status();
      }
    }
    if (!s.ok()) {
      DEVLOOP_LOG(WARNING) << "removing what run " << run.run_id << " left: " << s;
      sweep.failed_run_ids.push_back(run.run_id);
      if (sweep.first_error.ok()) sweep.first_error = s;
      continue;
    }
    absl::Status forgotten = registry.Forget(run.run_id);
    if (!forgotten.ok()) DEVLOOP_LOG(WARNING) << forgotten;
    sweep.runs.push_back(std::move(run));
  }
  return sweep;
}

std::string DescribeSweep(const StaleRunSweep& sweep) {
  std::string text;
  if (!sweep.runs.empty()) {
    std::vector<std::string> runs;
    std::vector<std::string> kubectl_runs;
    for (const RunRecord& r : sweep.runs) {
      runs.push_back(absl::StrCat("run ", r.run_id, ", pid ", r.owner.pid));
      if (r.deployer == "kubectl") kubectl_runs.push_back(r.run_id);
    }
    const RemovedObjects& n = sweep.removed;
    const bool cluster = sweep.cluster_swept && !kubectl_runs.empty();
    text = absl::StrCat("Removed ", Count(n.containers, "container", "containers"), ", ",
                        Count(n.networks, "network", "networks"), cluster ? ", " : " and ",
                        Count(n.images, "image", "images"),
                        n.volumes > 0 ? absl::StrCat(" (and ", Count(n.volumes, "debugger volume",
                                                                      "debugger volumes"), ")")
                                      : "",
                        cluster ? absl::StrCat(" and ", Count(n.cluster_objects, "Kubernetes object",
                                                              "Kubernetes objects"))
                                : "",
                        " left by ",
                        sweep.runs.size() == 1 ? "an earlier devloop run" : "earlier devloop runs",
                        " (", absl::StrJoin(runs, "; "), ") that ended without cleaning up");
    if (!sweep.cluster_swept) {
      for (const std::string& id : kubectl_runs) {
        absl::StrAppend(&text, "; its Kubernetes objects are not removed: `kubectl delete all -l ",
                        kRunIdLabel, "=", id, "`");
      }
    }
  }
  if (!sweep.failed_run_ids.empty()) {
    absl::StrAppend(&text, text.empty() ? "" : "\n", "Could not remove what earlier run(s) ",
                    absl::StrJoin(sweep.failed_run_ids, ", "),
                    " left: ", sweep.first_error.message(), " (the next devloop will try again)");
  }
  return text;
}

}  // namespace devloop::deploy
