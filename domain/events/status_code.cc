#include "domain/events/status_code.h"

namespace devloop::domain {
namespace {

constexpr StatusCode kAll[] = {
    StatusCode::kOk,
    StatusCode::kStatusCheckSuccess,
    StatusCode::kBuildSuccess,
    StatusCode::kDeploySuccess,
    StatusCode::kTestSuccess,
    StatusCode::kBuildPushAccessDenied,
    StatusCode::kBuildDockerDaemonNotRunning,
    StatusCode::kBuildUserError,
    StatusCode::kBuildDockerUnavailable,
    StatusCode::kBuildDockerUnauthorized,
    StatusCode::kBuildDockerSystemErr,
    StatusCode::kBuildDockerErrorNotFound,
    StatusCode::kBuildDockerInvalidParamErr,
    StatusCode::kBuildDockerfileNotFound,
    StatusCode::kBuildDockerGetDigestErr,
    StatusCode::kStatusCheckImagePullErr,
    StatusCode::kStatusCheckContainerCreating,
    StatusCode::kStatusCheckRunContainerErr,
    StatusCode::kStatusCheckContainerTerminated,
    StatusCode::kStatusCheckDeploymentRolloutPending,
    StatusCode::kStatusCheckContainerRestarting,
    StatusCode::kStatusCheckUnhealthy,
    StatusCode::kStatusCheckKubectlConnectionErr,
    StatusCode::kStatusCheckKubectlPidKilled,
    StatusCode::kStatusCheckKubectlClientFetchErr,
    StatusCode::kStatusCheckDeploymentFetchErr,
    StatusCode::kStatusCheckPodInitializing,
    StatusCode::kUnknownError,
    StatusCode::kStatusCheckUnknown,
    StatusCode::kStatusCheckUnknownUnschedulable,
    StatusCode::kStatusCheckContainerWaitingUnknown,
    StatusCode::kDeployUnknown,
    StatusCode::kSyncUnknown,
    StatusCode::kBuildUnknown,
    StatusCode::kDevInitUnknown,
    StatusCode::kCleanupUnknown,
    StatusCode::kStatusCheckUnknownEvent,
    StatusCode::kInitUnknown,
    StatusCode::kBuildDockerUnknown,
    StatusCode::kTestUnknown,
    StatusCode::kSyncInitError,
    StatusCode::kDevInitRegisterBuildDeps,
    StatusCode::kDevInitRegisterTestDeps,
    StatusCode::kDevInitRegisterDeployDeps,
    StatusCode::kDevInitRegisterConfigDep,
    StatusCode::kStatusCheckUserCancelled,
    StatusCode::kStatusCheckDeadlineExceeded,
    StatusCode::kBuildCancelled,
    StatusCode::kDeployCancelled,
    StatusCode::kBuildDockerCancelled,
    StatusCode::kBuildDockerDeadline,
    StatusCode::kInitCreateTaggerError,
    StatusCode::kInitCreateBuilderError,
    StatusCode::kInitCreateDeployerError,
    StatusCode::kInitCacheError,
    StatusCode::kInitCreateWatchTriggerError,
    StatusCode::kInitCreateArtifactDepError,
    StatusCode::kDeployClusterConnectionErr,
    StatusCode::kDeployCleanupErr,
    StatusCode::kDeployErrWaitingForDeletion,
    StatusCode::kDeployReadManifestErr,
    StatusCode::kDeployListManifestErr,
    StatusCode::kDeployKubectlUserErr,
    StatusCode::kDeployReplaceImageErr,
    StatusCode::kDeploySetLabelErr,
    StatusCode::kDeployParseManifestImagesErr,
    StatusCode::kDeployKubectlVersionErr,
};

}  // namespace

absl::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kStatusCheckSuccess:
      return "STATUSCHECK_SUCCESS";
    case StatusCode::kBuildSuccess:
      return "BUILD_SUCCESS";
    case StatusCode::kDeploySuccess:
      return "DEPLOY_SUCCESS";
    case StatusCode::kTestSuccess:
      return "TEST_SUCCESS";
    case StatusCode::kBuildPushAccessDenied:
      return "BUILD_PUSH_ACCESS_DENIED";
    case StatusCode::kBuildDockerDaemonNotRunning:
      return "BUILD_DOCKER_DAEMON_NOT_RUNNING";
    case StatusCode::kBuildUserError:
      return "BUILD_USER_ERROR";
    case StatusCode::kBuildDockerUnavailable:
      return "BUILD_DOCKER_UNAVAILABLE";
    case StatusCode::kBuildDockerUnauthorized:
      return "BUILD_DOCKER_UNAUTHORIZED";
    case StatusCode::kBuildDockerSystemErr:
      return "BUILD_DOCKER_SYSTEM_ERR";
    case StatusCode::kBuildDockerErrorNotFound:
      return "BUILD_DOCKER_ERROR_NOT_FOUND";
    case StatusCode::kBuildDockerInvalidParamErr:
      return "BUILD_DOCKER_INVALID_PARAM_ERR";
    case StatusCode::kBuildDockerfileNotFound:
      return "BUILD_DOCKERFILE_NOT_FOUND";
    case StatusCode::kBuildDockerGetDigestErr:
      return "BUILD_DOCKER_GET_DIGEST_ERR";
    case StatusCode::kStatusCheckImagePullErr:
      return "STATUSCHECK_IMAGE_PULL_ERR";
    case StatusCode::kStatusCheckContainerCreating:
      return "STATUSCHECK_CONTAINER_CREATING";
    case StatusCode::kStatusCheckRunContainerErr:
      return "STATUSCHECK_RUN_CONTAINER_ERR";
    case StatusCode::kStatusCheckContainerTerminated:
      return "STATUSCHECK_CONTAINER_TERMINATED";
    case StatusCode::kStatusCheckDeploymentRolloutPending:
      return "STATUSCHECK_DEPLOYMENT_ROLLOUT_PENDING";
    case StatusCode::kStatusCheckContainerRestarting:
      return "STATUSCHECK_CONTAINER_RESTARTING";
    case StatusCode::kStatusCheckUnhealthy:
      return "STATUSCHECK_UNHEALTHY";
    case StatusCode::kStatusCheckKubectlConnectionErr:
      return "STATUSCHECK_KUBECTL_CONNECTION_ERR";
    case StatusCode::kStatusCheckKubectlPidKilled:
      return "STATUSCHECK_KUBECTL_PID_KILLED";
    case StatusCode::kStatusCheckKubectlClientFetchErr:
      return "STATUSCHECK_KUBECTL_CLIENT_FETCH_ERR";
    case StatusCode::kStatusCheckDeploymentFetchErr:
      return "STATUSCHECK_DEPLOYMENT_FETCH_ERR";
    case StatusCode::kStatusCheckPodInitializing:
      return "STATUSCHECK_POD_INITIALIZING";
    case StatusCode::kUnknownError:
      return "UNKNOWN_ERROR";
    case StatusCode::kStatusCheckUnknown:
      return "STATUSCHECK_UNKNOWN";
    case StatusCode::kStatusCheckUnknownUnschedulable:
      return "STATUSCHECK_UNKNOWN_UNSCHEDULABLE";
    case StatusCode::kStatusCheckContainerWaitingUnknown:
      return "STATUSCHECK_CONTAINER_WAITING_UNKNOWN";
    case StatusCode::kDeployUnknown:
      return "DEPLOY_UNKNOWN";
    case StatusCode::kSyncUnknown:
      return "SYNC_UNKNOWN";
    case StatusCode::kBuildUnknown:
      return "BUILD_UNKNOWN";
    case StatusCode::kDevInitUnknown:
      return "DEVINIT_UNKNOWN";
    case StatusCode::kCleanupUnknown:
      return "CLEANUP_UNKNOWN";
    case StatusCode::kStatusCheckUnknownEvent:
      return "STATUSCHECK_UNKNOWN_EVENT";
    case StatusCode::kInitUnknown:
      return "INIT_UNKNOWN";
    case StatusCode::kBuildDockerUnknown:
      return "BUILD_DOCKER_UNKNOWN";
    case StatusCode::kTestUnknown:
      return "TEST_UNKNOWN";
    case StatusCode::kSyncInitError:
      return "SYNC_INIT_ERROR";
    case StatusCode::kDevInitRegisterBuildDeps:
      return "DEVINIT_REGISTER_BUILD_DEPS";
    case StatusCode::kDevInitRegisterTestDeps:
      return "DEVINIT_REGISTER_TEST_DEPS";
    case StatusCode::kDevInitRegisterDeployDeps:
      return "DEVINIT_REGISTER_DEPLOY_DEPS";
    case StatusCode::kDevInitRegisterConfigDep:
      return "DEVINIT_REGISTER_CONFIG_DEP";
    case StatusCode::kStatusCheckUserCancelled:
      return "STATUSCHECK_USER_CANCELLED";
    case StatusCode::kStatusCheckDeadlineExceeded:
      return "STATUSCHECK_DEADLINE_EXCEEDED";
    case StatusCode::kBuildCancelled:
      return "BUILD_CANCELLED";
    case StatusCode::kDeployCancelled:
      return "DEPLOY_CANCELLED";
    case StatusCode::kBuildDockerCancelled:
      return "BUILD_DOCKER_CANCELLED";
    case StatusCode::kBuildDockerDeadline:
      return "BUILD_DOCKER_DEADLINE";
    case StatusCode::kInitCreateTaggerError:
      return "INIT_CREATE_TAGGER_ERROR";
    case StatusCode::kInitCreateBuilderError:
      return "INIT_CREATE_BUILDER_ERROR";
    case StatusCode::kInitCreateDeployerError:
      return "INIT_CREATE_DEPLOYER_ERROR";
    case StatusCode::kInitCacheError:
      return "INIT_CACHE_ERROR";
    case StatusCode::kInitCreateWatchTriggerError:
      return "INIT_CREATE_WATCH_TRIGGER_ERROR";
    case StatusCode::kInitCreateArtifactDepError:
      return "INIT_CREATE_ARTIFACT_DEP_ERROR";
    case StatusCode::kDeployClusterConnectionErr:
      return "DEPLOY_CLUSTER_CONNECTION_ERR";
    case StatusCode::kDeployCleanupErr:
      return "DEPLOY_CLEANUP_ERR";
    case StatusCode::kDeployErrWaitingForDeletion:
      return "DEPLOY_ERR_WAITING_FOR_DELETION";
    case StatusCode::kDeployReadManifestErr:
      return "DEPLOY_READ_MANIFEST_ERR";
    case StatusCode::kDeployListManifestErr:
      return "DEPLOY_LIST_MANIFEST_ERR";
    case StatusCode::kDeployKubectlUserErr:
      return "DEPLOY_KUBECTL_USER_ERR";
    case StatusCode::kDeployReplaceImageErr:
      return "DEPLOY_REPLACE_IMAGE_ERR";
    case StatusCode::kDeploySetLabelErr:
      return "DEPLOY_SET_LABEL_ERR";
    case StatusCode::kDeployParseManifestImagesErr:
      return "DEPLOY_PARSE_MANIFEST_IMAGES_ERR";
    case StatusCode::kDeployKubectlVersionErr:
      return "DEPLOY_KUBECTL_VERSION_ERR";
  }
  return "";
}

absl::string_view SuggestionCodeName(SuggestionCode code) {
  switch (code) {
    case SuggestionCode::kNil:
      return "NIL";
    case SuggestionCode::kAddDefaultRepo:
      return "ADD_DEFAULT_REPO";
    case SuggestionCode::kCheckDefaultRepo:
      return "CHECK_DEFAULT_REPO";
    case SuggestionCode::kDockerAuthConfigure:
      return "DOCKER_AUTH_CONFIGURE";
    case SuggestionCode::kCheckDockerRunning:
      return "CHECK_DOCKER_RUNNING";
    case SuggestionCode::kFixUserBuildErr:
      return "FIX_USER_BUILD_ERR";
    case SuggestionCode::kDockerBuildRetry:
      return "DOCKER_BUILD_RETRY";
    case SuggestionCode::kFixSkaffoldConfigDockerfile:
      return "FIX_SKAFFOLD_CONFIG_DOCKERFILE";
    case SuggestionCode::kCheckClusterConnection:
      return "CHECK_CLUSTER_CONNECTION";
    case SuggestionCode::kInstallKubectl:
      return "INSTALL_KUBECTL";
    case SuggestionCode::kCheckContainerLogs:
      return "CHECK_CONTAINER_LOGS";
    case SuggestionCode::kCheckReadinessProbe:
      return "CHECK_READINESS_PROBE";
    case SuggestionCode::kCheckContainerImage:
      return "CHECK_CONTAINER_IMAGE";
    case SuggestionCode::kCheckHostConnection:
      return "CHECK_HOST_CONNECTION";
    case SuggestionCode::kOpenIssue:
      return "OPEN_ISSUE";
  }
  return "";
}

const StatusCode* AllStatusCodes(int* count) {
  *count = sizeof(kAll) / sizeof(kAll[0]);
  return kAll;
}

}  // namespace devloop::domain
