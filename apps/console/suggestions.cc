#include "apps/console/suggestions.h"

namespace devloop::console {

using domain::StatusCode;

absl::string_view SuggestionFor(StatusCode code) {
  switch (code) {
    case StatusCode::kBuildPushAccessDenied:
      return "Check that you may push to the image's repository, or set --default-repo";
    case StatusCode::kBuildDockerDaemonNotRunning:
    case StatusCode::kBuildDockerUnavailable:
      return "Check if docker is running";
    case StatusCode::kBuildUserError:
      return "Fix the error in the Dockerfile or the build context, then save again";
    case StatusCode::kBuildDockerUnauthorized:
      return "Log in to the registry (docker login) or configure Docker's credentials";
    case StatusCode::kBuildDockerSystemErr:
    case StatusCode::kBuildDockerUnknown:
    case StatusCode::kBuildUnknown:
      return "Check the Docker daemon's health (docker info) and retry the build";
    case StatusCode::kBuildDockerErrorNotFound:
      return "Check that the base image exists locally: nothing can be pulled here";
    case StatusCode::kBuildDockerInvalidParamErr:
      return "Check the artifact's docker build settings (buildArgs, target, network)";
    case StatusCode::kBuildDockerfileNotFound:
      return "Check the artifact's context and dockerfile paths in skaffold.yaml";
    case StatusCode::kBuildDockerGetDigestErr:
      return "Retry the build; if it persists, check the Docker daemon";
    case StatusCode::kBuildCancelled:
    case StatusCode::kBuildDockerCancelled:
      return "";  // the user or a newer change cancelled it: nothing to fix
    case StatusCode::kBuildDockerDeadline:
      return "The build took too long: check the build's network access and the daemon's load";
    case StatusCode::kStatusCheckImagePullErr:
      return "Check that the image was built and that its name matches the deploy section";
    case StatusCode::kStatusCheckContainerCreating:
    case StatusCode::kStatusCheckPodInitializing:
    case StatusCode::kStatusCheckDeploymentRolloutPending:
      return "Wait, or raise --status-check-deadline if start-up is slow";
    case StatusCode::kStatusCheckRunContainerErr:
      return "Check the container's entrypoint and command";
    case StatusCode::kStatusCheckContainerTerminated:
    case StatusCode::kStatusCheckContainerRestarting:
      return "Check the container's logs: it exited";
    case StatusCode::kStatusCheckUnhealthy:
      return "Check the container's healthcheck and its logs";
    case StatusCode::kStatusCheckKubectlConnectionErr:
    case StatusCode::kDeployClusterConnectionErr:
      return "Check your connection to the cluster";
    case StatusCode::kStatusCheckKubectlPidKilled:
    case StatusCode::kStatusCheckKubectlClientFetchErr:
    case StatusCode::kStatusCheckDeploymentFetchErr:
      return "Check that kubectl works against the cluster (kubectl get pods)";
    case StatusCode::kStatusCheckDeadlineExceeded:
      return "Raise --status-check-deadline, or check why the container is not ready";
    case StatusCode::kStatusCheckUserCancelled:
    case StatusCode::kDeployCancelled:
      return "";
    case StatusCode::kDeployKubectlUserErr:
    case StatusCode::kDeployReadManifestErr:
    case StatusCode::kDeployListManifestErr:
    case StatusCode::kDeployParseManifestImagesErr:
    case StatusCode::kDeployReplaceImageErr:
    case StatusCode::kDeploySetLabelErr:
      return "Check the manifests listed in the deploy section";
    case StatusCode::kDeployKubectlVersionErr:
      return "Install a supported kubectl";
    case StatusCode::kDeployCleanupErr:
    case StatusCode::kDeployErrWaitingForDeletion:
    case StatusCode::kCleanupUnknown:
      return "Run 'devloop delete' to remove what is left";
    case StatusCode::kSyncInitError:
    case StatusCode::kSyncUnknown:
      return "Check the sync rules of the artifact; the next rebuild redeploys in full";
    case StatusCode::kDevInitRegisterBuildDeps:
    case StatusCode::kDevInitRegisterTestDeps:
    case StatusCode::kDevInitRegisterDeployDeps:
    case StatusCode::kDevInitRegisterConfigDep:
    case StatusCode::kInitCreateWatchTriggerError:
      return "Check that the watched paths exist and that the inotify limit is not exhausted";
    case StatusCode::kInitCreateTaggerError:
    case StatusCode::kInitCreateBuilderError:
    case StatusCode::kInitCreateDeployerError:
    case StatusCode::kInitCacheError:
    case StatusCode::kInitCreateArtifactDepError:
    case StatusCode::kInitUnknown:
    case StatusCode::kDevInitUnknown:
      return "Check skaffold.yaml (devloop diagnose prints what was read)";
    case StatusCode::kUnknownError:
    case StatusCode::kStatusCheckUnknown:
    case StatusCode::kStatusCheckUnknownUnschedulable:
    case StatusCode::kStatusCheckContainerWaitingUnknown:
    case StatusCode::kStatusCheckUnknownEvent:
    case StatusCode::kDeployUnknown:
    case StatusCode::kTestUnknown:
      return "Run again with -v debug to see the commands and API calls made";
    case StatusCode::kOk:
    case StatusCode::kStatusCheckSuccess:
    case StatusCode::kBuildSuccess:
    case StatusCode::kDeploySuccess:
    case StatusCode::kTestSuccess:
      return "";
  }
  return "";
}

}  // namespace devloop::console
