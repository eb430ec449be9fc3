#include "apps/dev/live_loop.h"

#include <sys/stat.h>

#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "domain/paths/path.h"
#include "infra/build/custom/dependencies.h"
#include "infra/config/to_yaml.h"
#include "infra/deploy/labels.h"
#include "infra/fs/inotify_watcher.h"
#include "infra/fs/polling_watcher.h"
#include "infra/log/log.h"

namespace devloop::apps {
namespace {

// The watcher names a test command's dependencies "<kTestWatch><i> <image>":
// image names hold no space, so none is mistaken for an artifact.
constexpr absl::string_view kTestWatch = "test dependencies ";

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

absl::StatusOr<std::optional<fs::WatchedArtifact>> TestWatch(const WatchedTest& test,
                                                             size_t index,
                                                             process::ProcessRunner* runner) {
  fs::WatchedArtifact watch{.name = absl::StrCat(kTestWatch, index, " ", test.image),
                            .context_dir = test.working_dir,
                            .dependencies = test.paths,
                            .ignore = test.ignore,
                            .honour_dockerignore = false};
  if (test.command.empty()) return watch;
  absl::StatusOr<build::CustomWatch> listed = build::ResolveTestDependencies(
      {.command = test.command}, test.working_dir, runner);
  if (!listed.ok()) {
    std::ostringstream where;
    if (!test.command_pos.file.empty()) where << test.command_pos << ": ";
    return absl::Status(listed.status().code(),
                        absl::StrCat(where.str(), "test[", test.image, "].custom.",
                                     listed.status().message()));
  }
  if (!listed->watched) return std::nullopt;  // it listed none
  watch.dependencies = listed->dependencies;  // empty: the whole context
  watch.ignore.clear();
  return watch;
}

absl::StatusOr<std::unique_ptr<LiveLoop>> LiveLoop::Make(Options options, Project project) {
  if (options.docker == nullptr || options.hub == nullptr || options.executor == nullptr ||
      options.pool == nullptr || options.console == nullptr) {
    return absl::InvalidArgumentError(
        "LiveLoop needs a docker, hub, executor, pool and console");
  }
  std::unique_ptr<LiveLoop> live(new LiveLoop(std::move(options)));
  live->applied_ = Fingerprint(project);
  absl::StatusOr<std::unique_ptr<Generation>> first = live->MakeGeneration(std::move(project));
  if (!first.ok()) return first.status();
  live->generation_ = *std::move(first);
  return live;
}

LiveLoop::LiveLoop(Options options) : options_(std::move(options)) {}

LiveLoop::~LiveLoop() { (void)Stop(absl::Seconds(4)); }

absl::StatusOr<std::unique_ptr<LiveLoop::Generation>> LiveLoop::MakeGeneration(
    Project project, std::string run_id) {
  auto g = std::make_unique<Generation>();
  g->pipeline = std::move(project.pipeline);
  absl::StatusOr<std::unique_ptr<build::Tagger>> tagger =
      MakeTagger(project.configs, options_.cli, &git_runner_);
  if (!tagger.ok()) return tagger.status();

  dev::DevLoopOptions loop_options = g->pipeline.loop;
  loop_options.start_entry = options_.start_entry;
  console::Console* console = options_.console;
  loop_options.on_entry = [this, console](const domain::LogEntry& e) {
    if (const auto* d = std::get_if<domain::DevLoopEvent>(&e.event)) last_iteration_ = d->iteration;
    console->Render(e);
  };
  // A new run, unless this loop carries on the run of the one it replaces.
  g->continues_run = !run_id.empty();
  g->run_id = g->continues_run ? std::move(run_id) : deploy::NewRunId();
  AdapterOptions adapter_options{.run_id = g->run_id,
                                 .tagger = std::shared_ptr<const build::Tagger>(*std::move(tagger)),
                                 .cache_artifacts = options_.cli.cache_artifacts,
                                 .cache_scope =
                                     options_.cli.cache_artifacts ? options_.project : "",
                                 .runner = &kubectl_runner_};
  AttachConsole(console, options_.cli.tail, &loop_options, &adapter_options.on_log,
                options_.app_logs);
  adapter_options.on_hook_output = [console](absl::string_view line) { console->Info(line); };
  absl::StatusOr<LoopAdapters> adapters =
      MakeLoopAdapters(options_.docker, g->pipeline, adapter_options);
  if (!adapters.ok()) return adapters.status();
  g->adapters = *std::move(adapters);
  absl::StatusOr<std::shared_ptr<dev::DevLoop>> loop = dev::DevLoop::Make(
      std::move(loop_options),
      g->adapters.Ports(options_.hub, options_.executor, options_.pool));
  if (!loop.ok()) return loop.status();
  g->loop = *std::move(loop);
  return g;
}

absl::Status LiveLoop::StartGeneration(Generation& g) {
  switch (g.pipeline.deployer) {
    case DeployerKind::kDocker:
      options_.console->Info(
          absl::StrCat("Deploying to the local Docker Engine: ", g.pipeline.deployer_reason));
      break;
    case DeployerKind::kKubectl:
      options_.console->Info(absl::StrCat("Deploying to Kubernetes with kubectl: ",
                                          g.pipeline.deployer_reason, "; ",
                                          g.adapters.images_note));
      break;
  }
  for (const std::string& note : g.pipeline.notes) options_.console->Info(note);
  // The watch is in place before the first build starts, so no edit is missed.
  if (options_.cli.trigger != cli::Trigger::kManual) {
    fs::WatchOptions watch;
    std::map<std::string, std::string> contexts;
    std::set<std::string> reload_on;  // Dockerfiles sync.infer reads
    for (const WatchedArtifact& a : g.pipeline.watched) {
      contexts[a.image] = a.context_dir;
      if (a.infers_sync) reload_on.insert(domain::ResolvePath(a.context_dir, a.dockerfile));
      if (!a.custom.has_value()) {
        watch.artifacts.push_back({.name = a.image, .context_dir = a.context_dir});
        continue;
      }
      // A custom artifact: only its declared dependencies count, read now (a
      // change of the Dockerfile they come from reloads the project).
      absl::StatusOr<build::CustomWatch> custom =
          build::ResolveCustomDependencies(*a.custom, a.context_dir, &kubectl_runner_);
      if (!custom.ok()) {
        return absl::Status(custom.status().code(),
                            absl::StrCat("build.artifacts[", a.image, "].",
                                         custom.status().message()));
      }
      if (!a.custom->dockerfile.empty()) {
        reload_on.insert(domain::ResolvePath(a.context_dir, a.custom->dockerfile));
      }
      if (!custom->watched) continue;  // Skaffold: no dependencies, no rebuild on a change
      watch.artifacts.push_back({.name = a.image,
                                 .context_dir = a.context_dir,
                                 .dependencies = custom->dependencies,
                                 .ignore = custom->ignore,
                                 .honour_dockerignore = custom->honour_dockerignore});
    }
    // Each test command's dependencies, under a name no image can have.
    for (size_t i = 0; i < g.pipeline.watched_tests.size(); ++i) {
      const WatchedTest& t = g.pipeline.watched_tests[i];
      absl::StatusOr<std::optional<fs::WatchedArtifact>> test_watch =
          TestWatch(t, i, &kubectl_runner_);
      if (!test_watch.ok()) return test_watch.status();
      if (test_watch->has_value()) watch.artifacts.push_back(**std::move(test_watch));
    }
    std::string config_file;
    // The top config comes last (configs are in dependency order).
    if (!g.pipeline.config_files.empty()) config_file = g.pipeline.config_files.back();
    watch.config_file = config_file;
    watch.poll_interval = options_.cli.watch_poll_interval;
    auto w = options_.cli.trigger == cli::Trigger::kPolling ? fs::MakePollingWatcher(watch)
                                                           : fs::MakeInotifyWatcher(watch);
    if (!w.ok()) return w.status();
    g.watcher = *std::move(w);
    absl::Status started =
        g.watcher->Start([this, contexts, config_file, reload_on](const fs::ChangeSet& c) {
          OnChanges(contexts, config_file, reload_on, c);
        });
    if (!started.ok()) return started;
  }
  if (options_.on_run_start && !g.continues_run) options_.on_run_start(g.run_id, g.pipeline);
  g.loop->Start();
  return absl::OkStatus();
}

std::string LiveLoop::run_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_ == nullptr ? "" : generation_->run_id;
}

absl::Status LiveLoop::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation_ == nullptr) return absl::FailedPreconditionError("the loop was stopped");
    absl::Status started = StartGeneration(*generation_);
    if (!started.ok()) return started;
  }
  reloader_ = std::thread([this] { ReloadLoop(); });
  return absl::OkStatus();
}

absl::Status LiveLoop::Stop(absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // A reload in progress finishes first (its old loop's cleanup included).
  if (reloader_.joinable()) reloader_.join();
  std::unique_ptr<Generation> g;
  {
    std::lock_guard<std::mutex> lock(mu_);
    g = std::move(generation_);
  }
  if (g == nullptr) return absl::OkStatus();
  if (g->watcher) g->watcher->Stop();
  absl::Status stopped = g->loop->Stop(timeout);
  // Jobs of the loop may still hold its adapters until the pool shuts down.
  std::lock_guard<std::mutex> lock(mu_);
  retired_.push_back(std::move(g));
  return stopped;
}

std::shared_ptr<dev::DevLoop> LiveLoop::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_ == nullptr ? nullptr : generation_->loop;
}

void LiveLoop::OnChanges(const std::map<std::string, std::string>& contexts,
                         const std::string& config_file, const std::set<std::string>& reload_on,
                         const fs::ChangeSet& changes) {
  bool reload = changes.config_changed;
  for (const std::string& path : changes.paths) reload = reload || reload_on.contains(path);
  if (reload) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      reload_wanted_ = true;
    }
    wake_.notify_all();
  }
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return;
  std::set<std::string> retest;  // after the builds: a rebuild tests anyway
  for (const auto& [image, paths] : changes.artifacts) {
    absl::string_view name = image;
    if (absl::ConsumePrefix(&name, kTestWatch)) {
      retest.insert(std::string(name.substr(name.find(' ') + 1)));
      continue;
    }
    const std::string& context = contexts.at(image);
    std::vector<domain::FileChange> files;
    for (const std::string& p : paths) {
      const std::string path = absl::StrCat(context, "/", p);
      if (path == config_file || reload_on.contains(path)) continue;  // the reload's business
      files.push_back({.path = p, .deleted = !Exists(path)});
    }
    if (!files.empty()) loop->FilesChanged(image, std::move(files));
  }
  for (const std::string& image : retest) loop->TestDependenciesChanged(image);
}

void LiveLoop::ReloadLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return reload_wanted_ || stopping_; });
      if (stopping_) return;
      reload_wanted_ = false;
    }
    Reload();
  }
}

std::string LiveLoop::Fingerprint(const Project& project) {
  std::string text = config::ToYaml(project.configs);
  for (const config::Config& c : project.configs) {
    for (const config::Artifact& a : c.build.artifacts) {
      if (!a.sync.has_value()) continue;
      absl::StrAppend(&text, "\n# ", a.image, " workdir ", a.sync->workdir);
      for (const config::DockerCopy& copy : a.sync->inferred_copies) {
        absl::StrAppend(&text, "\n# ", a.image, " copies ", absl::StrJoin(copy.srcs, " "), " to ",
                        copy.dest);
      }
    }
  }
  return text;
}

void LiveLoop::Reload() {
  absl::StatusOr<Project> project = options_.load ? options_.load() : LoadProject(options_.cli);
  if (!project.ok()) return ReportInvalid(project.status());
  std::string fingerprint = Fingerprint(*project);
  if (fingerprint == applied_) {
    // A comment, blank lines, keys reordered, a value written another way:
    // the loop would be the same, so the running one goes on untouched.
    options_.console->Info(
        "The config was saved, but nothing devloop uses changed: the dev loop goes on");
    return;
  }
  // With the same deployer the run goes on: the new loop takes over what the
  // old one runs, so what did not change keeps running. On Kubernetes that
  // keeps the run id in the pod templates, so an unchanged object is applied
  // unchanged and its pods stay.
  std::string continued;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation_ == nullptr) return;
    if (RunCanGoOn(generation_->pipeline, project->pipeline)) continued = generation_->run_id;
  }
  const bool run_goes_on = !continued.empty();
  absl::StatusOr<std::unique_ptr<Generation>> next =
      MakeGeneration(*std::move(project), std::move(continued));
  if (!next.ok()) return ReportInvalid(next.status());

  options_.console->Info(
      run_goes_on ? "The config changed: applying it; what did not change keeps running..."
                  : "The config changed: restarting the dev loop with it...");
  std::unique_ptr<Generation> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    old = std::move(generation_);
  }
  if (old->watcher) old->watcher->Stop();
  old->loop->ReplacedSoon(run_goes_on);
  absl::Status stopped = old->loop->Stop(absl::Seconds(20));
  if (!stopped.ok()) DEVLOOP_LOG(WARNING) << "stopping the replaced loop: " << stopped;
  if (run_goes_on) {
    absl::Status taken = HandOverRun(old->adapters, (*next)->adapters);
    if (!taken.ok()) {
      DEVLOOP_LOG(WARNING) << "taking over what the replaced loop deployed: " << taken;
    }
  } else if (options_.on_run_end) {
    options_.on_run_end(old->run_id);
  }
  absl::Status started;
  deploy::Deployer* unstarted = nullptr;  // holds what it took over, and never cleans up
  bool remove = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    retired_.push_back(std::move(old));
    generation_ = *std::move(next);
    applied_ = std::move(fingerprint);
    started = StartGeneration(*generation_);
    if (!started.ok() && run_goes_on) unstarted = generation_->adapters.deployer.get();
    remove = generation_->pipeline.loop.cleanup;
  }
  if (!started.ok()) {
    options_.console->Error(domain::StatusCode::kInitUnknown,
                            absl::StrCat("cannot start the new dev loop: ", started.message()));
    if (unstarted != nullptr) {
      absl::Status s = unstarted->Cleanup(remove);
      if (!s.ok()) DEVLOOP_LOG(WARNING) << "removing what the replaced loop ran: " << s;
    }
    return;
  }
  ++reloads_;
}

void LiveLoop::ReportInvalid(const absl::Status& status) {
  const std::string message(status.message());
  options_.console->Error(
      domain::StatusCode::kInitUnknown,
      absl::StrCat("the config changed but cannot be applied; devloop goes on with the last "
                   "good one. Fix it and save again:\n",
                   message));
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return;
  domain::ActionableErr err{domain::StatusCode::kInitUnknown, message, {}};
  loop->Record(domain::LogEntry{
      options_.executor->clock()->Now(),
      domain::DevLoopEvent{last_iteration_.load(), std::string(domain::kStatusFailed), err},
      absl::StrCat("Config reload failed: ", message)});
}

void LiveLoop::Execute(const control::Intent& intent, Done done) {
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return done(absl::UnavailableError("devloop is shutting down"));
  loop->Execute(intent, std::move(done));
}

void LiveLoop::SetAutoTrigger(domain::Phase phase, bool enabled, Done done) {
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return done(absl::UnavailableError("devloop is shutting down"));
  loop->SetAutoTrigger(phase, enabled, std::move(done));
}

void LiveLoop::Handle(const domain::Event& event, Done done) {
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return done(absl::UnavailableError("devloop is shutting down"));
  loop->Handle(event, std::move(done));
}

void LiveLoop::Pending(PendingDone done) {
  std::shared_ptr<dev::DevLoop> loop = current();
  if (loop == nullptr) return done(absl::UnavailableError("devloop is shutting down"));
  loop->Pending(std::move(done));
}

}  // namespace devloop::apps
