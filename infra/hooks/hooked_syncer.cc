#include "infra/hooks/hooked_syncer.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"

namespace devloop::hooks {

HookedSyncer::HookedSyncer(deploy::Syncer* base, deploy::ContainerExec* exec,
                           const HostHooks* hooks, Options options)
    : base_(base), exec_(exec), hooks_(hooks), options_(std::move(options)) {}

absl::Status HookedSyncer::Sync(int64_t deploy_id, const std::string& image,
                                const deploy::SyncRequest& request) {
  auto it = options_.artifacts.find(image);
  if (it == options_.artifacts.end() || (it->second.before.empty() && it->second.after.empty())) {
    return base_->Sync(deploy_id, image, request);
  }
  const ArtifactSyncHooks& artifact = it->second;
  // Each file once, though it may go to several places.
  std::vector<std::string> changed;
  std::set<std::string> seen;
  for (const deploy::SyncRequest::Copy& c : request.copies) {
    if (seen.insert(c.host_path).second) changed.push_back(c.host_path);
  }
  HookRun run{.env = options_.env,
              .on_output = options_.on_output,
              .failure_code = domain::StatusCode::kSyncUnknown,
              .subject = absl::StrCat("of artifact ", image)};
  run.env["SKAFFOLD_IMAGE"] = request.reference.empty() ? image : request.reference;
  run.env["SKAFFOLD_BUILD_CONTEXT"] = artifact.context_dir;
  run.env["SKAFFOLD_FILES_ADDED_OR_MODIFIED"] = absl::StrJoin(changed, ";");
  run.env["SKAFFOLD_FILES_DELETED"] = absl::StrJoin(request.deleted_host_paths, ";");
  if (absl::Status s = RunHooks(artifact.before, "before-sync", deploy_id, image, run); !s.ok()) {
    return s;
  }
  if (absl::Status s = base_->Sync(deploy_id, image, request); !s.ok()) return s;
  return RunHooks(artifact.after, "after-sync", deploy_id, image, run);
}

absl::Status HookedSyncer::RunHooks(const std::vector<config::SyncHook>& hooks,
                                    const std::string& phase, int64_t deploy_id,
                                    const std::string& image, const HookRun& base_run) {
  HookRun run = base_run;
  run.phase = phase;
  const std::string prefix = OutputPrefix(phase);
  for (size_t i = 0; i < hooks.size(); ++i) {
    const config::SyncHook& hook = hooks[i];
    if (hook.where == config::SyncHook::Where::kHost) {
      run.first_number = i + 1;
      if (absl::Status s = hooks_->Run({{hook.command, hook.dir}}, run); !s.ok()) return s;
      continue;
    }
    absl::Status s = exec_->Exec(deploy_id, image, hook.command, [&](absl::string_view line) {
      if (options_.on_output) options_.on_output(absl::StrCat(prefix, line));
    });
    if (!s.ok()) {
      return domain::WithStatusCode(
          absl::Status(s.code(), absl::StrCat(phase, " hook ", i + 1, " of artifact ", image,
                                              " (in its container): ", s.message())),
          domain::StatusCode::kSyncUnknown);
    }
  }
  return absl::OkStatus();
}

}  // namespace devloop::hooks
