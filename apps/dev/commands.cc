#include "apps/dev/commands.h"

#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/console/console.h"
#include "apps/dev/adapters.h"
#include "apps/dev/api_servers.h"
#include "apps/dev/command_support.h"
#include "apps/dev/dead_runs.h"
#include "apps/dev/dev_command.h"
#include "apps/dev/pipeline_options.h"
#include "apps/dev/stop_signals.h"
#include "domain/events/status_payload.h"
#include "infra/clock/clock.h"
#include "infra/config/config_files.h"
#include "infra/config/loader.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/deploy/kubectl/manifests.h"
#include "infra/deploy/labels.h"
#include "infra/deploy/run_registry.h"
#include "infra/dev/dev_loop.h"
#include "infra/build/custom/custom_builder.h"
#include "infra/build/default_repo.h"
#include "infra/build/docker/docker_builder.h"
#include "infra/build/docker/image_builder.h"
#include "infra/docker/docker_status.h"
#include "infra/docker/engine_api_docker.h"
#include "infra/hub/app_logs.h"
#include "infra/hooks/hooked_builder.h"
#include "infra/hooks/host_hooks.h"
#include "infra/hub/hub.h"
#include "infra/log/log.h"
#include "infra/process/posix_process_runner.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"

namespace devloop::apps {
namespace {

console::Console MakeConsole(const cli::CliOptions& options) {
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  return console::Console({.out = &std::cout,
                           .is_tty = tty,
                           .color = tty,
                           .debug = options.verbosity >= cli::Verbosity::kDebug});
}

absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> ConnectDocker(console::Console& console) {
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker =
      docker::EngineApiDocker::Create(docker::DockerOptionsFromEnvironment());
  if (!docker.ok()) {
    console.Error(domain::StatusCode::kBuildDockerDaemonNotRunning,
                  std::string(docker.status().message()));
  }
  return docker;
}

std::string ProjectOf(const std::vector<config::Config>& configs) {
  return ProjectId(configs.empty() ? "skaffold.yaml" : configs.front().source_file);
}

// Removes the project's containers, then its networks, except those of
// `keep_run` (the run that just deployed). Returns how many were removed, or
// the first error (it keeps going past errors).
absl::StatusOr<std::pair<int, int>> RemoveProject(docker::Docker* docker,
                                                  const std::string& project,
                                                  const std::string& keep_run) {
  absl::Status first = absl::OkStatus();
  int containers = 0, networks = 0;
  absl::StatusOr<std::vector<docker::ContainerSummary>> list =
      docker->ListContainers(kProjectLabel, project);
  if (!list.ok()) return list.status();
  for (const docker::ContainerSummary& c : *list) {
    auto run = c.labels.find(deploy::kRunIdLabel);
    if (!keep_run.empty() && run != c.labels.end() && run->second == keep_run) continue;
    absl::Status s = docker->Remove(c.id, /*force=*/true);
    if (s.ok() || s.code() == absl::StatusCode::kNotFound) {
      ++containers;
    } else if (first.ok()) {
      first = s;
    }
  }
  absl::StatusOr<std::vector<std::string>> nets = docker->ListNetworks(kProjectLabel, project);
  if (!nets.ok()) return nets.status();
  for (const std::string& n : *nets) {
    absl::Status s = docker->RemoveNetwork(n);
    if (s.ok() || s.code() == absl::StatusCode::kNotFound) {
      ++networks;
    } else if (keep_run.empty() && first.ok()) {
      // With a run kept, the one network still in use is its own (the engine
      // refuses to remove a network with containers); that is expected.
      first = s;
    }
  }
  if (!first.ok()) return first;
  return std::make_pair(containers, networks);
}

// What ends a one-shot deployment, read from the entries as they are made.
class Outcome {
 public:
  explicit Outcome(bool status_check) : status_check_(status_check) {}

  void See(const domain::LogEntry& entry) {
    std::optional<bool> result;
    if (const auto* b = std::get_if<domain::BuildEvent>(&entry.event)) {
      if (b->status == domain::kStatusFailed) result = false;
    } else if (const auto* d = std::get_if<domain::DeployEvent>(&entry.event)) {
      if (d->status == domain::kStatusFailed) result = false;
      if (d->status == domain::kStatusComplete && !status_check_) result = true;
    } else if (const auto* s = std::get_if<domain::StatusCheckEvent>(&entry.event)) {
      if (s->status == domain::kStatusFailed) result = false;
      if (s->status == domain::kStatusSucceeded) result = true;
    }
    if (!result.has_value()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!succeeded_.has_value()) succeeded_ = result;
    cv_.notify_all();
  }

  // Blocks until the outcome is known or `stop` (a signal) arrives first.
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return succeeded_.has_value(); });
    return *succeeded_;
  }

  void Interrupt() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!succeeded_.has_value()) succeeded_ = false;
    cv_.notify_all();
  }

 private:
  const bool status_check_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<bool> succeeded_;
};

// Build (unless prebuilt), deploy and status-check once; leave it running.
int DeployOnce(const cli::CliOptions& options, std::vector<config::Config> configs,
               Pipeline pipeline, std::optional<DeployPlan> plan) {
  // Before any thread starts (see RunDev).
  StopSignals& signals = StopSignals::Install();

  console::Console console = MakeConsole(options);
  process::PosixProcessRunner runner;
  absl::StatusOr<std::unique_ptr<build::Tagger>> tagger = MakeTagger(configs, options, &runner);
  if (!tagger.ok()) {
    std::cerr << tagger.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker = ConnectDocker(console);
  if (!docker.ok()) return 1;

  hub::Hub hub;
  hub::AppLogs app_logs;  // served as the API's ApplicationLogs with --enable-rpc
  runtime::Executor executor(clock::RealClock());
  runtime::BlockingPool pool({.threads = 4, .max_queued = 4096});
  const std::string project = ProjectOf(configs);
  // A `devloop dev` of this project that was killed left its objects: they go
  // now (this run's own are kept on exit, as skaffold run keeps them).
  RemoveDeadRuns(&console, docker->get(), &runner,
                 deploy::RunRegistry(deploy::RunRegistry::DefaultDir()), project);

  dev::DevLoopOptions loop_options = pipeline.loop;
  AdapterOptions adapter_options{
      .run_id = deploy::NewRunId(),
      .labels = {{kProjectLabel, project}},
      .tagger = std::shared_ptr<const build::Tagger>(std::move(*tagger)),
      .cache_artifacts = options.cache_artifacts,
      .runner = &runner};
  if (plan.has_value()) {
    loop_options.artifacts = plan->artifacts;
    pipeline.loop.artifacts = plan->artifacts;
    adapter_options.prebuilt = plan->prebuilt;
  }
  loop_options.cleanup = false;  // run leaves its deployment, as skaffold run does
  loop_options.auto_sync = false;
  loop_options.start_entry = absl::StrCat("Starting devloop ", cli::CommandName(options.command),
                                          ": {Version:", kVersion, "}");
  // Shared with the stop callback, which may outlive this function.
  auto outcome = std::make_shared<Outcome>(loop_options.status_check);
  loop_options.on_entry = [&console, outcome](const domain::LogEntry& e) {
    // The end of an iteration reads "Watching for changes..." on the
    // console; a one-shot command watches nothing, so it shows its own end.
    if (!std::holds_alternative<domain::DevLoopEvent>(e.event)) console.Render(e);
    outcome->See(e);
  };
  AttachConsole(&console, options.tail, &loop_options, &adapter_options.on_log,
                options.enable_rpc ? &app_logs : nullptr);
  adapter_options.on_hook_output = [&console](absl::string_view line) { console.Info(line); };
  absl::StatusOr<LoopAdapters> adapters = MakeLoopAdapters(docker->get(), pipeline, adapter_options);
  if (!adapters.ok()) {
    std::cerr << adapters.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::shared_ptr<dev::DevLoop>> loop =
      dev::DevLoop::Make(std::move(loop_options), adapters->Ports(&hub, &executor, &pool));
  if (!loop.ok()) {
    std::cerr << loop.status().message() << "\n";
    return 1;
  }
  // Ctrl+C before the outcome is known ends the wait (as a failure).
  signals.OnStop([outcome] { outcome->Interrupt(); });

  // The API serves the run's events for as long as the command runs: a client
  // that connects while it builds sees every record since the start.
  ApiServers api;
  if (options.enable_rpc) {
    absl::StatusOr<ApiServers> started = StartApiServers(options, &hub, &app_logs, loop->get());
    if (!started.ok()) {
      std::cerr << started.status().message() << "\n";
      return 1;
    }
    api = *std::move(started);
    AnnounceApiServers(options, api, &console);
  }
  for (const std::string& note : pipeline.notes) console.Info(note);

  (*loop)->Start();
  const bool ok = outcome->Wait();

  if (ok) {
    // This project's earlier run/deploy is replaced by this one.
    absl::StatusOr<std::pair<int, int>> removed =
        RemoveProject(docker->get(), project, adapter_options.run_id);
    if (!removed.ok()) {
      DEVLOOP_LOG(WARNING) << "removing the previous deployment: " << removed.status();
    } else if (removed->first > 0) {
      console.Info(absl::StrCat("Replaced ", removed->first, " container(s) of the previous run"));
    }
    console.Info(absl::StrCat("Deployed (run id ", adapter_options.run_id,
                              "); the containers keep running: `devloop delete` removes them"));
    const bool forwarding = pipeline.loop.port_forward;
    if (forwarding || options.tail) {
      console.Info(absl::StrCat(forwarding ? "Port forwards" : "Log tailing",
                                " end when devloop exits: press Ctrl+C to stop"));
      signals.Wait();  // Ctrl+C, SIGTERM or SIGHUP
    }
  } else {
    console.Info("The deployment did not succeed; what was deployed is left for inspection "
                 "(`devloop delete` removes it)");
  }
  absl::Status stopped = (*loop)->Stop(absl::Seconds(10));
  if (!stopped.ok()) DEVLOOP_LOG(WARNING) << "stopping: " << stopped;
  hub.Close();
  app_logs.Close();
  api.Shutdown(absl::Milliseconds(500));
  loop->reset();
  pool.Shutdown();
  executor.Shutdown();
  return ok ? 0 : 1;
}

}  // namespace

int RunBuild(const cli::CliOptions& options) {
  console::Console console = MakeConsole(options);
  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return 1;
  }
  std::vector<config::Config>* configs = &project->configs;
  Pipeline* pipeline = &project->pipeline;
  absl::StatusOr<std::vector<const build::ArtifactBuildSpec*>> order =
      BuildOrder(pipeline->loop.artifacts);
  if (!order.ok()) {
    std::cerr << order.status().message() << "\n";
    return 1;
  }
  process::PosixProcessRunner runner;
  absl::StatusOr<std::unique_ptr<build::Tagger>> tagger = MakeTagger(*configs, options, &runner);
  if (!tagger.ok()) {
    std::cerr << tagger.status().message() << "\n";
    return 1;
  }
  const std::shared_ptr<const build::Tagger> tag_policy = *std::move(tagger);
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker = ConnectDocker(console);
  if (!docker.ok()) return 1;
  // The artifacts' build hooks, run as `dev` runs them: around each real build.
  std::optional<hooks::HostHooks> host_hooks;
  if (!pipeline->build_hooks.empty()) {
    host_hooks.emplace(&runner, hooks::HostHooksOptions{.env = pipeline->hook_env});
  }
  const hooks::HookedBuilder::Options hook_options =
      BuildHookOptions(*pipeline, tag_policy, pipeline->push.value_or(false), /*prebuilt=*/{},
                       [&console](absl::string_view line) { console.Info(line); });
  auto failed = [&console](const std::string& image, const absl::Status& s,
                           domain::StatusCode fallback) {
    console.Error(domain::StatusCodeOr(s, fallback),
                  absl::StrCat("build [", image, "] failed: ", s.message()));
    return 1;
  };

  std::map<std::string, std::string> ids;  // image -> id, for `requires`
  std::map<std::string, std::string> refs;  // image -> reference, for custom builds' `requires`
  std::vector<BuildOutput> outputs;
  for (const build::ArtifactBuildSpec* a : *order) {
    console.Info(absl::StrCat("Building [", a->spec.image, "]..."));
    build::ImageBuildOptions build{.tagger = tag_policy.get(), .cache = options.cache_artifacts};
    const std::string image = a->spec.image;
    build.on_output = [&console, image](absl::string_view line) {
      console.Debug(absl::StrCat("[build ", image, "] ", line));
    };
    const build::BuildRequest hooked = hooks::WithBuildHooks(
        {.image = image}, host_hooks.has_value() ? &*host_hooks : nullptr, hook_options);
    if (a->custom.has_value()) {
      // The command builds (and with push, pushes) $IMAGE itself; not pushed,
      // it is cached by input digest as Docker builds are, and a cache hit
      // runs no hooks.
      const bool push = pipeline->push.value_or(false);
      absl::StatusOr<build::CustomBuiltImage> custom = build::BuildCustomArtifact(
          &runner, docker->get(), *a, refs,
          {.tagger = tag_policy.get(),
           .push = push,
           .default_repo = pipeline->default_repo,
           .template_env = config::CurrentEnvironment(),
           .on_output = build.on_output,
           .cache = options.cache_artifacts,
           .before_build = hooked.before_build,
           .after_build = hooked.after_build});
      if (!custom.ok()) return failed(image, custom.status(), domain::StatusCode::kBuildUnknown);
      ids[image] = custom->image_id.empty() ? custom->reference : custom->image_id;
      refs[image] = custom->reference;
      console.Info(absl::StrCat(push ? "Pushed [" : custom->cached ? "Found [" : "Built [", image,
                                custom->cached ? "] locally, tagged " : "] as ",
                                push ? custom->reference : custom->tag));
      outputs.push_back({image, push ? custom->reference : custom->tag});
      continue;
    }
    build.before_build = hooked.before_build;  // not on an artifact-cache hit
    absl::StatusOr<build::BuiltImage> built = build::BuildImage(docker->get(), *a, ids, build);
    if (!built.ok()) {
      domain::StatusCode code = docker::DockerStatusCode(built.status());
      console.Error(code == domain::StatusCode::kOk ? domain::StatusCode::kBuildUnknown : code,
                    absl::StrCat("build [", image, "] failed: ", built.status().message()));
      return 1;
    }
    ids[image] = built->image_id;
    console.Info(absl::StrCat(built->cached ? "Found [" : "Built [", image, "] ",
                              built->cached ? "locally, tagged " : "as ", built->tag));
    std::string tag = built->tag;
    if (pipeline->push.value_or(false)) {
      // --push or build.local.push: under --default-repo, with the registry's digest.
      const std::string name = absl::StrCat(build::ImageUnderRepo(pipeline->default_repo, image),
                                            built->tag.substr(built->tag.rfind(':')));
      absl::Status tagged = (*docker)->Tag(built->image_id, name);
      absl::StatusOr<std::string> digest =
          tagged.ok() ? (*docker)->Push(name) : absl::StatusOr<std::string>(tagged);
      if (!digest.ok()) {
        domain::StatusCode code = docker::DockerStatusCode(digest.status());
        console.Error(code == domain::StatusCode::kOk ? domain::StatusCode::kBuildUnknown : code,
                      absl::StrCat("push [", name, "] failed: ", digest.status().message()));
        return 1;
      }
      tag = absl::StrCat(name, "@", *digest);
      console.Info(absl::StrCat("Pushed [", image, "] as ", tag));
    }
    if (!built->cached && hooked.after_build) {
      absl::Status s = hooked.after_build();
      if (!s.ok()) return failed(image, s, domain::StatusCode::kBuildUserError);
    }
    refs[image] = tag == built->tag ? built->DeployReference() : tag;
    outputs.push_back({image, tag});
  }
  for (const BuildOutput& b : outputs) std::cout << b.image_name << " -> " << b.tag << "\n";
  if (!options.file_output.empty()) {
    std::ofstream out(options.file_output);
    out << BuildOutputJson(outputs) << "\n";
    if (!out) {
      std::cerr << "cannot write " << options.file_output << "\n";
      return 1;
    }
  }
  return 0;
}

// Deletes what `devloop run` and `deploy` of `project` left on the cluster:
// the kinds its manifests hold, in their namespaces, carrying its project label
// and devloop's managed-by label. Returns how many objects went.
absl::StatusOr<int> DeleteFromCluster(process::ProcessRunner* runner, const Pipeline& pipeline,
                                      const std::string& project) {
  const KubectlPlan& plan = pipeline.kubectl;
  // Rendered only for the kinds and namespaces they hold: any image will do.
  domain::ImageTags images;
  for (const build::ArtifactBuildSpec& a : pipeline.loop.artifacts) {
    images[a.spec.image] = a.spec.image;
  }
  absl::StatusOr<std::vector<deploy::kubectl::ManifestSource>> sources =
      ManifestsOf(plan, runner, images);
  if (!sources.ok()) return sources.status();
  absl::StatusOr<deploy::kubectl::Rendered> rendered = deploy::kubectl::Render(*sources, {});
  if (!rendered.ok()) return rendered.status();
  std::set<std::string> kinds;
  std::set<std::string> namespaces;
  for (const deploy::kubectl::ObjectRef& o : rendered->objects) {
    size_t slash = o.api_version.find('/');
    kinds.insert(slash == std::string::npos
                     ? absl::AsciiStrToLower(o.kind)
                     : absl::StrCat(absl::AsciiStrToLower(o.kind), ".",
                                    o.api_version.substr(0, slash)));
    namespaces.insert(!o.namespace_name.empty() ? o.namespace_name : plan.default_namespace);
  }
  deploy::kubectl::KubectlCli kubectl(runner, KubectlOptionsOf(plan));
  int deleted = 0;
  if (kinds.empty()) return deleted;
  for (const std::string& ns : namespaces) {
    std::vector<std::string> args = {
        "delete", absl::StrJoin(kinds, ","), "-l",
        absl::StrCat(kProjectLabel, "=", project, ",app.kubernetes.io/managed-by=devloop"),
        "--ignore-not-found", "-o", "name"};
    if (!ns.empty()) args.push_back("--namespace=" + ns);
    args.insert(args.end(), plan.flags.remove.begin(), plan.flags.remove.end());
    absl::StatusOr<std::string> out =
        kubectl.Run(deploy::kubectl::Phase::kCleanup, "deleting the project's objects", args);
    if (!out.ok()) return out.status();
    for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
      (void)line;
      ++deleted;
    }
  }
  return deleted;
}

int RunRun(const cli::CliOptions& options) {
  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return 1;
  }
  return DeployOnce(options, std::move(project->configs), std::move(project->pipeline),
                    std::nullopt);
}

int RunDeploy(const cli::CliOptions& options) {
  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return 1;
  }
  Pipeline* pipeline = &project->pipeline;
  absl::StatusOr<std::vector<BuildOutput>> given = ReadBuildArtifacts(options);
  if (!given.ok()) {
    std::cerr << given.status().message() << "\n";
    return 1;
  }
  std::vector<BuildOutput> images = *std::move(given);
  for (const std::string& ref : options.images) {
    images.push_back({build::ImageWithoutTag(ref), ref});
  }
  absl::StatusOr<DeployPlan> plan = PlanDeploy(pipeline->loop.artifacts, images);
  if (!plan.ok()) {
    std::cerr << plan.status().message() << "\n";
    return 1;
  }
  return DeployOnce(options, std::move(project->configs), std::move(project->pipeline), *std::move(plan));
}

int RunDelete(const cli::CliOptions& options) {
  absl::StatusOr<Project> project = LoadProject(options);
  if (!project.ok()) {
    std::cerr << project.status().message() << "\n";
    return 1;
  }
  const std::vector<config::Config>* configs = &project->configs;
  console::Console console = MakeConsole(options);
  if (project->pipeline.deployer == DeployerKind::kKubectl) {
    process::PosixProcessRunner runner;
    absl::StatusOr<int> deleted =
        DeleteFromCluster(&runner, project->pipeline, ProjectOf(*configs));
    if (!deleted.ok()) {
      std::cerr << "devloop delete: " << deleted.status().message() << "\n";
      return 1;
    }
    console.Info(absl::StrCat("Deleted ", *deleted, " Kubernetes object(s)"));
    return 0;
  }
  absl::StatusOr<std::unique_ptr<docker::EngineApiDocker>> docker = ConnectDocker(console);
  if (!docker.ok()) return 1;
  absl::StatusOr<std::pair<int, int>> removed =
      RemoveProject(docker->get(), ProjectOf(*configs), /*keep_run=*/"");
  if (!removed.ok()) {
    std::cerr << "devloop delete: " << removed.status().message() << "\n";
    return 1;
  }
  console.Info(absl::StrCat("Deleted ", removed->first, " container(s) and ", removed->second,
                            " network(s)"));
  return 0;
}

}  // namespace devloop::apps
