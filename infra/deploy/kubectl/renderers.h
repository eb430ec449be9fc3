// Manifests that other tools render: `kubectl kustomize DIR` for kustomize
// overlays (manifests.kustomize, deploy.kustomize) and `helm template` for
// charts (manifests.helm, deploy.helm). Each returns a ManifestSource that
// Render (manifests.h) then takes like a file, so images and labels are handled
// in one place. Programs run from argv through the ProcessRunner port, never
// through a shell.
//
//   PosixProcessRunner runner;
//   DEVLOOP_ASSIGN_OR_RETURN(
//       ManifestSource kustomized,
//       RenderKustomize(&runner, {.context = "kind"}, "overlays/dev",
//                       {.base_dir = config.directory}));
//   DEVLOOP_ASSIGN_OR_RETURN(
//       ManifestSource chart,
//       RenderHelm(&runner, {.path = helm_path}, config.deploy.helm->releases[0],
//                  {{"web", "web:3f2a@sha256:..."}}, {.base_dir = config.directory}));
//   DEVLOOP_ASSIGN_OR_RETURN(Rendered r, Render({kustomized, chart}, options));
//
// A release's createNamespace is not acted on here: the deployer runs
// `kubectl create namespace` (HelmRelease::create_namespace) before applying.
// A chart whose Chart.yaml lists dependencies gets `helm dependency build`
// first (local file:// ones work offline), unless the release says
// skipBuildDependencies.
//
// Thread-safe: free functions that keep no state; the runner must be thread-safe
// (every ProcessRunner is).
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_RENDERERS_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_RENDERERS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "domain/config/config.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/process/process_runner.h"

namespace devloop::deploy::kubectl {

// How to run helm.
struct HelmBinary {
  std::string path = "helm";  // looked up in PATH unless it holds a '/'
  std::map<std::string, std::string> env;  // added to devloop's environment
  absl::Duration timeout = absl::Minutes(2);
};

struct KustomizeOptions {
  // What a relative `dir` is relative to (the config's directory); empty: the
  // current directory.
  std::string base_dir;
  std::vector<std::string> build_args;  // KustomizeDeploy::build_args
  absl::Duration timeout = absl::Minutes(2);
};

// Runs `kubectl CONNECTION_FLAGS kustomize BUILD_ARGS DIR` (the flags every
// KubectlCli call takes, from `kubectl`; kustomize ignores them, as it never
// calls the API server) in options.base_dir and returns
// ManifestSource{"kustomize DIR", its output}. Errors: InvalidArgument naming
// `dir` with the last lines of kubectl's stderr when it fails; DeadlineExceeded
// after options.timeout; the runner's NotFound / PermissionDenied when kubectl
// cannot be started.
absl::StatusOr<ManifestSource> RenderKustomize(process::ProcessRunner* runner,
                                               const KubectlOptions& kubectl,
                                               const std::string& dir,
                                               const KustomizeOptions& options = {});

struct HelmOptions {
  // What the release's chartPath and valuesFiles are relative to (the
  // config's directory); empty: the current directory.
  std::string base_dir;
  // Variables setValueTemplates see besides the images' (the environment, as
  // Skaffold passes it); an image's variable wins over one of the same name.
  std::map<std::string, std::string> env;
};

// Returns the variables setValueTemplates see for `images` (artifact image ->
// the reference its build returned, "gcr.io/x/web:v1@sha256:ab"), per artifact:
//   IMAGE_FULLY_QUALIFIED_<N>  gcr.io/x/web:v1@sha256:ab
//   IMAGE_REPO_<N>             gcr.io/x/web
//   IMAGE_TAG_<N>              v1
//   IMAGE_DIGEST_<N>           sha256:ab
//   IMAGE_DOMAIN_<N>           gcr.io  (SplitImageDomain)
//   IMAGE_REPO_NO_DOMAIN_<N>   x/web
// where N is the artifact's image name with each character other than a
// letter, digit or '_' written '_': once as Skaffold spells it ("gcr_io_x_web",
// case kept) and once upper-cased ("GCR_IO_X_WEB").
// Splits an image name (no tag or digest) into {domain, the rest} as Skaffold
// does for IMAGE_DOMAIN_/IMAGE_REPO_NO_DOMAIN_: the domain is the first of two
// or more '/'-separated parts when that part reads as a host (DNS labels, or a
// bracketed IPv6 address, with an optional ":port"), without Docker's
// normalization, so "gcr.io/x/web" -> {"gcr.io", "x/web"}, "localhost:5000/web"
// -> {"localhost:5000", "web"}, "team/web" -> {"team", "web"} and "web" ->
// {"", "web"}.
std::pair<std::string, std::string> SplitImageDomain(absl::string_view name);

std::map<std::string, std::string> HelmImageValues(
    const std::map<std::string, std::string>& images);

// Returns the argv of `helm template` for `release`:
//   HELM template NAME CHART [--version V] [--namespace NS] [-f FILE]...
//        [--set KEY=VALUE]...   (setValues, then setValueTemplates evaluated)
// with ',' and '\' in values escaped for helm's --set parser. InvalidArgument
// (naming the release and the key) for a setValueTemplates entry that does not
// parse, or that reads an IMAGE_* variable no built image provides (a typo
// would otherwise deploy "<no value>").
absl::StatusOr<std::vector<std::string>> HelmTemplateArgv(
    const HelmBinary& helm, const config::HelmRelease& release,
    const std::map<std::string, std::string>& images, const HelmOptions& options = {});

// Runs HelmTemplateArgv(...) in options.base_dir and returns
// ManifestSource{"helm release NAME", its output}. Errors: HelmTemplateArgv's;
// InvalidArgument naming the release with the last lines of helm's stderr when
// it fails; DeadlineExceeded after helm.timeout; the runner's NotFound /
// PermissionDenied when helm cannot be started.
absl::StatusOr<ManifestSource> RenderHelm(process::ProcessRunner* runner, const HelmBinary& helm,
                                          const config::HelmRelease& release,
                                          const std::map<std::string, std::string>& images,
                                          const HelmOptions& options = {});

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_RENDERERS_H_
