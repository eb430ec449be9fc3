#include "infra/deploy/docker/docker_deployer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "domain/events/status_payload.h"
#include "domain/debug/transform.h"
#include "infra/build/docker/image_builder.h"
#include "infra/deploy/docker/debugger_ready.h"
#include "infra/deploy/docker/listening.h"
#include "infra/deploy/labels.h"
#include "infra/docker/docker_status.h"
#include "infra/log/log.h"

namespace devloop::deploy {
namespace {

// How long a status check waits for an exited container's log stream to end.
// The engine ends it as soon as it has sent what the container printed.
constexpr absl::Duration kLastLinesWait = absl::Seconds(2);

// Docker names allow [a-zA-Z0-9_.-]; image names may hold '/' and ':'.
std::string ContainerSafe(absl::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' ? c : '-');
  }
  return out;
}

bool Names(const PortForwardSpec& f, const std::string& image) {
  return f.resource_name == image || f.resource_name == ShortImageName(image);
}

std::string Resource(const std::string& alias) { return absl::StrCat("container/", alias); }

// Whether every debug port of `started` listens in process `pid`'s network
// namespace; true when that cannot be told (a remote engine).
bool AllListen(int pid, const domain::DebuggingContainerEvent& started) {
  for (const auto& [name, port] : started.debug_ports) {
    std::optional<bool> listening = ListensOn(pid, port);
    if (!listening.has_value()) return true;
    if (!*listening) return false;
  }
  return true;
}

}  // namespace

// Waits, on a thread of its own, for a debugging container's debugger to
// listen on its ports, then reports it Started. Debuggers take from tens of
// milliseconds (node) to a second or more (Delve loading a large binary) to
// listen: reported at once, an IDE attaching on the event would be refused.
class DockerDeployer::DebugWatch {
 public:
  // `questions`: debug port name -> host port, of the debuggers to ask
  // (debugger_ready.h) once they listen.
  DebugWatch(int pid, domain::DebuggingContainerEvent started,
             std::map<std::string, int> questions, DebugSink sink)
      : thread_([this, pid, started = std::move(started), questions = std::move(questions),
                 sink = std::move(sink)] { Wait(pid, started, questions, sink); }) {}
  ~DebugWatch() { Stop(); }

  // Stops waiting (nothing is reported after it returns).
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  bool reported() {
    absl::MutexLock lock(&mu_);
    return reported_;
  }

 private:
  static constexpr absl::Duration kPatience = absl::Seconds(30);

  void Wait(int pid, const domain::DebuggingContainerEvent& started,
            const std::map<std::string, int>& questions, const DebugSink& sink) {
    const absl::Time deadline = absl::Now() + kPatience;
    auto answered = [&questions] {
      for (const auto& [name, host_port] : questions) {
        if (!DebuggerAnswers(name, host_port, absl::Seconds(2)).ok()) return false;
      }
      return true;
    };
    while (!AllListen(pid, started) || !answered()) {
      if (absl::Now() > deadline) {
        DEVLOOP_LOG(WARNING) << "the debugger of " << started.container_name
                             << " does not listen after " << absl::FormatDuration(kPatience)
                             << "; reporting it all the same";
        break;
      }
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(5))) return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      reported_ = true;
    }
    if (sink) sink(started);
  }

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the rest is made
};

DockerDeployer::Handover::~Handover() {
  // Nothing takes them over: stop following before the routes' tails go.
  for (Container& c : containers_) {
    if (c.logs) c.logs->Stop();
  }
}

std::string ShortImageName(const std::string& image) {
  std::string name = image;
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const size_t colon = name.find(':');
  if (colon != std::string::npos) name = name.substr(0, colon);
  const size_t at = name.find('@');
  if (at != std::string::npos) name = name.substr(0, at);
  return name;
}

domain::ResourceObservation ObserveContainer(const std::string& resource,
                                             const docker::ContainerState& state) {
  domain::ResourceObservation obs;
  obs.resource = resource;
  obs.desired_replicas = 1;
  obs.restart_count = state.restart_count;
  if (state.health == "starting") obs.health = domain::Health::kStarting;
  if (state.health == "healthy") obs.health = domain::Health::kHealthy;
  if (state.health == "unhealthy") obs.health = domain::Health::kUnhealthy;
  switch (state.status) {
    case docker::ContainerStatus::kRunning:
      obs.ready_replicas = (state.health.empty() || state.health == "healthy") ? 1 : 0;
      break;
    case docker::ContainerStatus::kCreated:
      obs.waiting_reason = "ContainerCreating";
      break;
    case docker::ContainerStatus::kRestarting:
      obs.waiting_reason = "CrashLoopBackOff";
      obs.waiting_message = absl::StrCat("restarting after exit code ", state.exit_code);
      break;
    case docker::ContainerStatus::kExited:
    case docker::ContainerStatus::kDead:
      obs.terminated = true;
      obs.exit_code = state.exit_code;
      obs.terminated_reason = state.oom_killed            ? "OOMKilled"
                              : state.exit_code == 0 ? "Completed"
                                                     : "Error";
      break;
    case docker::ContainerStatus::kPaused:
    case docker::ContainerStatus::kRemoving:
    case docker::ContainerStatus::kUnknown:
      obs.waiting_reason = "Unknown";
      obs.waiting_message =
          absl::StrFormat("container is %s", absl::FormatStreamed(state.status));
      break;
  }
  if (!state.error.empty()) {
    obs.waiting_reason = "RunContainerError";
    obs.waiting_message = state.error;
  }
  return obs;
}

absl::Status DeployError(absl::Status status) {
  if (status.ok()) return status;
  const domain::StatusCode engine = docker::DockerStatusCode(status);
  switch (engine) {
    case domain::StatusCode::kBuildDockerDaemonNotRunning:
    case domain::StatusCode::kBuildDockerUnavailable:
    case domain::StatusCode::kBuildDockerDeadline:
      return domain::WithStatusCode(std::move(status),
                                    domain::StatusCode::kDeployClusterConnectionErr);
    case domain::StatusCode::kDeployCancelled:
      return status;
    default:
      break;
  }
  absl::Status named(status.code(), absl::StrCat(status.message(), " (",
                                                 domain::StatusCodeName(engine), ")"));
  return domain::WithStatusCode(std::move(named), domain::StatusCode::kDeployUnknown);
}

absl::StatusOr<std::unique_ptr<DockerDeployer>> DockerDeployer::Make(
    docker::Docker* docker, Options options, const std::vector<std::string>& artifact_images) {
  if (docker == nullptr) return absl::InvalidArgumentError("DockerDeployer needs a Docker");
  if (options.run_id.empty()) return absl::InvalidArgumentError("DockerDeployer needs a run id");
  for (const PortForwardSpec& f : options.port_forwards) {
    if (f.resource_type != "container") {
      return absl::InvalidArgumentError(absl::StrCat(
          "portForward resourceType \"", f.resource_type,
          "\" needs a Kubernetes deployer; the Docker deployer forwards resourceType "
          "\"container\""));
    }
    if (std::none_of(artifact_images.begin(), artifact_images.end(),
                     [&](const std::string& image) { return Names(f, image); })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "portForward names resourceName \"", f.resource_name,
          "\", which is not the image of any artifact (resourceType container forwards an "
          "artifact's container)"));
    }
  }
  return std::unique_ptr<DockerDeployer>(new DockerDeployer(docker, std::move(options)));
}

DockerDeployer::DockerDeployer(docker::Docker* docker, Options options)
    : docker_(docker),
      options_(std::move(options)),
      network_(absl::StrCat("devloop-", options_.run_id)),
      tail_(options_.on_log) {}

DockerDeployer::~DockerDeployer() {
  // Log followers and forwarders join their threads; nothing is removed.
  (void)Cleanup(/*remove=*/false);
}

void DockerDeployer::ReportDebugging(DebugSink sink) {
  absl::MutexLock lock(&mu_);
  on_debug_ = std::move(sink);
}

DebugSink DockerDeployer::debug_sink() {
  absl::MutexLock lock(&mu_);
  return on_debug_;
}

void DockerDeployer::Prepare() {
  absl::MutexLock lock(&mu_);
  if (network_ready_ || cleaned_up_ || network_made_.valid()) return;
  network_made_ = std::async(std::launch::async, [this] { return MakeNetwork(); }).share();
}

absl::Status DockerDeployer::MakeNetwork() {
  std::map<std::string, std::string> labels = options_.labels;
  labels[kRunIdLabel] = options_.run_id;
  absl::StatusOr<std::string> net = docker_->CreateNetwork(network_, labels);
  if (!net.ok() && net.status().code() != absl::StatusCode::kAlreadyExists) return net.status();
  return absl::OkStatus();
}

absl::StatusOr<DockerDeployer::Container> DockerDeployer::Start(int64_t deploy_id,
                                                                const std::string& image,
                                                                const std::string& ref) {
  Container c{.image = image, .ref = ref, .alias = ShortImageName(image)};
  int64_t number = 0;  // the deployment's in the run, across config reloads
  {
    absl::MutexLock lock(&mu_);
    number = deploy_base_ + deploy_id;
    last_deploy_ = std::max(last_deploy_, number);
  }
  docker::RunRequest run;
  run.image = build::RunnableImage(ref);  // the id of an image we built
  run.name = ContainerSafe(absl::StrCat(c.alias, "-", options_.run_id, "-", number));
  run.labels = options_.labels;
  run.labels[kRunIdLabel] = options_.run_id;
  run.labels[kDeployIdLabel] = absl::StrCat(number);
  run.labels[kImageLabel] = build::DisplayReference(ref);
  for (const PortForwardSpec& f : options_.port_forwards) {
    if (Names(f, image)) run.ports.push_back({.container_port = f.port});
  }
  run.network = network_;
  run.network_aliases = {c.alias};
  std::set<std::string> askable;  // debug ports whose debugger may be asked if it is up
  if (options_.debug.enabled) {
    absl::StatusOr<std::optional<domain::DebuggingContainerEvent>> debugging =
        RewriteForDebug(image, run, &askable);
    if (!debugging.ok()) return debugging.status();
    c.debugging = *std::move(debugging);
  }
  absl::StatusOr<std::string> id = docker_->Run(run);
  if (!id.ok()) return id.status();
  c.id = *id;
  absl::StatusOr<docker::ContainerState> state = docker_->Inspect(c.id);
  if (!state.ok()) {
    (void)docker_->Remove(c.id, /*force=*/true);
    return state.status();
  }
  for (const docker::PortMapping& m : state->ports) c.published[m.container_port] = m.host_port;
  c.route = std::make_shared<LogRoute>(&tail_);
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> logs = docker_->FollowLogs(
      c.id, [route = c.route, key = c.id, source = LogSource{.name = c.alias}](
                docker::LogStream, absl::string_view line) { route->Add(key, source, line); });
  if (logs.ok()) {
    c.logs = *std::move(logs);
  } else {
    DEVLOOP_LOG(WARNING) << "cannot follow the logs of " << c.alias << ": " << logs.status();
  }
  if (c.debugging.has_value()) ReportStarted(c, state->pid, askable);
  return c;
}

void DockerDeployer::ReportStarted(Container& c, int pid,
                                   const std::set<std::string>& askable) {
  DebugSink sink = debug_sink();
  // Without the container's socket table (a remote engine) there is no
  // telling when the debugger is up, nor a loopback port to ask it on.
  if (c.debugging->debug_ports.empty() ||
      !ListensOn(pid, c.debugging->debug_ports.begin()->second).has_value()) {
    if (sink) sink(*c.debugging);
    return;
  }
  std::map<std::string, int> questions;
  for (const auto& [name, port] : c.debugging->debug_ports) {
    auto published = c.published.find(static_cast<int>(port));
    if (askable.contains(name) && published != c.published.end()) {
      questions[name] = published->second;
    }
  }
  c.debug_watch =
      std::make_shared<DebugWatch>(pid, *c.debugging, std::move(questions), std::move(sink));
}

bool DockerDeployer::Reported(const Container& c) {
  return c.debugging.has_value() && (c.debug_watch == nullptr || c.debug_watch->reported());
}

absl::StatusOr<std::optional<domain::DebuggingContainerEvent>> DockerDeployer::RewriteForDebug(
    const std::string& image, docker::RunRequest& run, std::set<std::string>* askable) {
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(run.image);
  if (!info.ok()) return info.status();
  const std::string alias = run.network_aliases.empty() ? ShortImageName(image)
                                                        : run.network_aliases.front();
  debug::ContainerSpec spec{.name = alias,
                            .artifact = image,
                            .entrypoint = info->config.entrypoint,
                            .args = info->config.cmd,
                            .working_dir = info->config.working_dir};
  for (const std::string& kv : info->config.env) {
    const size_t eq = kv.find('=');
    spec.env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  for (const docker::PortMapping& p : run.ports) {
    spec.ports.push_back(static_cast<uint32_t>(p.container_port));
  }
  auto runtime_type = options_.debug.runtime_types.find(image);
  if (runtime_type != options_.debug.runtime_types.end()) spec.runtime_type = runtime_type->second;
  absl::StatusOr<debug::DebugTransform> t = debug::TransformContainer(spec, {});
  if (!t.ok()) {
    DEVLOOP_LOG(WARNING) << "not debugging " << alias << ": " << t.status().message();
    return std::nullopt;
  }
  if (!t->support.empty()) {
    absl::StatusOr<std::string> volume = SupportVolume(t->support);
    if (!volume.ok()) return volume.status();
    run.mounts.push_back({.volume = *volume,
                          .target = absl::StrCat("/dbg/", t->support),
                          .read_only = true});
  }
  run.entrypoint = t->entrypoint;
  // An empty entrypoint in a request keeps the image's; [""] clears it.
  if (run.entrypoint.empty() && !info->config.entrypoint.empty()) run.entrypoint = {""};
  run.cmd = t->args;
  for (const auto& [key, value] : t->env) run.env[key] = value;
  for (const debug::DebugPort& p : t->ports) {
    const int port = static_cast<int>(p.port);
    if (std::none_of(run.ports.begin(), run.ports.end(),
                     [port](const docker::PortMapping& m) { return m.container_port == port; })) {
      run.ports.push_back({.container_port = port});
    }
  }
  domain::DebuggingContainerEvent e{.status = std::string(domain::kStatusStarted),
                                    .pod_name = run.name,
                                    .container_name = alias,
                                    .artifact = image,
                                    .runtime = std::string(debug::RuntimeName(t->runtime)),
                                    .working_dir = t->working_dir};
  for (const debug::DebugPort& p : t->ports) {
    e.debug_ports[p.name] = p.port;
    // A Delve devloop did not start may end when a client leaves.
    if (CanAskDebugger(p.name) && (p.name != "dlv" || t->support == "go")) {
      askable->insert(p.name);
    }
  }
  return e;
}

absl::StatusOr<std::string> DockerDeployer::SupportVolume(const std::string& support) {
  const std::string volume =
      ContainerSafe(absl::StrCat("devloop-debug-", support, "-", options_.run_id));
  absl::MutexLock lock(&support_mu_);
  if (support_volumes_.contains(support)) return volume;
  const std::string image = options_.debug.support_image_prefix + support;
  absl::StatusOr<docker::ImageInfo> info = docker_->InspectImage(image);
  if (!info.ok()) {
    if (info.status().code() != absl::StatusCode::kNotFound) return info.status();
    return domain::WithStatusCode(
        absl::FailedPreconditionError(absl::StrCat(
            "debugging a ", support, " container needs the image ", image,
            " (the debugger's files), and the Docker Engine has none: make it with "
            "tools/debug/support.sh")),
        domain::StatusCode::kDeployUnknown);
  }
  std::map<std::string, std::string> labels = options_.labels;
  labels[kRunIdLabel] = options_.run_id;
  if (absl::Status made = docker_->CreateVolume(volume, labels); !made.ok()) return made;
  // An empty volume mounted where the image holds files is filled with them
  // when the container is created; it never needs to run.
  absl::StatusOr<std::string> filler =
      docker_->Run({.image = info->id,
                    .labels = labels,
                    .entrypoint = {"/bin/busybox", "true"},
                    .mounts = {{.volume = volume, .target = absl::StrCat("/dbg/", support)}},
                    .start = false});
  if (!filler.ok()) return filler.status();
  (void)docker_->Remove(*filler, /*force=*/true);
  support_volumes_.insert(support);
  return volume;
}

void DockerDeployer::ReportGone(const Container& c) {
  if (c.debug_watch != nullptr) c.debug_watch->Stop();
  if (!Reported(c)) return;
  DebugSink sink = debug_sink();
  if (!sink) return;
  domain::DebuggingContainerEvent gone = *c.debugging;
  gone.status = std::string(domain::kStatusTerminated);
  sink(std::move(gone));
}

void DockerDeployer::Remove(std::vector<Container>& containers, absl::Duration grace) {
  for (Container& c : containers) {
    if (c.logs) c.logs->Stop();
    if (grace > absl::ZeroDuration()) (void)docker_->Stop(c.id, grace);
    (void)docker_->Remove(c.id, /*force=*/true);
    tail_.Forget(c.id);
    ReportGone(c);
  }
}

absl::StatusOr<std::vector<std::string>> DockerDeployer::Deploy(int64_t deploy_id,
                                                                const domain::ImageTags& images) {
  bool need_network = false;
  std::shared_future<absl::Status> prepared;
  std::map<std::string, std::string> carry;  // image -> id of a live container running its ref
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is being cleaned up"),
                                    domain::StatusCode::kDeployCancelled);
    }
    need_network = !network_ready_;
    prepared = network_made_;
    for (const auto& [image, ref] : images) {
      for (const auto& [id, containers] : deployments_) {
        for (const Container& c : containers) {
          if (c.image == image && c.ref == ref && Publishes(c)) carry[image] = c.id;
        }
      }
    }
  }
  if (need_network) {
    // Made ahead by Prepare while the build ran; made now when it was not
    // asked, or failed (a passing engine hiccup then costs nothing).
    absl::Status network = prepared.valid() ? prepared.get() : MakeNetwork();
    if (!network.ok() && prepared.valid()) network = MakeNetwork();
    if (!network.ok()) return DeployError(network);
  }
  std::vector<Container> made;
  std::vector<std::string> carried;  // container ids
  std::vector<std::string> resources;
  for (const auto& [image, ref] : images) {
    resources.push_back(Resource(ShortImageName(image)));
    if (auto it = carry.find(image); it != carry.end()) {
      absl::StatusOr<docker::ContainerState> state = docker_->Inspect(it->second);
      if (state.ok() && state->status == docker::ContainerStatus::kRunning) {
        carried.push_back(it->second);
        continue;
      }
      // Not running any more (it crashed, or was removed): start afresh.
    }
    absl::StatusOr<Container> started = Start(deploy_id, image, ref);
    if (!started.ok()) {
      Remove(made, absl::ZeroDuration());
      return DeployError(started.status());
    }
    made.push_back(*std::move(started));
  }

  absl::Status failed = Adopt(deploy_id, carried, made);
  if (!failed.ok()) {
    Remove(made, absl::ZeroDuration());
    return failed;
  }
  // A deploy starts the API's list of debugging containers afresh (as it
  // does the forwarded ports): the carried ones are reported again.
  std::vector<domain::DebuggingContainerEvent> still;
  DebugSink sink;
  {
    absl::MutexLock lock(&mu_);
    sink = on_debug_;
    for (const Container& c : deployments_[deploy_id]) {
      if (Reported(c) && std::find(carried.begin(), carried.end(), c.id) != carried.end()) {
        still.push_back(*c.debugging);
      }
    }
  }
  if (sink) {
    for (domain::DebuggingContainerEvent& e : still) sink(std::move(e));
  }
  RetireTakenOver();
  return resources;
}

absl::Status DockerDeployer::Adopt(int64_t deploy_id, const std::vector<std::string>& carried,
                                         std::vector<Container>& made) {
  absl::MutexLock lock(&mu_);
  if (cleaned_up_) {
    return domain::WithStatusCode(absl::CancelledError("the run is being cleaned up"),
                                  domain::StatusCode::kDeployCancelled);
  }
  // Carried over: each moves (ports, log follower) out of the deployment it ran
  // in, so stopping that one leaves it running. All or none: first find them.
  std::vector<std::pair<int64_t, std::string>> found;
  std::vector<std::string> lost;
  for (const std::string& id : carried) {
    bool seen = false;
    for (const auto& [old_id, old] : deployments_) {
      for (const Container& c : old) {
        if (c.id == id) {
          found.emplace_back(old_id, id);
          seen = true;
        }
      }
    }
    if (!seen) lost.push_back(id);
  }
  if (!lost.empty()) {
    return domain::WithStatusCode(
        absl::AbortedError(absl::StrCat("container ", absl::StrJoin(lost, ", "),
                                        " stopped while the deploy was carrying it over; save "
                                        "again to redeploy")),
        domain::StatusCode::kDeployUnknown);
  }
  network_ready_ = true;
  std::vector<Container>& now = deployments_[deploy_id];
  for (Container& c : made) now.push_back(std::move(c));
  made.clear();
  for (const auto& [old_id, id] : found) {
    std::vector<Container>& old = deployments_[old_id];
    auto it = std::find_if(old.begin(), old.end(), [&](const Container& o) { return o.id == id; });
    now.push_back(std::move(*it));
    old.erase(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<domain::ResourceObservation>> DockerDeployer::Observe(
    int64_t deploy_id) {
  struct Target {
    std::string resource;
    std::string id;
    std::shared_ptr<docker::LogFollower> logs;
  };
  std::vector<Target> targets;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it == deployments_.end()) return std::vector<domain::ResourceObservation>{};
    for (const Container& c : it->second) targets.push_back({Resource(c.alias), c.id, c.logs});
  }
  std::vector<domain::ResourceObservation> out;
  for (const auto& [resource, id, logs] : targets) {
    absl::StatusOr<docker::ContainerState> state = docker_->Inspect(id);
    if (!state.ok() && state.status().code() != absl::StatusCode::kNotFound) {
      return DeployError(state.status());
    }
    domain::ResourceObservation obs;
    if (state.ok()) {
      obs = ObserveContainer(resource, *state);
    } else {
      obs.resource = resource;
      obs.terminated = true;
      obs.exit_code = -1;
      obs.terminated_reason = "the container was removed";
    }
    if (obs.terminated || !obs.waiting_reason.empty() || obs.health == domain::Health::kUnhealthy) {
      // A container that exited at once may be reported so before its follower
      // has read a line: its last words are the point of the report.
      if (obs.terminated && logs != nullptr) (void)logs->WaitEnded(kLastLinesWait);
      obs.last_log_lines = tail_.Last(id);
    }
    out.push_back(std::move(obs));
  }
  return out;
}

bool WaitAnswering(int host_port, absl::Duration wait) {
  const absl::Time give_up = absl::Now() + wait;
  while (true) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(host_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool answering = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      // The engine's proxy accepts at once and closes again when nothing in
      // the container listens yet; a listening app keeps the connection open
      // (or greets).
      pollfd p{.fd = fd, .events = POLLIN};
      char byte;
      answering = ::poll(&p, 1, 50) == 0 || ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    }
    ::close(fd);
    if (answering) return true;
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

std::vector<domain::PortEvent> DockerDeployer::ForwardPorts(int64_t deploy_id) {
  std::vector<domain::PortEvent> events;
  StreamPortForwards(deploy_id, [&events](domain::PortEvent e) { events.push_back(std::move(e)); });
  return events;
}

void DockerDeployer::StreamPortForwards(
    int64_t deploy_id, const std::function<void(domain::PortEvent)>& on_event) {
  struct Target {
    int index;  // in forwards_
    PortForwardSpec spec;
    std::string alias;
    int host_port;
    std::string port_name;  // a debug port's ("dlv"); empty for the config's forwards
  };
  std::vector<Target> targets;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it == deployments_.end()) return;
    for (size_t i = 0; i < options_.port_forwards.size(); ++i) {
      const PortForwardSpec& f = options_.port_forwards[i];
      for (const Container& c : it->second) {
        if (!Names(f, c.image)) continue;
        auto published = c.published.find(f.port);
        if (published == c.published.end()) {
          DEVLOOP_LOG(WARNING) << "port forward: container " << c.alias
                               << " does not publish port " << f.port;
          continue;
        }
        targets.push_back({static_cast<int>(i), f, c.alias, published->second, ""});
      }
    }
    if (options_.debug.forward_ports) {
      for (const Container& c : it->second) {
        if (!c.debugging.has_value()) continue;
        for (const auto& [name, port] : c.debugging->debug_ports) {
          auto published = c.published.find(static_cast<int>(port));
          if (published == c.published.end()) continue;
          // Numbered after the config's forwards, one per artifact and debug
          // port for the whole run, so a replaced container keeps its local port.
          auto [index, added] = debug_forwards_.try_emplace(
              absl::StrCat(c.image, "/", name),
              static_cast<int>(options_.port_forwards.size() + debug_forwards_.size()));
          PortForwardSpec spec{.resource_type = "container",
                               .resource_name = c.image,
                               .port = static_cast<int>(port),
                               .local_port = static_cast<int>(port)};
          targets.push_back({index->second, spec, c.alias, published->second, name});
        }
      }
    }
  }
  std::stable_partition(targets.begin(), targets.end(),
                        [](const Target& t) { return !t.port_name.empty(); });
  for (const Target& t : targets) {
    // A debugger is attached to when the user chooses; its port is not waited for.
    if (t.port_name.empty() && options_.answer_wait > absl::ZeroDuration() &&
        !WaitAnswering(t.host_port, options_.answer_wait)) {
      DEVLOOP_LOG(WARNING) << "port forward: " << t.alias << " does not answer on port "
                           << t.spec.port << " after "
                           << absl::FormatDuration(options_.answer_wait)
                           << "; forwarding to it anyway";
    }
    absl::StatusOr<domain::PortEvent> event =
        forwards_.Point(t.index, t.spec, {"127.0.0.1", t.host_port}, t.alias);
    if (!event.ok()) {
      DEVLOOP_LOG(WARNING) << "port forward for " << t.spec.resource_name << ": "
                           << event.status();
      continue;
    }
    if (!t.port_name.empty()) event->port_name = t.port_name;
    on_event(*std::move(event));
  }
}

absl::Status DockerDeployer::Stop(int64_t deploy_id) {
  std::vector<Container> stopping;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it == deployments_.end()) return absl::OkStatus();
    stopping = std::move(it->second);
    deployments_.erase(it);
  }
  Remove(stopping, options_.stop_grace);
  return absl::OkStatus();
}

absl::Status DockerDeployer::Cleanup(bool remove) {
  std::vector<Container> all;
  bool had_network = false;
  std::shared_future<absl::Status> prepared;
  {
    absl::MutexLock lock(&mu_);
    // What runs is the next deployer's now; a Deploy that was under way removed its own.
    if (handed_over_) return absl::OkStatus();
    const bool first = !cleaned_up_;
    cleaned_up_ = true;  // and Prepare starts nothing from now on
    prepared = network_made_;
    for (auto& [id, containers] : deployments_) {
      for (Container& c : containers) all.push_back(std::move(c));
    }
    deployments_.clear();
    had_network = network_ready_;
    if (!first && all.empty() && !remove) return absl::OkStatus();
  }
  // A network Prepare is still making is waited for: made after the listing
  // below, it would outlive the run (and Prepare's thread uses this deployer).
  if (prepared.valid()) had_network = prepared.get().ok() || had_network;
  forwards_.CloseAll();
  for (Container& c : all) {
    if (c.logs) c.logs->Stop();
  }
  if (!remove) return absl::OkStatus();
  absl::Status result;
  auto note = [&result](absl::Status s) {
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) result.Update(DeployError(s));
  };
  for (Container& c : all) {
    note(docker_->Remove(c.id, /*force=*/true));
    ReportGone(c);
  }
  // Everything this run made, found by its label (also what an interrupted
  // deploy left behind), and nothing else.
  absl::StatusOr<std::vector<docker::ContainerSummary>> left =
      docker_->ListContainers(kRunIdLabel, options_.run_id);
  note(left.status());
  if (left.ok()) {
    for (const docker::ContainerSummary& c : *left) note(docker_->Remove(c.id, /*force=*/true));
  }
  if (had_network) note(docker_->RemoveNetwork(network_));
  absl::StatusOr<std::vector<std::string>> nets =
      docker_->ListNetworks(kRunIdLabel, options_.run_id);
  note(nets.status());
  if (nets.ok()) {
    for (const std::string& n : *nets) note(docker_->RemoveNetwork(n));
  }
  if (options_.debug.enabled) {
    absl::StatusOr<std::vector<std::string>> volumes =
        docker_->ListVolumes(kRunIdLabel, options_.run_id);
    note(volumes.status());
    if (volumes.ok()) {
      for (const std::string& v : *volumes) note(docker_->RemoveVolume(v));
    }
  }
  return result;
}

bool DockerDeployer::Publishes(const Container& c) const {
  for (const PortForwardSpec& f : options_.port_forwards) {
    if (Names(f, c.image) && !c.published.contains(f.port)) return false;
  }
  return true;
}

void DockerDeployer::RetireTakenOver() {
  std::vector<Container> left;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(kTakenOver);
    if (it == deployments_.end()) return;
    left = std::move(it->second);
    deployments_.erase(it);
  }
  Remove(left, options_.stop_grace);
}

DockerDeployer::Handover DockerDeployer::HandOver() {
  Handover handover;
  std::vector<Container> older;
  std::shared_future<absl::Status> prepared;
  {
    absl::MutexLock lock(&mu_);
    cleaned_up_ = true;  // and Prepare starts nothing from now on
    prepared = network_made_;
  }
  // The network Prepare may still be making is the run's, handed over too.
  const bool network_made = prepared.valid() && prepared.get().ok();
  {
    absl::MutexLock lock(&mu_);
    handed_over_ = true;
    handover.run_id_ = options_.run_id;
    handover.last_deploy_ = last_deploy_;
    handover.network_ready_ = network_ready_ || network_made;
    // The newest deployment that still holds containers is what serves
    // (containers carried into a newer one left an older one's list).
    auto newest = deployments_.end();
    for (auto it = deployments_.begin(); it != deployments_.end(); ++it) {
      if (!it->second.empty()) newest = it;
    }
    for (auto it = deployments_.begin(); it != deployments_.end(); ++it) {
      std::vector<Container>& to = it == newest ? handover.containers_ : older;
      for (Container& c : it->second) to.push_back(std::move(c));
    }
    deployments_.clear();
  }
  handover.forwards_ = forwards_.Release();
  Remove(older, options_.stop_grace);
  return handover;
}

absl::Status DockerDeployer::TakeOver(Handover handover) {
  if (handover.run_id_ != options_.run_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("the deployer of run ", options_.run_id,
                     " cannot take over what run ", handover.run_id_, " runs"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is being cleaned up"),
                                    domain::StatusCode::kDeployCancelled);
    }
    deploy_base_ = std::max(deploy_base_, handover.last_deploy_);
    last_deploy_ = std::max(last_deploy_, handover.last_deploy_);
    network_ready_ = network_ready_ || handover.network_ready_;
    std::vector<Container>& taken = deployments_[kTakenOver];
    for (Container& c : handover.containers_) {
      if (c.route != nullptr) c.route->MoveTo(&tail_);
      taken.push_back(std::move(c));
    }
    handover.containers_.clear();
  }
  forwards_.Adopt(std::move(handover.forwards_), options_.port_forwards);
  return absl::OkStatus();
}

absl::Status DockerDeployer::Sync(int64_t deploy_id, const std::string& image,
                                  const SyncRequest& request) {
  std::string container;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it != deployments_.end()) {
      for (const Container& c : it->second) {
        if (c.image == image) container = c.id;
      }
    }
  }
  if (container.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no running container for ", image));
  }
  if (!request.copies.empty()) {
    std::vector<docker::FileCopy> copies;
    for (const SyncRequest::Copy& c : request.copies) copies.push_back({c.host_path, c.dest});
    absl::Status s = docker_->CopyInto(container, copies);
    if (!s.ok()) return SyncError(std::move(s));
  }
  if (!request.deletes.empty()) return SyncError(docker_->DeleteIn(container, request.deletes));
  return absl::OkStatus();
}

absl::Status DockerDeployer::Exec(int64_t deploy_id, const std::string& image,
                                  const std::vector<std::string>& command,
                                  const std::function<void(absl::string_view line)>& on_output) {
  std::vector<std::string> containers;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it != deployments_.end()) {
      for (const Container& c : it->second) {
        if (c.image == image) containers.push_back(c.id);
      }
    }
  }
  if (containers.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no running container for ", image));
  }
  for (const std::string& container : containers) {
    absl::StatusOr<docker::ExecResult> result = docker_->Exec(container, command);
    if (!result.ok()) return SyncError(result.status());
    std::vector<absl::string_view> lines = absl::StrSplit(result->output, '\n', absl::SkipEmpty());
    if (on_output) {
      for (absl::string_view line : lines) on_output(line);
    }
    if (result->exit_code != 0) {
      const size_t keep = std::min<size_t>(lines.size(), 20);
      return absl::AbortedError(absl::StrCat(
          "`", absl::StrJoin(command, " "), "` in container ", container.substr(0, 12),
          " exited with status ", result->exit_code,
          keep == 0 ? " and printed nothing"
                    : absl::StrCat("; its last output:\n",
                                   absl::StrJoin(lines.end() - keep, lines.end(), "\n"))));
    }
  }
  return absl::OkStatus();
}

absl::Status SyncError(absl::Status status) {
  if (status.ok() || !domain::AttachedStatusCode(status).has_value()) return status;
  const domain::StatusCode engine = docker::DockerStatusCode(status);
  absl::Status named(status.code(), absl::StrCat(status.message(), " (",
                                                 domain::StatusCodeName(engine), ")"));
  return domain::WithStatusCode(std::move(named), domain::StatusCode::kSyncUnknown);
}

}  // namespace devloop::deploy
