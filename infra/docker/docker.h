// The Docker port: what devloop asks of a container engine — build and tag
// images, run, stop and remove containers on networks, copy files into running
// containers and delete them, run commands in them, follow logs, and inspect
// state and health.
//
//   std::unique_ptr<Docker> docker = ...;   // EngineApiDocker, or FakeDocker in tests
//   absl::StatusOr<BuildResult> image = docker->Build({
//       .context_dir = "/src/web", .tags = {"web:dev"},
//       .on_output = [](absl::string_view line) { Print(line); }});
//   if (!image.ok()) {
//     domain::StatusCode code = DockerStatusCode(image.status());  // e.g. BUILD_USER_ERROR
//   }
//   absl::StatusOr<std::string> id = docker->Run({.image = "web:dev", .name = "web-1",
//       .labels = {{"dev.devloop.run-id", run_id}},
//       .ports = {{.container_port = 8080}}});
//
// Failure contract, for every method (the payload is read with DockerStatusCode
// in docker_status.h):
//  - Unavailable + BUILD_DOCKER_DAEMON_NOT_RUNNING: nothing listens at the
//    engine's address (socket missing, connection refused).
//  - Internal + BUILD_DOCKER_SYSTEM_ERR: the engine answered something that is
//    not its API (garbage, a truncated answer), or a 5xx without a better code.
//  - DeadlineExceeded + BUILD_DOCKER_DEADLINE: the call's deadline passed.
//  - NotFound + BUILD_DOCKER_ERROR_NOT_FOUND: the image, container, network or
//    exec named does not exist.
//  - InvalidArgument + BUILD_DOCKER_INVALID_PARAM_ERR: the engine refused the
//    request as malformed (HTTP 400), e.g. a bad tag or an invalid name.
//  - AlreadyExists + BUILD_DOCKER_INVALID_PARAM_ERR: a container or network name
//    is taken (HTTP 409).
// Build adds:
//  - FailedPrecondition + BUILD_DOCKERFILE_NOT_FOUND: no Dockerfile at the path.
//  - Aborted + BUILD_USER_ERROR: a build step failed (RUN exited non-zero, COPY of
//    a missing file, a syntax error in the Dockerfile); the message is the
//    engine's, and the step output went to on_output.
//  - Cancelled + BUILD_DOCKER_CANCELLED: BuildRequest::cancellation was cancelled.
// Methods are safe to call concurrently (see each implementation's promise).
#ifndef DEVLOOP_INFRA_DOCKER_DOCKER_H_
#define DEVLOOP_INFRA_DOCKER_DOCKER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace devloop::docker {

// Lets another thread cancel a long call (a build). Cancel() makes the call
// return Cancelled promptly, whatever it is waiting for.
// Thread-safe.
class Cancellation {
 public:
  // Cancels the call now or, if none is running yet, the next one.
  void Cancel();
  bool cancelled() const;

  // For implementations: `on_cancel` runs once, at Cancel() or at once if
  // already cancelled, until Unregister(). Returns false if already cancelled.
  bool Register(std::function<void()> on_cancel);
  void Unregister();

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_cancel_ ABSL_GUARDED_BY(mu_);
};

// Receives one line of output, without the newline.
using OutputCallback = std::function<void(absl::string_view line)>;

struct BuildRequest {
  // The directory sent as the build context. Its .dockerignore is honoured
  // (with `exclude` on top); the Dockerfile and .dockerignore are always sent.
  std::string context_dir;
  // Relative to context_dir.
  std::string dockerfile = "Dockerfile";
  // Every tag the image gets ("web:dev", "registry/web:abc"). May be empty.
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;
  std::string target;  // multi-stage target; "" for the last stage
  bool no_cache = false;
  // The target platform ("linux/arm64"); "" for the engine's own. One only:
  // the classic builder and BuildKit behind POST /build build one platform.
  std::string platform;
  // Extra exclusion, by path relative to context_dir (with '/' separators).
  std::function<bool(absl::string_view relative_path)> exclude;
  // The engine's build output, line by line, on the calling thread.
  OutputCallback on_output;
  absl::Duration timeout = absl::Minutes(30);
  // Cancels the build from another thread when set; the engine abandons a
  // build whose client went away.
  Cancellation* cancellation = nullptr;
};

struct BuildResult {
  std::string image_id;  // "sha256:..."
};

// What a container of an image runs unless the container says otherwise.
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value", in the image's order
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "8080/tcp", sorted
  std::vector<std::string> volumes;        // "/data", sorted
  std::string user;                        // "" for root
  bool operator==(const ImageConfig&) const = default;
};

// An image on the engine, as InspectImage reports it.
struct ImageInfo {
  std::string id;  // "sha256:<64 hex>"
  std::vector<std::string> repo_tags;  // "web:v1", ...; empty for a dangling image
  // The registry digests it was pushed or pulled with ("127.0.0.1:5000/web@sha256:...").
  std::vector<std::string> repo_digests;
  ImageConfig config;
  bool operator==(const ImageInfo&) const = default;
};

struct PortMapping {
  int container_port = 0;
  std::string protocol = "tcp";
  // Where the port is published on the host; host_port 0 lets the engine pick
  // (read it back with Inspect). Loopback unless told otherwise.
  std::string host_ip = "127.0.0.1";
  int host_port = 0;
  bool operator==(const PortMapping&) const = default;
};

// A named volume mounted into a container.
struct VolumeMount {
  std::string volume;
  std::string target;  // absolute path in the container
  bool read_only = false;
  bool operator==(const VolumeMount&) const = default;
};

struct RunRequest {
  std::string image;
  std::string name;  // "" lets the engine pick one
  // Labels mark containers as devloop's (with the run id), so cleanup removes
  // only what this run created.
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> env;
  // Overrides the image's ENTRYPOINT when non-empty (its CMD is then dropped
  // too, unless `cmd` is given).
  std::vector<std::string> entrypoint;
  // Overrides the image's CMD when non-empty.
  std::vector<std::string> cmd;
  std::vector<PortMapping> ports;
  std::string network;  // "" for the default bridge
  std::vector<std::string> network_aliases;
  // Named volumes to mount. A volume that does not exist yet is created
  // (without labels); an empty one is first filled with what the image holds
  // at `target`.
  std::vector<VolumeMount> mounts;
  // False: create the container, do not start it (what it needs, such as the
  // contents of its new volumes, is made all the same).
  bool start = true;
};

// One file to copy into a container.
struct FileCopy {
  std::string host_path;       // a regular file or a symlink on this machine
  std::string container_path;  // absolute path in the container
};

// A path in a container as the engine's archive holds it.
struct PathEntry {
  uint32_t mode = 0;  // st_mode: file type and permission bits
  int64_t uid = 0;
  int64_t gid = 0;
  std::string link_target;  // what a symlink points to ("" otherwise)
  std::string content;      // a regular file's bytes ("" otherwise)
  bool operator==(const PathEntry&) const = default;
};

enum class ContainerStatus { kCreated, kRunning, kPaused, kRestarting, kRemoving, kExited, kDead, kUnknown };
std::ostream& operator<<(std::ostream& os, ContainerStatus status);

// "" when the image defines no healthcheck, else "starting", "healthy", "unhealthy".
struct ContainerState {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image_id;
  ContainerStatus status = ContainerStatus::kUnknown;
  int exit_code = 0;
  bool oom_killed = false;
  int restart_count = 0;
  std::string error;   // the engine's error for a container that failed to start
  std::string health;  // "", "starting", "healthy", "unhealthy"
  std::string last_health_output;
  std::map<std::string, std::string> labels;
  // Published ports actually bound on the host.
  std::vector<PortMapping> ports;
  // The main process's PID in the engine's PID namespace (not necessarily
  // ours); 0 when the container is not running.
  int pid = 0;
};

struct ContainerSummary {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  ContainerStatus status = ContainerStatus::kUnknown;
};

// How a command run in a container ended.
struct ExecResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr, interleaved line by line
};

enum class LogStream { kStdout, kStderr };
using LogCallback = std::function<void(LogStream stream, absl::string_view line)>;

// A running log follower. Destroying it stops following and joins its thread.
class LogFollower {
 public:
  virtual ~LogFollower() = default;
  // Blocks until the container's log stream ends (the container stopped) or
  // Stop() was called. Returns OK when the stream ended normally.
  virtual absl::Status Wait() = 0;
  // Waits at most `timeout` for the stream to end; true when it has, so every
  // line the container printed has reached the callback. The engine reports
  // a container exited before its last lines arrive here.
  virtual bool WaitEnded(absl::Duration timeout) = 0;
  // Stops following; the callback is not invoked once Stop() returns.
  virtual void Stop() = 0;
};

class Docker {
 public:
  virtual ~Docker() = default;

  // Builds an image from `request.context_dir` and tags it with every tag.
  virtual absl::StatusOr<BuildResult> Build(const BuildRequest& request) = 0;
  // Adds `tag` ("repo:tag") to `image` (an id or a tag).
  virtual absl::Status Tag(const std::string& image, const std::string& tag) = 0;
  // Pushes `image` ("127.0.0.1:5000/web:3f2a") to the registry its name
  // holds; returns the digest the registry gave it ("sha256:..."). NotFound if
  // there is no such image; Unavailable when the registry cannot be reached;
  // PermissionDenied when it refuses the push.
  virtual absl::StatusOr<std::string> Push(const std::string& image) = 0;
  // Removes an image (`force` untags it from every name). NotFound if absent.
  virtual absl::Status RemoveImage(const std::string& image, bool force) = 0;
  // Returns the ids of images that carry label `key=value`, newest first.
  virtual absl::StatusOr<std::vector<std::string>> ListImages(const std::string& label_key,
                                                              const std::string& label_value) = 0;
  // Returns what the engine knows of `image` (a name, "name:tag" or an id).
  // NotFound if there is no such image.
  virtual absl::StatusOr<ImageInfo> InspectImage(const std::string& image) = 0;

  // Creates a bridge network; returns its id. AlreadyExists if the name is taken.
  virtual absl::StatusOr<std::string> CreateNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) = 0;
  virtual absl::Status RemoveNetwork(const std::string& name_or_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListNetworks(
      const std::string& label_key, const std::string& label_value) = 0;

  // Creates a named volume (local driver); OK if it exists.
  virtual absl::Status CreateVolume(const std::string& name,
                                    const std::map<std::string, std::string>& labels) = 0;
  // Removes a named volume. NotFound if absent; FailedPrecondition while a
  // container uses it.
  virtual absl::Status RemoveVolume(const std::string& name) = 0;
  // The names of the volumes that carry label `key=value`.
  virtual absl::StatusOr<std::vector<std::string>> ListVolumes(const std::string& label_key,
                                                               const std::string& label_value) = 0;

  // Creates and starts a container (only creates it when `request.start` is
  // false); returns its id. On a failed start the created container is
  // removed again.
  virtual absl::StatusOr<std::string> Run(const RunRequest& request) = 0;
  // Stops a container: SIGTERM, then SIGKILL after `grace`. OK if already stopped.
  virtual absl::Status Stop(const std::string& container, absl::Duration grace) = 0;
  // Removes a container (`force` kills it first). NotFound if absent.
  virtual absl::Status Remove(const std::string& container, bool force) = 0;
  // Containers (running or not) that carry label `key=value`.
  virtual absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::string& label_key, const std::string& label_value) = 0;

  // Copies files into a running container, creating missing parent
  // directories; needs nothing (not even `tar`) inside the image. Mode and
  // content come from the host file. NotFound if a host file is missing.
  virtual absl::Status CopyInto(const std::string& container,
                                const std::vector<FileCopy>& files) = 0;
  // Deletes paths (files or directories) in a running container. Unimplemented
  // if the image has no `rm` to run: the caller should rebuild instead.
  virtual absl::Status DeleteIn(const std::string& container,
                                const std::vector<std::string>& container_paths) = 0;

  // Reads `path` (absolute) in a container, created or running, through the
  // engine's archive: its mode, owner, link target and (for a regular file)
  // content. A symlink is returned as itself, not followed. Needs nothing
  // inside the image (works on images FROM scratch). NotFound if there is no
  // such container or path.
  virtual absl::StatusOr<PathEntry> ReadPath(const std::string& container,
                                             const std::string& path) = 0;
  // Makes an image of a container's file system and config, carrying the
  // container's labels; returns its id ("sha256:..."). NotFound if there is
  // no such container.
  virtual absl::StatusOr<std::string> Commit(const std::string& container) = 0;

  // Runs `cmd` (an argv, no shell) in a running container and waits for it.
  // A command the image cannot run ends with exit code 126 or 127, as with
  // `docker exec`. NotFound if there is no such container.
  virtual absl::StatusOr<ExecResult> Exec(const std::string& container,
                                          const std::vector<std::string>& cmd) = 0;

  // Follows the container's stdout and stderr from its start (`since` limits
  // to later lines), invoking `callback` for each line on the follower's thread.
  virtual absl::StatusOr<std::unique_ptr<LogFollower>> FollowLogs(
      const std::string& container, LogCallback callback,
      absl::Time since = absl::InfinitePast()) = 0;

  // Returns the container's state, health and bound ports. NotFound if absent.
  virtual absl::StatusOr<ContainerState> Inspect(const std::string& container) = 0;
};

}  // namespace devloop::docker

#endif  // DEVLOOP_INFRA_DOCKER_DOCKER_H_
