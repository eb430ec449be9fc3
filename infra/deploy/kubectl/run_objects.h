// Deleting what a dead kubectl run left in its cluster (the Docker side is
// infra/deploy/docker/stale_runs.h): every object that carries the run's
// `dev.devloop.run-id` label, whatever its kind and namespace. The run that
// made them is gone, so the kinds it applied are not known: every kind the API
// server lists and deletes is looked at.
//
//   KubectlCli kubectl(&runner, {.kubeconfig = record.kubeconfig, .context = record.kube_context});
//   DEVLOOP_ASSIGN_OR_RETURN(int deleted, DeleteRunObjects(kubectl, record.run_id));
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_RUN_OBJECTS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_RUN_OBJECTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "infra/deploy/kubectl/kubectl_cli.h"

namespace devloop::deploy::kubectl {

// Returns the `-l` selector of what run `run_id` created.
std::string RunSelector(const std::string& run_id);

// Deletes every object labelled with run `run_id` in every namespace (and
// the cluster-scoped ones), without waiting for them to go. Returns how many
// were deleted. Errors: kubectl's (kubectl_errors.h), phase cleanup.
absl::StatusOr<int> DeleteRunObjects(const KubectlCli& kubectl, const std::string& run_id);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_RUN_OBJECTS_H_
