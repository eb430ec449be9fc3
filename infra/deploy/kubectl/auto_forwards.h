// The port forwards `--port-forward=services` and `--port-forward=pods` add to
// a deployment, chosen from what the run applied and what the cluster says of
// it. Pure: the deployer reads the cluster, this decides.
//
//   std::vector<AutoForward> add = AutoForwards(
//       {.services = true}, applied_objects, cluster_list_of_the_namespace, user_forwards);
//   // -> service/web:80 (local port 80, or the next free one when it is taken)
//
// What is forwarded, as in Skaffold:
//  - services: every TCP port of every Service the deployment applied that
//    selects pods (not ExternalName, not selector-less), local port = the
//    Service's port.
//  - pods: every TCP containerPort of the pods of every workload the
//    deployment applied and the status check follows (Deployment,
//    StatefulSet, Pod), local port = the container port. One forward per
//    workload, container and port: it reaches the workload's newest ready pod
//    and moves to its replacement, so the local port stays when pods are
//    replaced. The API reports it as resourceType "pod", named after the pod.
//  - a forward a user portForward entry already makes (the same Service and
//    port; the same workload and container port) is not made twice.
// Each AutoForward has a key that stays the same across deployments, so a
// redeploy keeps its local port.
//
// Thread-compatible (pure functions over values).
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_AUTO_FORWARDS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_AUTO_FORWARDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "infra/deploy/deployer.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/json/json.h"

namespace devloop::deploy::kubectl {

// --port-forward's modes that forward without a portForward entry.
struct AutoForwardModes {
  bool services = false;
  bool pods = false;
  bool any() const { return services || pods; }
  bool operator==(const AutoForwardModes&) const = default;
};

struct AutoForward {
  // "service/<namespace>/<name>:<port>" or
  // "<kind>/<namespace>/<workload>/<container>:<port>": the same forward in
  // every deployment of the run.
  std::string key;
  // What the deployer points: resourceType service, or the workload's kind
  // (deployment, statefulset, pod) for --port-forward=pods. local_port is the
  // remote port (the next free one is taken when it is in use).
  PortForwardSpec spec;
  // --port-forward=pods: reported as resourceType "pod", named after the pod
  // the forward reaches.
  bool report_as_pod = false;
  bool operator==(const AutoForward&) const = default;
};

std::ostream& operator<<(std::ostream& os, const AutoForward& forward);

// Returns the forwards `modes` add for a deployment that applied `applied`
// (namespaces filled in), each once: the Services' ports, then the pods',
// each in the order of `applied`. `cluster` is
// a List of the run's objects (kubectl get -o json) in one or more
// namespaces: only the applied objects found in it count (their ports are
// read there). `user` are the portForward entries, namespaces filled in.
std::vector<AutoForward> AutoForwards(const AutoForwardModes& modes,
                                      const std::vector<ObjectRef>& applied,
                                      const json::Json& cluster,
                                      const std::vector<PortForwardSpec>& user);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_AUTO_FORWARDS_H_
