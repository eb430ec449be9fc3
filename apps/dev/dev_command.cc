#include "apps/dev/dev_command.h"

#include <signal.h>
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
#include "apps/dev/live_loop.h"
#include "apps/dev/pipeline_options.h"
#include "infra/clock/clock.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/config/to_yaml.h"
#include "infra/deploy/labels.h"
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
  // Every thread inherits this mask, so only the sigwait below sees the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

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
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker =
      docker::EngineApiDocker::Create({.docker_host = docker::DockerHostFromEnvironment()});
  if (!docker.ok()) {
    console.Error(domain::StatusCode::kBuildDockerDaemonNotRunning,
                  std::string(docker.status().message()));
    return 1;
  }

  hub::Hub hub;
  clock::Clock* clock = clock::RealClock();
  runtime::Executor executor(clock);
  runtime::BlockingPool pool({.threads = 4, .max_queued = 4096});

  // The loop, re-made in place whenever the config file changes.
  absl::StatusOr<std::unique_ptr<LiveLoop>> live =
      LiveLoop::Make({.cli = options, .docker = docker->get(), .hub = &hub, .executor = &executor,
                      .pool = &pool, .console = &console, .start_entry = StartEntry()},
                     *std::move(project));
  if (!live.ok()) {
    std::cerr << live.status().message() << "\n";
    return 1;
  }
  control::Control* loop = live->get();

  std::unique_ptr<rpc::GrpcServer> grpc_server;
  std::unique_ptr<http::HttpServer> http_server;
  if (options.enable_rpc) {
    auto g = rpc::GrpcServer::Start({.address = options.rpc_bind_address, .port = options.rpc_port},
                                    &hub, loop);
    if (!g.ok()) {
      std::cerr << "cannot start the gRPC server: " << g.status().message() << "\n";
      return 1;
    }
    grpc_server = *std::move(g);
    auto h = http::HttpServer::Start(
        {.address = options.rpc_bind_address, .port = options.rpc_http_port}, &hub, loop);
    if (!h.ok()) {
      std::cerr << "cannot start the HTTP server: " << h.status().message() << "\n";
      return 1;
    }
    http_server = *std::move(h);
  }

  if (absl::Status started = (*live)->Start(); !started.ok()) {
    std::cerr << started.message() << "\n";
    return 1;
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

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  ticking = false;
  if (ticker.joinable()) ticker.join();
  console.Info("Cleaning up...");
  absl::Status stopped = (*live)->Stop(absl::Seconds(4));
  if (!stopped.ok()) DEVLOOP_LOG(WARNING) << "cleanup: " << stopped;
  hub.Close();
  if (http_server) http_server->Shutdown(absl::Milliseconds(500));
  if (grpc_server) grpc_server->Shutdown(absl::Milliseconds(500));
  pool.Shutdown();
  executor.Shutdown();
  return 0;
}

}  // namespace devloop::apps
