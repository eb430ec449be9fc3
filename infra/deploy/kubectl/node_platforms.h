// The platforms of a cluster's nodes, for the build to target
// (config::ArtifactPlatforms): what `kubectl get nodes -o json` says each
// node runs.
//
//   KubectlCli kubectl(&runner, options);
//   absl::StatusOr<std::vector<std::string>> p = ClusterNodePlatforms(kubectl);
//   // {"linux/amd64", "linux/arm64"} on a mixed cluster
//
// Thread-safe (ClusterNodePlatforms as KubectlCli is; NodePlatforms is pure).
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_NODE_PLATFORMS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_NODE_PLATFORMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/json/json.h"

namespace devloop::deploy::kubectl {

// Returns the platforms of the nodes of `nodes` (a NodeList, or the List
// kubectl prints), in config::ParsePlatform's normal form, sorted, each once.
// A node's platform is its status.nodeInfo operatingSystem/architecture, as
// its kubelet reports them; where those are missing, its kubernetes.io/os and
// kubernetes.io/arch labels (the beta.kubernetes.io/ ones on old clusters). A
// node that says neither is left out, and so is one whose platform does not
// parse. No nodes: an empty list. InvalidArgument when `nodes` has no items
// list.
absl::StatusOr<std::vector<std::string>> NodePlatforms(const json::Json& nodes);

// Runs `kubectl get nodes -o json` with `kubectl`'s connection flags and
// returns NodePlatforms of its answer. Errors: kubectl's (KubectlMissing,
// KubectlError: no cluster, no permission to list nodes), or InvalidArgument
// for an answer that is not a node list.
absl::StatusOr<std::vector<std::string>> ClusterNodePlatforms(
    const KubectlCli& kubectl, absl::Duration timeout = absl::Seconds(10));

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_NODE_PLATFORMS_H_
