// The dev loop's shell: runs the domain Controller on a serialized executor and
// carries out its effects on the local Docker Engine.
//
// Everything the controller decides arrives here as effects; each is performed on
// the blocking pool through the Docker port and its result goes back to the
// controller as an input, on the executor. The records the controller emits are
// appended to the hub, which streams them to API clients and folds the State.
//
// The Docker deployer, as this shell implements it:
//  - One bridge network per run (`devloop-<run id>`); every container joins it
//    with the artifact's short image name as its network alias, so services reach
//    each other by name (`http://leeroy-app:8080`).
//  - Everything created carries the label `dev.devloop.run-id=<run id>` (images
//    too), so cleanup removes exactly what this run made and nothing else.
//  - A redeploy starts the new containers beside the old ones, points the port
//    forwards at them, and only then stops the old ones: the forwarded local port
//    never changes and never refuses a connection. A running container whose
//    image reference did not change is carried over into the new deployment,
//    not restarted: rebuilding one service leaves the others, and the files
//    synced into them, alone. The old containers get
//    `stop_grace` (default 1 s) after SIGTERM before SIGKILL, in the background:
//    a PID 1 that ignores SIGTERM (a shell, busybox httpd) costs at most that,
//    and never delays the new deployment.
//  - Container ports are published on 127.0.0.1 with an engine-chosen host port;
//    portForward's localPort is a PortForwarder in front of it.
//  - The status check inspects each container about every 0.5 s until the check
//    ends, then stops polling (no idle CPU).
//
//   DevLoop loop(options, {.docker = &docker, .hub = &hub, .executor = &executor,
//                          .pool = &pool});
//   DEVLOOP_RETURN_IF_ERROR(loop.Start());
//   watcher.OnChange([&](auto image, auto files) { loop.FilesChanged(image, files); });
//   ... loop.Stop();   // Ctrl-C: cleanup, then returns
//
// Thread-safe: every public method may be called from any thread; the controller
// and all mutable state live on the executor.
#ifndef DEVLOOP_INFRA_DEV_DEV_LOOP_H_
#define DEVLOOP_INFRA_DEV_DEV_LOOP_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "domain/pipeline/controller.h"
#include "infra/control/control.h"
#include "infra/dev/tagger.h"
#include "infra/docker/docker.h"
#include "infra/hub/hub.h"
#include "infra/portforward/port_forwarder.h"
#include "infra/runtime/blocking_pool.h"
#include "infra/runtime/executor.h"

namespace devloop::dev {

// How to build one artifact with the Docker builder.
struct ArtifactBuildSpec {
  domain::ArtifactSpec spec;  // image name, requires, manual sync rules
  std::string context_dir;    // absolute
  std::string dockerfile = "Dockerfile";
  std::map<std::string, std::string> build_args;
  // Required artifact image -> build-arg name carrying its built reference.
  std::map<std::string, std::string> require_aliases;
  std::string target;
  bool no_cache = false;
};

// portForward with resourceType container.
struct PortForwardSpec {
  std::string resource_name;  // the artifact image (or its short name)
  int port = 0;               // in the container
  int local_port = 0;         // 0: pick one
  std::string address = "127.0.0.1";
};

struct DevLoopOptions {
  std::vector<ArtifactBuildSpec> artifacts;
  std::vector<PortForwardSpec> port_forwards;
  bool auto_build = true;
  bool auto_sync = true;
  bool auto_deploy = true;
  bool status_check = true;
  absl::Duration status_check_deadline = absl::Minutes(10);
  absl::Duration status_poll_interval = absl::Milliseconds(500);
  bool port_forward = true;
  // Remove what the run created when it stops.
  bool cleanup = true;
  absl::Duration stop_grace = absl::Seconds(1);
  // Identifies this run in labels and names; a random one when empty.
  std::string run_id;
  // Tags built images by build.tagPolicy / --tag (image_builder.h); null: the
  // first 12 hex digits of the image id. Either way the loop deploys the image
  // by its id, so a rebuild with an unchanged tag still replaces the container.
  std::shared_ptr<const Tagger> tagger;
  // Reuse a local image whose input digest matches instead of building.
  bool cache_artifacts = false;
  // Extra labels on every container, network and image the loop creates (the
  // project label of `devloop run`, which `devloop delete` looks for).
  std::map<std::string, std::string> labels;
  // Artifacts that are not built: image -> the reference to deploy as is
  // (`devloop deploy --images`).
  std::map<std::string, std::string> prebuilt;
  std::string start_entry = "Starting devloop";
  domain::Metadata metadata;
  // Application log lines: (short image name, line). Called from log threads.
  std::function<void(const std::string& source, absl::string_view line)> on_app_log;
  // Every LogEntry the loop appends to the hub, on the executor, after the
  // append (the console renders them).
  std::function<void(const domain::LogEntry& entry)> on_entry;
  // Build output lines: (image, line). Called from the pool.
  std::function<void(const std::string& image, absl::string_view line)> on_build_output;
};

struct DevLoopPorts {
  docker::Docker* docker = nullptr;
  hub::Hub* hub = nullptr;
  runtime::Executor* executor = nullptr;
  runtime::BlockingPool* pool = nullptr;
};

class DevLoop : public control::Control {
 public:
  // Returns InvalidArgument for options the controller refuses (a cycle in
  // `requires`, duplicate images, a bad sync glob, a port forward naming no
  // artifact). The ports must outlive the DevLoop.
  static absl::StatusOr<std::unique_ptr<DevLoop>> Make(DevLoopOptions options, DevLoopPorts ports);

  ~DevLoop() override;

  // Starts iteration 0 (build, deploy, status check, port forwards).
  absl::Status Start();

  // Reports changed files of artifact `image` (paths relative to its context).
  void FilesChanged(const std::string& image, std::vector<domain::FileChange> files);

  // Shuts the loop down: cancels builds, cleans up (unless cleanup is off), and
  // returns when that is done or `timeout` passed. Idempotent.
  absl::Status Stop(absl::Duration timeout = absl::Seconds(20));

  // Blocks until the dev loop has stopped (Stop was called) or `timeout`.
  bool WaitStopped(absl::Duration timeout);

  // control::Control: posted to the executor, which calls `done` with the
  // controller's answer; the caller never waits.
  void Execute(const control::Intent& intent, Done done) override;
  void SetAutoTrigger(domain::Phase phase, bool enabled, Done done) override;
  void Handle(const domain::Event& event, Done done) override;

  const std::string& run_id() const { return options_.run_id; }

  // The labels every object of this run carries.
  static constexpr const char* kRunIdLabel = "dev.devloop.run-id";
  static constexpr const char* kDeployIdLabel = "dev.devloop.deploy-id";
  // On containers: the IMAGE:TAG they run (the engine is given the image id).
  static constexpr const char* kImageLabel = "dev.devloop.image";

 private:
  struct Container {
    std::string id;
    std::string image;       // artifact image name
    std::string ref;         // the image reference it runs ("web:3f2a...")
    std::string alias;       // short name on the network
    std::map<int, int> published;  // container port -> host port on 127.0.0.1
    std::unique_ptr<docker::LogFollower> logs;
  };
  struct Deployment {
    std::vector<Container> containers;
    bool polling = false;
  };
  struct Shared;  // what outlives the loop for pool jobs (stop flag)

  DevLoop(DevLoopOptions options, DevLoopPorts ports, domain::Controller controller);

  // On the executor: feeds `input` to the controller and carries out the output.
  absl::Status Feed(const domain::Input& input);
  void Perform(const domain::Effect& effect);
  absl::Status RunOnExecutor(std::function<absl::Status()> fn);
  // Runs `fn` on the executor and gives its status to `done` (Unavailable if
  // the loop is going away). Never waits.
  void AnswerOnExecutor(absl::AnyInvocable<absl::Status()> fn, Done done);
  absl::Time Now();

  void DoBuild(const std::string& image);
  void DoDeploy(const domain::Deploy& deploy);
  void DoStop(int64_t deploy_id);
  void DoSync(const domain::SyncFiles& sync);
  void DoStatusCheck(const domain::StartStatusCheck& check);
  void Poll(int64_t deploy_id);
  void DoForwardPorts(int64_t deploy_id);
  void DoCleanup(const domain::Cleanup& cleanup);
  const ArtifactBuildSpec* Artifact(const std::string& image) const;

  DevLoopOptions options_;
  DevLoopPorts ports_;
  std::shared_ptr<Shared> shared_;

  // Executor-only state.
  domain::Controller controller_;
  std::map<std::string, std::string> built_;  // image -> last built reference
  std::map<std::string, std::shared_ptr<docker::Cancellation>> building_;
  std::map<int64_t, Deployment> deployments_;
  std::map<int, std::unique_ptr<portforward::PortForwarder>> forwarders_;  // by spec index
  bool network_ready_ = false;
  std::string network_;
  bool stopped_ = false;
};

// Returns the short name of an image reference: "gcr.io/x/leeroy-web:tag" ->
// "leeroy-web".
std::string ShortImageName(const std::string& image);

// Maps what the engine says of a container to a status check observation.
domain::ResourceObservation ObserveContainer(const std::string& resource,
                                             const docker::ContainerState& state);

}  // namespace devloop::dev

#endif  // DEVLOOP_INFRA_DEV_DEV_LOOP_H_
