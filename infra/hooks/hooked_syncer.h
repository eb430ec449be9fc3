// HookedSyncer: a Syncer that runs an artifact's sync hooks
// (build.artifacts[].sync.hooks) around each sync of it, on any deployer:
// the before hooks, the sync, then the after hooks, each list in its order.
// A `host` hook runs on this machine (HostHooks) with the process environment plus
//
//   SKAFFOLD_IMAGE                     the reference that runs
//   SKAFFOLD_BUILD_CONTEXT             the artifact's context, absolute
//   SKAFFOLD_FILES_ADDED_OR_MODIFIED   the synced files, absolute, ';'-separated
//   SKAFFOLD_FILES_DELETED             the deleted ones, likewise
//
// (plus `env`: SKAFFOLD_KUBE_CONTEXT and SKAFFOLD_NAMESPACES on Kubernetes);
// a `container` hook runs in every container of the deployment that runs the
// artifact, through the deployer's ContainerExec. A failing hook fails the
// sync (SYNC_UNKNOWN, the contract's one sync failure code) with its output:
// the loop then reports the sync failed, as for a failed copy.
//
//   HookedSyncer syncer(deployer, deployer, &host_hooks,
//                       {.artifacts = {{"web", {.after = ..., .context_dir = "/src/web"}}},
//                        .on_output = print});
//
// Thread-safe when the base syncer and exec are.
#ifndef DEVLOOP_INFRA_HOOKS_HOOKED_SYNCER_H_
#define DEVLOOP_INFRA_HOOKS_HOOKED_SYNCER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/config/config.h"
#include "infra/deploy/deployer.h"
#include "infra/hooks/host_hooks.h"

namespace devloop::hooks {

struct ArtifactSyncHooks {
  std::vector<config::SyncHook> before;  // host hooks' dirs absolute
  std::vector<config::SyncHook> after;
  std::string context_dir;  // absolute: SKAFFOLD_BUILD_CONTEXT
};

class HookedSyncer final : public deploy::Syncer {
 public:
  struct Options {
    // Artifact image -> its hooks; other images are synced without any.
    std::map<std::string, ArtifactSyncHooks> artifacts;
    // More variables for host hooks (SKAFFOLD_KUBE_CONTEXT, SKAFFOLD_NAMESPACES).
    std::map<std::string, std::string> env;
    // Each line a hook prints ("[after-sync hook] ...").
    std::function<void(absl::string_view line)> on_output;
  };

  // `base`, `exec` and `hooks` must outlive this.
  HookedSyncer(deploy::Syncer* base, deploy::ContainerExec* exec, const HostHooks* hooks,
               Options options);

  absl::Status Sync(int64_t deploy_id, const std::string& image,
                    const deploy::SyncRequest& request) override;

 private:
  absl::Status RunHooks(const std::vector<config::SyncHook>& hooks, const std::string& phase,
                        int64_t deploy_id, const std::string& image, const HookRun& run);

  deploy::Syncer* const base_;
  deploy::ContainerExec* const exec_;
  const HostHooks* const hooks_;
  const Options options_;
};

}  // namespace devloop::hooks

#endif  // DEVLOOP_INFRA_HOOKS_HOOKED_SYNCER_H_
