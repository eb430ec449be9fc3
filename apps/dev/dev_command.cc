#include "apps/dev/dev_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "apps/console/console.h"
#include "apps/dev/adapters.h"
#include "apps/dev/command_support.h"
#include "apps/dev/dead_runs.h"
#include "apps/dev/pipeline_options.h"
#include "apps/dev/stop_signals.h"
#include "infra/clock/clock.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "infra/deploy/labels.h"
#include "infra/deploy/run_registry.h"
#include "infra/dev/dev_loop.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/fs/inotify_watcher.h"
#include "infra/fs/polling_watcher.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"
#include "infra/log/log.h"
#include "infra/process/posix_process_runner.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"

namespace devloop::apps {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

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

  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return 1;
  }
  std::vector<config::Config>* configs = &project->configs;
  Pipeline* pipeline = &project->pipeline;

  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker =
      docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
  if (!docker.ok()) {
    console.Error(domain::StatusCode::kBuildDockerDaemonNotRunning,
                  std::string(docker.status().message()));
    return 1;
  }

  // What earlier runs of this project left when they were killed goes first.
  const std::string project_id =
      ProjectId(configs->empty() ? "skaffold.yaml" : configs->front().source_file);
  const deploy::RunRegistry registry(deploy::RunRegistry::DefaultDir());
  RemoveDeadRuns(&console, docker->get(), registry, project_id);

  hub::Hub hub;
  clock::Clock* clock = clock::RealClock();
  runtime::Executor executor(clock);
  runtime::BlockingPool pool({.threads = 4, .max_queued = 4096});

  process::PosixProcessRunner git_runner;  // for the gitCommit tag policy
  absl::StatusOr<std::unique_ptr<build::Tagger>> tagger = MakeTagger(*configs, options, &git_runner);
  if (!tagger.ok()) {
    std::cerr << tagger.status().message() << "\n";
    return 1;
  }

  dev::DevLoopOptions loop_options = pipeline->loop;
  loop_options.start_entry = StartEntry();
  loop_options.on_entry = [&console](const domain::LogEntry& e) { console.Render(e); };
  process::PosixProcessRunner kubectl_runner;  // for the kubectl deployer
  AdapterOptions adapter_options{.run_id = deploy::NewRunId(),
                                 .tagger = std::shared_ptr<const build::Tagger>(*std::move(tagger)),
                                 .cache_artifacts = options.cache_artifacts,
                                 .runner = &kubectl_runner};
  AttachConsole(&console, options.tail, &loop_options, &adapter_options.on_log);
  absl::StatusOr<LoopAdapters> adapters =
      MakeLoopAdapters(docker->get(), *pipeline, adapter_options);
  if (!adapters.ok()) {
    std::cerr << adapters.status().message() << "\n";
    return 1;
  }
  switch (pipeline->deployer) {
    case DeployerKind::kDocker:
      console.Info(
          absl::StrCat("Deploying to the local Docker Engine: ", pipeline->deployer_reason));
      break;
    case DeployerKind::kKubectl:
      console.Info(absl::StrCat("Deploying to Kubernetes with kubectl: ", pipeline->deployer_reason,
                                "; ", adapters->images_note));
      break;
  }
  absl::StatusOr<std::shared_ptr<dev::DevLoop>> loop =
      dev::DevLoop::Make(std::move(loop_options), adapters->Ports(&hub, &executor, &pool));
  if (!loop.ok()) {
    std::cerr << loop.status().message() << "\n";
    return 1;
  }

  std::unique_ptr<rpc::GrpcServer> grpc_server;
  std::unique_ptr<http::HttpServer> http_server;
  if (options.enable_rpc) {
    auto g = rpc::GrpcServer::Start({.address = options.rpc_bind_address, .port = options.rpc_port},
                                    &hub, loop->get());
    if (!g.ok()) {
      std::cerr << "cannot start the gRPC server: " << g.status().message() << "\n";
      return 1;
    }
    grpc_server = *std::move(g);
    auto h = http::HttpServer::Start(
        {.address = options.rpc_bind_address, .port = options.rpc_http_port}, &hub, loop->get());
    if (!h.ok()) {
      std::cerr << "cannot start the HTTP server: " << h.status().message() << "\n";
      return 1;
    }
    http_server = *std::move(h);
    // Another devloop (of this project or any) holds the ports: say where the
    // API answers instead, on the console, where an IDE user looks.
    const bool grpc_moved = options.rpc_port != 0 && grpc_server->port() != options.rpc_port;
    const bool http_moved =
        options.rpc_http_port != 0 && http_server->port() != options.rpc_http_port;
    if (grpc_moved || http_moved) {
      console.Info(absl::StrCat("API ports in use (another devloop?): gRPC on ",
                                options.rpc_bind_address, ":", grpc_server->port(), ", HTTP on ",
                                options.rpc_bind_address, ":", http_server->port()));
    }
  }

  // The watch is in place before the first build starts, so no edit is missed.
  std::unique_ptr<fs::Watcher> watcher;
  if (options.trigger != cli::Trigger::kManual) {
    fs::WatchOptions watch;
    for (const WatchedArtifact& a : pipeline->watched) {
      watch.artifacts.push_back({.name = a.image, .context_dir = a.context_dir});
    }
    if (!pipeline->config_files.empty()) watch.config_file = pipeline->config_files.front();
    watch.poll_interval = options.watch_poll_interval;
    auto w = options.trigger == cli::Trigger::kPolling ? fs::MakePollingWatcher(watch)
                                                       : fs::MakeInotifyWatcher(watch);
    if (!w.ok()) {
      std::cerr << w.status().message() << "\n";
      return 1;
    }
    watcher = *std::move(w);
    dev::DevLoop* l = loop->get();
    std::map<std::string, std::string> contexts;
    for (const WatchedArtifact& a : pipeline->watched) contexts[a.image] = a.context_dir;
    absl::Status started = watcher->Start([l, contexts, &console](const fs::ChangeSet& changes) {
      if (changes.config_changed) {
        console.Info("the config file changed: restart devloop to apply it");
      }
      for (const auto& [image, paths] : changes.artifacts) {
        std::vector<domain::FileChange> files;
        for (const std::string& p : paths) {
          files.push_back({.path = p, .deleted = !Exists(absl::StrCat(contexts.at(image), "/", p))});
        }
        l->FilesChanged(image, std::move(files));
      }
    });
    if (!started.ok()) {
      std::cerr << started.message() << "\n";
      return 1;
    }
  }

  // Recorded before the loop creates anything: if this process is killed,
  // the next run of the project finds what it made.
  const std::string& run_id = adapter_options.run_id;
  const bool recorded =
      pipeline->loop.cleanup &&
      RecordRun(registry, run_id, project_id,
                pipeline->deployer == DeployerKind::kKubectl ? "kubectl" : "docker");
  if (recorded) {
    signals.SetForcedExitNote(
        "what this run made is left; the next `devloop dev` or `devloop run` of this project "
        "removes it");
  }

  (*loop)->Start();
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
  if (watcher) watcher->Stop();
  absl::Status stopped = (*loop)->Stop(absl::Seconds(4));
  if (!stopped.ok()) DEVLOOP_LOG(WARNING) << "cleanup: " << stopped;
  hub.Close();
  if (http_server) http_server->Shutdown(absl::Milliseconds(500));
  if (grpc_server) grpc_server->Shutdown(absl::Milliseconds(500));
  loop->reset();
  pool.Shutdown();
  executor.Shutdown();
  // Forgotten only once the engine holds nothing of the run: a cleanup cut
  // short (the engine down, the deadline passed) is finished by the next run.
  if (recorded && !ForgetRunIfClean(&console, docker->get(), registry, run_id)) return 1;
  return 0;
}

}  // namespace devloop::apps
