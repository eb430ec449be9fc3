// EngineApiDocker: the Docker port over the Docker Engine's HTTP API (v1.41),
// spoken directly over its unix socket or tcp:// with Boost.Beast. No process
// is spawned per call: this is an API client, not a wrapper of the CLI.
//
//   absl::StatusOr<std::unique_ptr<EngineApiDocker>> docker =
//       EngineApiDocker::Create({.docker_host = DockerHostFromEnvironment()});
//   (*docker)->CopyInto(id, {{"/src/web/index.html", "/www/index.html"}});
//
// Each call opens its own connection (a unix-socket connect costs microseconds)
// and has a deadline: `call_timeout` for short calls, the request's own timeout
// for builds, none for a log follower (which Stop() ends instead). Build output
// and logs are delivered while they stream. The context's .dockerignore is
// honoured (Docker's semantics, //domain/paths) when the context is tarred.
//
// CopyInto and DeleteIn take a fast local path when they can (see
// DirectFiles): with a local engine (a unix socket) and the privilege to look
// into the container's process, files are written straight into the
// container's root through /proc/<pid>/root (about 0.1 ms instead of the
// Engine's ~50 ms archive upload), every path resolved inside the container's
// root so its symlinks cannot lead outside. Whenever that is not possible the
// Engine's API does the work, with the same result.
//
// Thread-safe: calls share the immutable options, a PID cache under a mutex
// and atomic counters.
#ifndef DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_
#define DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/docker/docker.h"
#include "infra/containerfs/container_process.h"
#include "infra/docker/internal/engine_http.h"
#include "infra/containerfs/root_fs.h"

namespace devloop::docker {

// Whether CopyInto and DeleteIn write through /proc/<pid>/root.
enum class DirectFiles {
  // Never: always the Engine's archive endpoint and exec.
  kOff,
  // When the engine is local and this process may write into the container;
  // otherwise (another machine or PID namespace, no privilege, a kernel
  // without openat2, a stopped container, a path that needs the Engine's
  // semantics) falls back to the Engine's API.
  kAuto,
  // Always, returning the fast path's error instead of falling back. For tests
  // and benchmarks that must know which path ran. Each file is replaced
  // atomically, but a batch that fails midway stays partly applied (kAuto
  // then redoes the whole batch through the Engine).
  kRequired,
};

struct EngineApiDockerOptions {
  // "unix:///var/run/docker.sock" or "tcp://host:port", as DOCKER_HOST.
  std::string docker_host = "unix:///var/run/docker.sock";
  // TLS to a tcp:// host, as the Docker CLI takes it from DOCKER_TLS_VERIFY
  // (tls and tls_verify), DOCKER_TLS (tls only) and DOCKER_CERT_PATH (a
  // directory with ca.pem, cert.pem and key.pem; ~/.docker when empty).
  bool tls = false;
  bool tls_verify = false;
  std::string cert_path;
  // The API version prefix of every path.
  std::string api_version = "v1.41";
  // Deadline of every call but builds, stops (which add their grace) and log
  // following.
  absl::Duration call_timeout = absl::Seconds(30);
  DirectFiles direct_files = DirectFiles::kAuto;
  // How long a container's PID is reused without asking the Engine again. A
  // restart within this time is still noticed (the process's start time is
  // checked on every use).
  absl::Duration pid_cache_ttl = absl::Seconds(10);
};

// What the fast local path did, for diagnostics and tests.
struct DirectFilesStats {
  int64_t files_copied = 0;   // written through /proc/<pid>/root
  int64_t paths_deleted = 0;  // deleted through /proc/<pid>/root
  int64_t fallbacks = 0;      // CopyInto/DeleteIn calls that used the Engine's API instead
  std::string last_fallback_reason;
};

// Returns $DOCKER_HOST, or the default unix socket when it is unset or empty.
std::string DockerHostFromEnvironment();

// The connection the Docker CLI makes from DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_TLS and DOCKER_CERT_PATH as `getenv` reads them ("" when unset):
// from the process's environment, or from `minikube docker-env`'s output.
EngineApiDockerOptions DockerOptionsFrom(
    const std::function<std::string(const std::string&)>& getenv);
EngineApiDockerOptions DockerOptionsFromEnvironment();

class EngineApiDocker : public Docker {
 public:
  // InvalidArgument if docker_host is not a supported address. Does not
  // contact the engine (call Ping for that).
  static absl::StatusOr<std::unique_ptr<EngineApiDocker>> Create(
      const EngineApiDockerOptions& options);

  // Checks the engine answers; the failure contract of docker.h applies.
  absl::Status Ping();

  absl::StatusOr<BuildResult> Build(const BuildRequest& request) override;
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
  absl::StatusOr<std::string> Run(const RunRequest& request) override;
  absl::Status Stop(const std::string& container, absl::Duration grace) override;
  absl::Status Remove(const std::string& container, bool force) override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::string& label_key, const std::string& label_value) override;
  absl::Status CopyInto(const std::string& container, const std::vector<FileCopy>& files) override;
  absl::Status DeleteIn(const std::string& container,
                        const std::vector<std::string>& container_paths) override;
  absl::StatusOr<PathEntry> ReadPath(const std::string& container,
                                         const std::string& path) override;
  absl::StatusOr<std::string> Commit(const std::string& container) override;
  absl::StatusOr<ExecResult> Exec(const std::string& container,
                                  const std::vector<std::string>& cmd) override;
  absl::StatusOr<std::unique_ptr<LogFollower>> FollowLogs(const std::string& container,
                                                          LogCallback callback,
                                                          absl::Time since) override;
  absl::StatusOr<ContainerState> Inspect(const std::string& container) override;
  absl::StatusOr<ImageInfo> InspectImage(const std::string& image) override;

  DirectFilesStats direct_files_stats() const;

 private:
  struct CachedProcess {
    containerfs::ContainerProcess process;
    absl::Time expires;
  };

  EngineApiDocker(EngineApiDockerOptions options, internal::EngineHttp http)
      : options_(std::move(options)),
        http_(std::move(http)),
        maybe_local_(absl::StartsWith(options_.docker_host, "unix://")) {}

  // One POST /build; Build tries again when the engine lost a cached layer.
  absl::StatusOr<BuildResult> BuildOnce(const BuildRequest& request);
  std::string Path(absl::string_view path) const;
  absl::StatusOr<internal::HttpResponse> Call(absl::string_view method, absl::string_view path,
                                              std::string body = "",
                                              absl::string_view content_type = "",
                                              absl::Duration extra_time = absl::ZeroDuration());

  // Opens the container's root for the fast path (PID from the cache or the
  // Engine). Any error means "use the Engine's API".
  absl::StatusOr<containerfs::RootFs> OpenDirectRoot(const std::string& container);
  // Applies `op` to the container's root; on failure remembers why.
  absl::Status DirectFileOp(const std::string& container,
                            const std::function<absl::Status(const containerfs::RootFs&)>& op);
  void NoteFallback(const absl::Status& why, absl::string_view what);

  const EngineApiDockerOptions options_;
  const internal::EngineHttp http_;
  // Only a unix socket can be this machine's engine.
  const bool maybe_local_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, CachedProcess> processes_ ABSL_GUARDED_BY(mu_);
  DirectFilesStats stats_ ABSL_GUARDED_BY(mu_);
  // Set once openat2 is found missing, so later calls skip straight to the Engine.
  std::atomic<bool> no_openat2_{false};
  std::atomic<bool> warned_{false};
};

}  // namespace devloop::docker

#endif  // DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_
