// Status codes and suggestion codes of the Skaffold v1 API, as domain values.
//
// The numbers are the wire numbers of proto.StatusCode and proto.SuggestionCode,
// so the transports convert with a static_cast (a test in infra/apimap checks every
// value against the generated enum).
#ifndef DEVLOOP_DOMAIN_EVENTS_STATUS_CODE_H_
#define DEVLOOP_DOMAIN_EVENTS_STATUS_CODE_H_

#include <ostream>

#include "absl/strings/string_view.h"

namespace devloop::domain {

enum class StatusCode : int {
  kOk = 0,
  kStatusCheckSuccess = 200,
  kBuildSuccess = 201,
  kDeploySuccess = 202,
  kTestSuccess = 203,
  kBuildPushAccessDenied = 101,
  kBuildDockerDaemonNotRunning = 103,
  kBuildUserError = 104,
  kBuildDockerUnavailable = 105,
  kBuildDockerUnauthorized = 106,
  kBuildDockerSystemErr = 107,
  kBuildDockerErrorNotFound = 113,
  kBuildDockerInvalidParamErr = 114,
  kBuildDockerfileNotFound = 115,
  kBuildDockerGetDigestErr = 117,
  kStatusCheckImagePullErr = 300,
  kStatusCheckContainerCreating = 301,
  kStatusCheckRunContainerErr = 302,
  kStatusCheckContainerTerminated = 303,
  kStatusCheckDeploymentRolloutPending = 304,
  kStatusCheckContainerRestarting = 356,
  kStatusCheckUnhealthy = 357,
  kStatusCheckKubectlConnectionErr = 409,
  kStatusCheckKubectlPidKilled = 410,
  kStatusCheckKubectlClientFetchErr = 411,
  kStatusCheckDeploymentFetchErr = 412,
  kStatusCheckPodInitializing = 451,
  kUnknownError = 500,
  kStatusCheckUnknown = 501,
  kStatusCheckUnknownUnschedulable = 502,
  kStatusCheckContainerWaitingUnknown = 503,
  kDeployUnknown = 504,
  kSyncUnknown = 505,
  kBuildUnknown = 506,
  kDevInitUnknown = 507,
  kCleanupUnknown = 508,
  kStatusCheckUnknownEvent = 509,
  kInitUnknown = 510,
  kBuildDockerUnknown = 511,
  kTestUnknown = 512,
  kSyncInitError = 601,
  kDevInitRegisterBuildDeps = 701,
  kDevInitRegisterTestDeps = 702,
  kDevInitRegisterDeployDeps = 703,
  kDevInitRegisterConfigDep = 704,
  kStatusCheckUserCancelled = 800,
  kStatusCheckDeadlineExceeded = 801,
  kBuildCancelled = 802,
  kDeployCancelled = 803,
  kBuildDockerCancelled = 804,
  kBuildDockerDeadline = 805,
  kInitCreateTaggerError = 901,
  kInitCreateBuilderError = 904,
  kInitCreateDeployerError = 905,
  kInitCacheError = 907,
  kInitCreateWatchTriggerError = 908,
  kInitCreateArtifactDepError = 909,
  kDeployClusterConnectionErr = 1001,
  kDeployCleanupErr = 1003,
  kDeployErrWaitingForDeletion = 1011,
  kDeployReadManifestErr = 1012,
  kDeployListManifestErr = 1014,
  kDeployKubectlUserErr = 1015,
  kDeployReplaceImageErr = 1017,
  kDeploySetLabelErr = 1019,
  kDeployParseManifestImagesErr = 1021,
  kDeployKubectlVersionErr = 1109,
};

enum class SuggestionCode : int {
  kNil = 0,
  kAddDefaultRepo = 100,
  kCheckDefaultRepo = 101,
  kDockerAuthConfigure = 104,
  kCheckDockerRunning = 106,
  kFixUserBuildErr = 107,
  kDockerBuildRetry = 108,
  kFixSkaffoldConfigDockerfile = 110,
  kCheckClusterConnection = 201,
  kInstallKubectl = 220,
  kCheckContainerLogs = 301,
  kCheckReadinessProbe = 302,
  kCheckContainerImage = 303,
  kCheckHostConnection = 408,
  kOpenIssue = 900,
};

// Returns the wire name of `code` ("BUILD_USER_ERROR"), or "" for a number the
// contract does not list.
absl::string_view StatusCodeName(StatusCode code);
absl::string_view SuggestionCodeName(SuggestionCode code);

// Returns every status code the contract lists, in declaration order.
const StatusCode* AllStatusCodes(int* count);

inline std::ostream& operator<<(std::ostream& os, StatusCode code) {
  absl::string_view name = StatusCodeName(code);
  if (name.empty()) return os << "StatusCode(" << static_cast<int>(code) << ")";
  return os << name;
}

inline std::ostream& operator<<(std::ostream& os, SuggestionCode code) {
  absl::string_view name = SuggestionCodeName(code);
  if (name.empty()) return os << "SuggestionCode(" << static_cast<int>(code) << ")";
  return os << name;
}

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_EVENTS_STATUS_CODE_H_
