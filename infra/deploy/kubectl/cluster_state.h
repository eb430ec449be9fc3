// What the cluster says of a run's workloads, read from `kubectl get -o json`
// answers, in the domain's terms: one ResourceObservation per applied workload
// for the status check (as `kubectl rollout status` judges a rollout, plus the
// diagnosis of its pods), and the pods behind each workload for port forwards,
// logs and sync.
//
//   // kubectl get deployments,statefulsets,replicasets,pods -l dev.devloop.run-id=3f2a9c01 -o json
//   DEVLOOP_ASSIGN_OR_RETURN(json::Json list, json::Json::Parse(answer));
//   std::vector<domain::ResourceObservation> seen =
//       ObserveWorkloads(list, {{"Deployment", "web", "default"}}, /*events=*/{});
//   std::vector<PodInfo> pods = PodsOf(list, {"Deployment", "web", "default"});
//
// Pure functions over values: thread-compatible.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_CLUSTER_STATE_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_CLUSTER_STATE_H_

#include <ostream>
#include <string>
#include <vector>

#include "domain/pipeline/status_check.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/json/json.h"

namespace devloop::deploy::kubectl {

// A workload the run applied.
struct Workload {
  std::string kind;  // "Deployment", "StatefulSet", "Pod" (others are not checked)
  std::string name;
  std::string namespace_name;
  bool operator==(const Workload&) const = default;
};

// The API's name of a workload: "deployment/web", "statefulset/db", "pod/job-x".
std::string ResourceName(const Workload& workload);

// Returns one observation per workload in `workloads`, in order, named by
// ResourceName:
//  - Deployment: ready when the rollout is complete, judged as `kubectl rollout
//    status` does: observedGeneration >= generation, then updatedReplicas >=
//    spec.replicas, status.replicas <= updatedReplicas (no old replica left)
//    and availableReplicas >= updatedReplicas; until then ready_replicas counts
//    the newest ReplicaSet's available replicas (below desired).
//    desired_replicas is spec.replicas (default 1); min_ready is
//    spec.minReadySeconds. A Progressing condition with reason
//    ProgressDeadlineExceeded (of the observed generation: a stale one from the
//    last rollout is ignored) reads as waiting_reason "ProgressDeadlineExceeded"
//    whatever the pods say; its message is the condition's, followed by
//    " Its pods: <reason>: <message>" when the pods give a diagnosis.
//  - StatefulSet: ready when observedGeneration >= generation, readyReplicas >=
//    spec.replicas (default 1) and updateRevision == currentRevision (the
//    generation check keeps the last finished rollout from passing for this
//    one); min_ready is spec.minReadySeconds.
//  - Pod: ready when its Ready condition is True; phase Failed or Succeeded reads
//    as terminated with the exit code and reason of the first terminated
//    container that failed (containers before initContainers), else of the
//    first terminated one (a completed init container must not hide the
//    failure), else status.reason ("Evicted") with exit code 0.
//  - any other kind: ready (1 of 1) when present; it is not checked.
// The diagnosis comes from the workload's current pods (for a Deployment, those
// of its newest ReplicaSet, by the deployment.kubernetes.io/revision annotation;
// for a StatefulSet, those whose controller-revision-hash is updateRevision;
// terminating pods are ignored), read oldest first (the pod that has had the
// longest to show its trouble speaks first): the first container (initContainers
// first) that is waiting gives waiting_reason/message ("ImagePullBackOff",
// "CrashLoopBackOff", ...); else a pod the scheduler refused (PodScheduled
// False, reason Unschedulable) gives waiting_reason "Unschedulable" with the
// scheduler's message; else a running container that is not ready and has an
// `Unhealthy` event in `events` (involvedObject the pod, by name, namespace and
// uid) gives waiting_reason "Unhealthy" with the latest such event's message.
// restart_count is the highest of any container, exit_code that of its last
// termination.
// A workload that is not in `list` reads as terminated with terminated_reason
// "NotFound" (it was deleted behind devloop's back).
// `list`: a `kind: List` answer holding the workloads, their ReplicaSets and
// pods (other kinds are ignored); ownerReferences are matched by uid. `events`:
// a `kind: List` of Events of the namespace, or null.
std::vector<domain::ResourceObservation> ObserveWorkloads(const json::Json& list,
                                                          const std::vector<Workload>& workloads,
                                                          const json::Json& events);

// A pod behind a workload.
struct PodInfo {
  std::string name;
  std::string namespace_name;
  bool ready = false;      // condition Ready is True
  bool running = false;    // phase Running
  bool current = true;     // of the workload's newest ReplicaSet / revision
  bool terminating = false;  // metadata.deletionTimestamp is set
  struct Container {
    std::string name;
    std::string image;  // as in the pod spec
    bool operator==(const Container&) const = default;
  };
  std::vector<Container> containers;  // spec.containers, in order (not init containers)
  std::string created;  // metadata.creationTimestamp, RFC 3339 (sorts by time)
  bool operator==(const PodInfo&) const = default;
};

// Returns the pods of `workload` in `list` (for a Deployment: the pods of its
// ReplicaSets, found through ownerReferences; a StatefulSet: pods it owns; a
// Pod: itself), newest first.
std::vector<PodInfo> PodsOf(const json::Json& list, const Workload& workload);

// Returns the workloads among `objects` that the status check follows, with
// `default_namespace` filled in where the manifest named none: Deployments,
// StatefulSets (of the apps API group) and Pods (core), in order, each once.
// (Jobs, DaemonSets, custom resources that reuse a kind's name and the rest are
// applied but not checked, as in Skaffold.)
std::vector<Workload> CheckedWorkloads(const std::vector<ObjectRef>& objects,
                                       const std::string& default_namespace);

// Printers, so a failing test shows the values: {Deployment default/web},
// {web-7c5d8f9b4d-x2x9z ready running current web=127.0.0.1:5000/web:3f2a ...}.
std::ostream& operator<<(std::ostream& os, const Workload& workload);
std::ostream& operator<<(std::ostream& os, const PodInfo& pod);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_CLUSTER_STATE_H_
