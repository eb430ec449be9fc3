// The dev loop of `devloop dev` as the project's config describes it -- now,
// and after every save of the config file. A save is read again at once:
//  - an invalid config (or one this version cannot run) is reported, on the
//    console and as a devLoopEvent Failed whose error names file:line:column,
//    and the running loop goes on with the last good config;
//  - a valid one replaces the running loop in this process: a new loop with
//    the new pipeline, adapters and file watch starts on the same hub, so the
//    API servers and their subscribers carry on (the old loop records no
//    TerminationEvent: the session goes on). With the same deployer the run
//    goes on too (RunCanGoOn): the new loop keeps the run id and takes over
//    what the old one deployed, its log followers and port forwards. On
//    Docker its first deploy keeps every container whose image, built
//    reference and published ports did not change, starting and removing
//    only what did; on Kubernetes it re-applies the new render under the same
//    run id (an unchanged object, and its pods, stay as they are) and deletes
//    what the old config applied and the new one no longer has. Otherwise (a
//    change of deployer, or of the cluster kubectl talks to) the old loop
//    cleans up what it created and the new one is a new run.
//
//   DEVLOOP_ASSIGN_OR_RETURN(std::unique_ptr<LiveLoop> live,
//       LiveLoop::Make({.cli = cli, .docker = docker, .hub = &hub, ...}, project));
//   GrpcServer::Start(..., &hub, live.get());    // Control goes to the current loop
//   DEVLOOP_RETURN_IF_ERROR(live->Start());
//   ... live->Stop(absl::Seconds(4));            // Ctrl-C
//
// Thread-safe. Reloads run on a thread of its own (the watcher's callback
// only asks for one), one at a time; saves during a reload cause one more.
#ifndef DEVLOOP_APPS_DEV_LIVE_LOOP_H_
#define DEVLOOP_APPS_DEV_LIVE_LOOP_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apps/cli/cli_options.h"
#include "apps/console/console.h"
#include "apps/dev/adapters.h"
#include "apps/dev/command_support.h"
#include "apps/dev/pipeline_options.h"
#include "infra/control/control.h"
#include "infra/dev/dev_loop.h"
#include "infra/docker/docker.h"
#include "infra/fs/watcher.h"
#include "infra/hub/app_logs.h"
#include "infra/hub/hub.h"
#include "infra/process/posix_process_runner.h"
#include "infra/runtime/runner.h"

namespace devloop::apps {

// Returns what the watcher watches for test command `test` (the `index`th of
// the pipeline's watched tests): its paths, or the paths its
// dependencies.command prints, run now with `runner`; nullopt when the command
// lists none. An error names the command and its file:line when the command
// fails or prints anything but a JSON array of strings.
absl::StatusOr<std::optional<fs::WatchedArtifact>> TestWatch(const WatchedTest& test,
                                                             size_t index,
                                                             process::ProcessRunner* runner);

class LiveLoop : public control::Control {
 public:
  struct Options {
    cli::CliOptions cli;
    docker::Docker* docker = nullptr;  // all four: not owned, outlive the LiveLoop
    hub::Hub* hub = nullptr;
    hub::AppLogs* app_logs = nullptr;  // may be null; not owned, outlives the LiveLoop
    runtime::TaskRunner* executor = nullptr;
    runtime::JobRunner* pool = nullptr;
    console::Console* console = nullptr;
    std::string start_entry;
    // The project's id (ProjectId): with --cache-artifacts, the images built
    // are kept across runs as this project's artifact cache.
    std::string project;
    // Reads the project again; LoadProject(cli) when unset.
    std::function<absl::StatusOr<Project>()> load;
    // Told of each run's id before it creates anything, and once a replaced
    // loop's run has cleaned up (the run records of dead_runs.h); not for a
    // loop that carries on the run of the one it replaced.
    std::function<void(const std::string& run_id, const Pipeline& pipeline)> on_run_start;
    std::function<void(const std::string& run_id)> on_run_end;
  };

  // Makes the loop of `project` (not started). The error of a tagger, adapter
  // or loop the project cannot have.
  static absl::StatusOr<std::unique_ptr<LiveLoop>> Make(Options options, Project project);

  // Stops the current loop if Stop was not called.
  ~LiveLoop() override;

  // Starts watching and the loop's first iteration.
  absl::Status Start();

  // Stops watching, then stops the loop (cleanup) within `timeout`.
  absl::Status Stop(absl::Duration timeout);

  // The run id of the current loop ("" once stopped); the same after a reload
  // that kept the run.
  std::string run_id() const;

  // How many configs were applied after the first one (for tests and logs).
  int reloads() const { return reloads_.load(); }

  // control::Control, answered by the current loop.
  void Execute(const control::Intent& intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event& event, Done done) override;
  void Pending(PendingDone done) override;

 private:
  // One config's loop and what it needs; destroyed watcher, loop, adapters.
  struct Generation {
    std::string run_id;
    bool continues_run = false;  // the run id is the replaced loop's
    Pipeline pipeline;
    LoopAdapters adapters;
    std::shared_ptr<dev::DevLoop> loop;
    std::unique_ptr<fs::Watcher> watcher;
  };

  explicit LiveLoop(Options options);

  // Makes the loop of `project`, in run `run_id` (a new run when empty).
  absl::StatusOr<std::unique_ptr<Generation>> MakeGeneration(Project project,
                                                             std::string run_id = "");
  absl::Status StartGeneration(Generation& generation);
  std::shared_ptr<dev::DevLoop> current() const;
  // On the watcher's thread.
  // A change to the config, or to a Dockerfile in `reload_on`, reloads the
  // project; other changes go to the loop.
  void OnChanges(const std::map<std::string, std::string>& contexts,
                 const std::string& config_file, const std::set<std::string>& reload_on,
                 const fs::ChangeSet& changes);
  void ReloadLoop();
  void Reload();
  void ReportInvalid(const absl::Status& status);
  // What of `project` the loop uses, as text: its configs as devloop read
  // them (config::ToYaml, no positions or comments) and the destinations
  // sync.infer took from each Dockerfile. Equal texts run the same loop.
  static std::string Fingerprint(const Project& project);

  Options options_;
  process::PosixProcessRunner git_runner_;      // for the gitCommit tag policy
  // Runs kubectl, custom builds and their dependencies.command.
  process::PosixProcessRunner kubectl_runner_;
  std::atomic<int> reloads_{0};
  std::atomic<int> last_iteration_{0};  // of the newest devLoopEvent

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::unique_ptr<Generation> generation_;  // guarded by mu_ (the pointer)
  // Stopped loops, kept until the LiveLoop goes: jobs on the pool may still
  // use their adapters.
  std::vector<std::unique_ptr<Generation>> retired_;  // guarded by mu_
  bool reload_wanted_ = false;              // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::string applied_;  // Fingerprint of the running loop's project; the reloader's
  std::thread reloader_;
};

}  // namespace devloop::apps

#endif  // DEVLOOP_APPS_DEV_LIVE_LOOP_H_
