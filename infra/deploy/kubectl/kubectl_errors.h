// How a failed kubectl call reads to the user and the API: kubectl's stderr
// mapped to the Skaffold status code of the failure, with a suggestion of what
// to do, so the loop can report it and keep running.
//
//   absl::Status error = KubectlError(Phase::kDeploy, "applying manifests", argv,
//                                     /*exit_code=*/1, stderr_text);
//   domain::StatusCodeOr(error, ...);   // DEPLOY_CLUSTER_CONNECTION_ERR, ...
//
// Pure functions: thread-compatible.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_ERRORS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace devloop::deploy::kubectl {

// Which part of the loop called kubectl: the same failure has a deploy code or
// a status-check code.
enum class Phase { kDeploy, kStatusCheck, kCleanup };

// Returns the error for kubectl `argv` that exited with `exit_code` and printed
// `stderr_text`, while doing `what` ("applying manifests"). The status carries
// a Skaffold status code (domain/events/status_payload.h) and its message says
// what failed, kubectl's own words (last lines of stderr), and what to do:
//  - the API server cannot be reached ("connection refused", "Unable to connect
//    to the server", "dial tcp", "i/o timeout", "no such host", "TLS handshake
//    timeout"): Unavailable; DEPLOY_CLUSTER_CONNECTION_ERR, or
//    STATUSCHECK_KUBECTL_CONNECTION_ERR in the status check; suggest checking
//    the cluster is running and --kube-context/KUBECONFIG.
//  - credentials refused ("Unauthorized", "You must be logged in",
//    "forbidden"): PermissionDenied; DEPLOY_KUBECTL_USER_ERR (status check:
//    STATUSCHECK_KUBECTL_CLIENT_FETCH_ERR).
//  - an unknown context ("context was not found", "no context exists"):
//    InvalidArgument; DEPLOY_KUBECTL_USER_ERR; suggest `kubectl config
//    get-contexts`.
//  - manifests the server refused ("error validating", "is invalid", "error
//    parsing", "no matches for kind", "unknown field"): InvalidArgument;
//    DEPLOY_KUBECTL_USER_ERR.
// The rules apply in the order above, case-sensitively, and credentials come
// before manifests: a dead server or a 401 during validation reads "error
// validating ...: connection refused" / "...provide credentials", and a field
// error of an invalid manifest says "Forbidden:" (not RBAC's "is forbidden").
// kubectl's klog retry lines ("E1204 08:38:29.18 ... memcache.go:265] ...") are
// left out of the message when stderr says anything else.
//  - anything else: Internal; DEPLOY_KUBECTL_USER_ERR (status check:
//    STATUSCHECK_KUBECTL_CLIENT_FETCH_ERR; cleanup: DEPLOY_CLEANUP_ERR).
absl::Status KubectlError(Phase phase, absl::string_view what,
                          const std::vector<std::string>& argv, int exit_code,
                          absl::string_view stderr_text);

// Returns the error for kubectl that could not be started at all (`start` is
// the process runner's NotFound / PermissionDenied): FailedPrecondition with
// DEPLOY_KUBECTL_VERSION_ERR, naming the binary and suggesting installing
// kubectl or putting it on PATH (or, for PermissionDenied, making it
// executable). devloop has no flag naming the binary yet, so none is suggested.
absl::Status KubectlMissing(const std::string& binary, const absl::Status& start);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBECTL_ERRORS_H_
