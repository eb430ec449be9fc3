// FakeDocker: an in-memory Docker for tests of builders, deployers and the
// sync and status-check code, and FaultyDocker, which wraps any Docker to
// inject failures.
//
//   FakeDocker docker;
//   auto image = docker.Build({.context_dir = dir, .tags = {"web:dev"}});
//   auto id = docker.Run({.image = "web:dev", .cmd = {"/bin/busybox", "sh", "-c", "echo hi"}});
//   docker.ReadFile(*id, "/app/a.txt");   // what CopyInto put there
//
//   FaultyDocker faulty(&docker);
//   faulty.FailNext("CopyInto", absl::UnavailableError("daemon went away"));
//
// The fake keeps the failure contract of docker.h. Its "engine" understands
// just enough to be useful: a Dockerfile's COPY sources must exist in the
// context (else BUILD_USER_ERROR), and a container's command, if it is
// `[/bin/busybox] sh -c SCRIPT`, runs SCRIPT's `echo TEXT`, `echo TEXT >&2`,
// `sleep N` and `exit N` statements (separated by ';'): echoes become log
// lines, `exit` ends the container with that code, and a script that ends
// without exit (or sleeps) keeps running until stopped. Any other command
// just runs until stopped. A container runs its image's CMD (exec form, from
// the Dockerfile) when the request gives no command. Log followers get the
// lines a container printed before FollowLogs returns, on the calling thread. DeleteIn acts on the fake file system unless
// SetHasRm(false) made the image shell-less (then Unimplemented). Exec runs
// the same `sh -c` statements (echoes become its output, `exit N` its code;
// other commands succeed silently) in a running container and records the
// command (execs()).
//
// Thread-safe.
#ifndef DEVLOOP_TESTING_FAKES_FAKE_DOCKER_H_
#define DEVLOOP_TESTING_FAKES_FAKE_DOCKER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/docker/docker.h"

namespace devloop::testing {

class FakeDocker : public docker::Docker {
 public:
  // Test hooks.
  // Returns the content of `path` in the container (copied in with CopyInto).
  absl::StatusOr<std::string> ReadFile(const std::string& container, const std::string& path);
  // Makes DeleteIn return Unimplemented, as for an image without rm.
  void SetHasRm(bool has_rm);
  // Changes a container's health ("", "starting", "healthy", "unhealthy").
  void SetHealth(const std::string& container, const std::string& health);
  // Ends a running container with `exit_code`, as if its process exited.
  // NotFound if there is no such container.
  absl::Status Exit(const std::string& container, int exit_code);
  // Log followers made from now on deliver what the container printed `delay`
  // after they start, on their own thread (by default, before FollowLogs returns).
  void SetLogDelay(absl::Duration delay);
  // The images pushed so far, in order.
  std::vector<std::string> pushed() const;
  // Number of calls made to each method ("Build", "CopyInto", ...).
  int calls(const std::string& method) const;
  // The commands Exec ran in `container` (an id), in order.
  std::vector<std::vector<std::string>> execs(const std::string& container) const;
  // Sets the configuration InspectImage reports for `image` (a container of
  // it still runs the Dockerfile's CMD unless `config` gives a command).
  // NotFound without the image.
  absl::Status SetImageConfig(const std::string& image, docker::ImageConfig config);
  // What Run was asked for `container` (a name or id prefix).
  absl::StatusOr<docker::RunRequest> RunRequestOf(const std::string& container) const;
  // The volumes that exist, by name, with their labels.
  std::map<std::string, std::map<std::string, std::string>> volumes() const;

  absl::StatusOr<docker::BuildResult> Build(const docker::BuildRequest& request) override;
  absl::Status Tag(const std::string& image, const std::string& tag) override;
  absl::StatusOr<std::string> Push(const std::string& image) override;
  absl::Status RemoveImage(const std::string& image, bool force) override;
  absl::StatusOr<std::vector<std::string>> ListImages(const std::string& label_key,
                                                      const std::string& label_value) override;
  absl::StatusOr<std::string> CreateNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override;
  absl::Status RemoveNetwork(const std::string& name_or_id) override;
  absl::StatusOr<std::vector<std::string>> ListNetworks(const std::string& label_key,
                                                        const std::string& label_value) override;
  absl::Status CreateVolume(const std::string& name,
                            const std::map<std::string, std::string>& labels) override;
  absl::Status RemoveVolume(const std::string& name) override;
  absl::StatusOr<std::vector<std::string>> ListVolumes(const std::string& label_key,
                                                       const std::string& label_value) override;
  absl::StatusOr<std::string> Run(const docker::RunRequest& request) override;
  absl::Status Stop(const std::string& container, absl::Duration grace) override;
  absl::Status Remove(const std::string& container, bool force) override;
  absl::StatusOr<std::vector<docker::ContainerSummary>> ListContainers(
      const std::string& label_key, const std::string& label_value) override;
  absl::Status CopyInto(const std::string& container,
                        const std::vector<docker::FileCopy>& files) override;
  absl::Status DeleteIn(const std::string& container,
                        const std::vector<std::string>& container_paths) override;
  absl::StatusOr<docker::PathEntry> ReadPath(const std::string& container,
                                         const std::string& path) override;
  absl::StatusOr<std::string> Commit(const std::string& container) override;
  absl::StatusOr<docker::ExecResult> Exec(const std::string& container,
                                          const std::vector<std::string>& cmd) override;
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> FollowLogs(const std::string& container,
                                                                  docker::LogCallback callback,
                                                                  absl::Time since) override;
  absl::StatusOr<docker::ContainerState> Inspect(const std::string& container) override;
  absl::StatusOr<docker::ImageInfo> InspectImage(const std::string& image) override;

 private:
  struct Image {
    std::string id;
    std::vector<std::string> tags;
    std::map<std::string, std::string> labels;
    std::vector<std::string> cmd;  // the Dockerfile's CMD in exec form
    docker::ImageConfig config;    // from the Dockerfile, or SetImageConfig's
    int64_t created = 0;           // a sequence number: later builds are newer
    std::map<std::string, std::string> files;  // a committed container's
  };
  struct Container {
    std::string id;
    std::string name;
    std::string image_id;
    std::map<std::string, std::string> labels;
    docker::ContainerStatus status = docker::ContainerStatus::kRunning;
    int exit_code = 0;
    std::string health;
    std::vector<docker::PortMapping> ports;
    std::vector<std::pair<docker::LogStream, std::string>> logs;
    std::map<std::string, std::string> files;
    std::vector<std::vector<std::string>> execs;
    docker::RunRequest request;
  };
  struct Network {
    std::string id;
    std::string name;
    std::map<std::string, std::string> labels;
  };

  void Count(const std::string& method) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Image* FindImage(const std::string& ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Container* FindContainer(const std::string& ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Image> images_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Container> containers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Network> networks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string>> volumes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> pushed_ ABSL_GUARDED_BY(mu_);
  bool has_rm_ ABSL_GUARDED_BY(mu_) = true;
  absl::Duration log_delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int next_port_ ABSL_GUARDED_BY(mu_) = 40000;
};

// Wraps a Docker and fails chosen calls, for tests of retries and error paths.
// Thread-safe.
class FaultyDocker : public docker::Docker {
 public:
  explicit FaultyDocker(docker::Docker* base) : base_(base) {}

  // The next call of `method` ("Build", "Run", "CopyInto", ...) returns
  // `error` without reaching the base.
  void FailNext(const std::string& method, absl::Status error);
  // Every call of `method` fails with `error` until Heal(method).
  void FailAlways(const std::string& method, absl::Status error);
  void Heal(const std::string& method);

  absl::StatusOr<docker::BuildResult> Build(const docker::BuildRequest& request) override;
  absl::Status Tag(const std::string& image, const std::string& tag) override;
  absl::StatusOr<std::string> Push(const std::string& image) override;
  absl::Status RemoveImage(const std::string& image, bool force) override;
  absl::StatusOr<std::vector<std::string>> ListImages(const std::string& label_key,
                                                      const std::string& label_value) override;
  absl::StatusOr<std::string> CreateNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override;
  absl::Status RemoveNetwork(const std::string& name_or_id) override;
  absl::StatusOr<std::vector<std::string>> ListNetworks(const std::string& label_key,
                                                        const std::string& label_value) override;
  absl::Status CreateVolume(const std::string& name,
                            const std::map<std::string, std::string>& labels) override;
  absl::Status RemoveVolume(const std::string& name) override;
  absl::StatusOr<std::vector<std::string>> ListVolumes(const std::string& label_key,
                                                       const std::string& label_value) override;
  absl::StatusOr<std::string> Run(const docker::RunRequest& request) override;
  absl::Status Stop(const std::string& container, absl::Duration grace) override;
  absl::Status Remove(const std::string& container, bool force) override;
  absl::StatusOr<std::vector<docker::ContainerSummary>> ListContainers(
      const std::string& label_key, const std::string& label_value) override;
  absl::Status CopyInto(const std::string& container,
                        const std::vector<docker::FileCopy>& files) override;
  absl::Status DeleteIn(const std::string& container,
                        const std::vector<std::string>& container_paths) override;
  absl::StatusOr<docker::PathEntry> ReadPath(const std::string& container,
                                         const std::string& path) override;
  absl::StatusOr<std::string> Commit(const std::string& container) override;
  absl::StatusOr<docker::ExecResult> Exec(const std::string& container,
                                          const std::vector<std::string>& cmd) override;
  absl::StatusOr<std::unique_ptr<docker::LogFollower>> FollowLogs(const std::string& container,
                                                                  docker::LogCallback callback,
                                                                  absl::Time since) override;
  absl::StatusOr<docker::ContainerState> Inspect(const std::string& container) override;
  absl::StatusOr<docker::ImageInfo> InspectImage(const std::string& image) override;

 private:
  // Returns the injected error for `method`, or OK.
  absl::Status Fault(const std::string& method);

  docker::Docker* const base_;
  absl::Mutex mu_;
  std::map<std::string, absl::Status> next_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> always_ ABSL_GUARDED_BY(mu_);
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_FAKES_FAKE_DOCKER_H_
