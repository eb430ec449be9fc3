#include "apps/dev/dev_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "apps/console/console.h"
#include "apps/dev/adapters.h"
#include "apps/dev/api_servers.h"
#include "apps/dev/command_support.h"
#include "apps/dev/dead_runs.h"
#include "apps/dev/live_loop.h"
#include "apps/dev/pipeline_options.h"
#include "apps/dev/stop_signals.h"
#include "infra/clock/clock.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "infra/control/deferred_control.h"
#include "infra/deploy/labels.h"
#include "infra/deploy/run_registry.h"
#include "infra/dev/dev_loop.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/fs/inotify_watcher.h"
#include "infra/fs/polling_watcher.h"
#include "infra/hub/event_log_file.h"
#include "infra/hub/hub.h"
#include "infra/log/log.h"
#include "infra/process/posix_process_runner.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"

namespace devloop::apps {
namespace {

std::string StartEntry() {
  return absl::StrCat("Starting devloop: {Version:", kVersion, " ConfigVersion:", kConfigVersion,
                      " GitVersion: GitCommit: BuildDate: Compiler:gcc Platform:linux/amd64}");
}

}  // namespace

int RunDiagnose(const cli::CliOptions& options) {
  absl::StatusOr<std::vector<config::Config>> configs = LoadConfigs(options);
  if (!configs.ok()) {
    std::cerr << configs.status().message() << "\n";
    return 1;
  }
  std::cout << config::ToYaml(*configs);
  return 0;
}

int RunDev(const cli::CliOptions& options) {
  // Before any thread starts: they all inherit the blocked stop signals, and
  // cleanup no longer depends on stdout or the terminal (SIGPIPE ignored,
  // SIGHUP stops like Ctrl-C).
  StopSignals& signals = StopSignals::Install();

  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  console::Console console({.out = &std::cout,
                            .is_tty = tty,
                            .color = tty,
                            .debug = options.verbosity >= cli::Verbosity::kDebug});

  // The one log of the session, and the file that keeps all of it (for
  // `devloop replay`): a path that cannot be written fails before anything runs.
  hub::Hub hub;
  hub::AppLogs app_logs;  // the application's lines, for the API (v2 ApplicationLogs)
  std::unique_ptr<hub::EventLogFile> event_log_file;
  if (!options.event_log_file.empty()) {
    absl::StatusOr<std::unique_ptr<hub::EventLogFile>> file =
        hub::EventLogFile::Open(options.event_log_file, &hub);
    if (!file.ok()) {
      std::cerr << "--event-log-file: " << file.status().message() << "\n";
      return 1;
    }
    event_log_file = *std::move(file);
  }

  // The API answers first: a client (an IDE that started devloop) can
  // connect and subscribe to the events while the project is read, stale
  // runs are swept and the loop is made. What it asks of the loop meanwhile
  // waits for it; if devloop does not get that far, it is answered with why.
  control::DeferredControl control;
  ApiServers api;
  if (options.enable_rpc) {
    absl::StatusOr<ApiServers> started = StartApiServers(options, &hub, &app_logs, &control);
    if (!started.ok()) {
      std::cerr << started.status().message() << "\n";
      return 1;
    }
    api = *std::move(started);
  }
  auto not_started = [&](const absl::Status& why) {
    control.Fail(absl::UnavailableError(absl::StrCat("devloop did not start: ", why.message())));
    hub.Close();
    app_logs.Close();
    api.Shutdown(absl::Milliseconds(100));
    return 1;
  };

  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return not_started(project.status());
  }
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker =
      docker::EngineApiDocker::Create(docker::DockerOptionsFromEnvironment());
  if (!docker.ok()) {
    console.Error(domain::StatusCode::kBuildDockerDaemonNotRunning,
                  std::string(docker.status().message()));
    return not_started(docker.status());
  }

  // What earlier runs of this project left when they were killed goes first.
  const std::string project_id = ProjectId(
      project->configs.empty() ? "skaffold.yaml" : project->configs.front().source_file);
  const deploy::RunRegistry registry(deploy::RunRegistry::DefaultDir());
  process::PosixProcessRunner sweep_runner;
  RemoveDeadRuns(&console, docker->get(), &sweep_runner, registry, project_id);

  clock::Clock* clock = clock::RealClock();
  runtime::Executor executor(clock);
  runtime::BlockingPool pool({.threads = 4, .max_queued = 4096});

  // Each loop's run is recorded before it creates anything: if this process
  // is killed, the next run of the project finds what it made. A loop the
  // config's reload replaced is forgotten once the engine holds nothing of it.
  const bool cleanup = project->pipeline.loop.cleanup;
  docker::Docker* engine = docker->get();
  auto on_run_start = [&](const std::string& run_id, const Pipeline& pipeline) {
    if (!cleanup) return;
    const bool kube = pipeline.deployer == DeployerKind::kKubectl;
    if (RecordRun(registry, run_id, project_id, kube ? "kubectl" : "docker",
                  kube ? pipeline.kubectl.kubeconfig : "", kube ? pipeline.kubectl.context : "")) {
      signals.SetForcedExitNote(
          "what this run made is left; the next `devloop dev` or `devloop run` of this project "
          "removes it");
    }
  };
  auto on_run_end = [&](const std::string& run_id) {
    if (cleanup) ForgetRunIfClean(&console, engine, registry, run_id);
  };

  // The loop, re-made in place whenever the config file changes.
  absl::StatusOr<std::unique_ptr<LiveLoop>> live =
      LiveLoop::Make({.cli = options, .docker = docker->get(), .hub = &hub, .app_logs = &app_logs,
                      .executor = &executor, .pool = &pool, .console = &console,
                      .start_entry = StartEntry(), .project = project_id,
                      .on_run_start = on_run_start,
                      .on_run_end = on_run_end},
                     *std::move(project));
  if (!live.ok()) {
    std::cerr << live.status().message() << "\n";
    return not_started(live.status());
  }
  control.Attach(live->get());
  AnnounceApiServers(options, api, &console);

  if (absl::Status started = (*live)->Start(); !started.ok()) {
    std::cerr << started.message() << "\n";
    return not_started(started);
  }
  console.Info("Press Ctrl+C to stop.");

  // The progress line of a long build is redrawn only on a terminal.
  std::atomic<bool> ticking{tty};
  std::thread ticker;
  if (tty) {
    ticker = std::thread([&] {
      while (ticking.load()) {
        console.Tick(clock->Now());
        absl::SleepFor(absl::Milliseconds(100));
      }
    });
  }

  signals.Wait();
  ticking = false;
  if (ticker.joinable()) ticker.join();
  // In the console's order: whatever the loop still reports after this line
  // (the iteration the signal cut short) prints no "Watching for changes...".
  console.Stopping();
  const std::string run_id = (*live)->run_id();
  absl::Status stopped = (*live)->Stop(absl::Seconds(4));
  if (!stopped.ok()) DEVLOOP_LOG(WARNING) << "cleanup: " << stopped;
  hub.Close();
  app_logs.Close();
  api.Shutdown(absl::Milliseconds(500));
  pool.Shutdown();
  executor.Shutdown();
  // Nothing appends any more: the file gets the rest of the log. One that
  // missed records fails the command, as a script reading it must know.
  bool event_log_written = true;
  if (event_log_file != nullptr) {
    if (absl::Status written = event_log_file->Finish(); !written.ok()) {
      std::cerr << "--event-log-file: " << written.message() << "\n";
      event_log_written = false;
    }
  }
  // Forgotten only once the engine holds nothing of the run: a cleanup cut
  // short (the engine down, the deadline passed) is finished by the next run.
  if (cleanup && !run_id.empty() && !ForgetRunIfClean(&console, engine, registry, run_id)) return 1;
  return event_log_written ? 0 : 1;
}

}  // namespace devloop::apps
