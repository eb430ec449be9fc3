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
// Thread-safe: calls share nothing but the immutable options.
#ifndef DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_
#define DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "infra/docker/docker.h"
#include "infra/docker/internal/engine_http.h"

namespace devloop::docker {

struct EngineApiDockerOptions {
  // "unix:///var/run/docker.sock" or "tcp://host:port", as DOCKER_HOST.
  std::string docker_host = "unix:///var/run/docker.sock";
  // The API version prefix of every path.
  std::string api_version = "v1.41";
  // Deadline of every call but builds, stops (which add their grace) and log
  // following.
  absl::Duration call_timeout = absl::Seconds(30);
};

// Returns $DOCKER_HOST, or the default unix socket when it is unset or empty.
std::string DockerHostFromEnvironment();

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
  absl::Status RemoveImage(const std::string& image, bool force) override;
  absl::StatusOr<std::vector<std::string>> ListImages(const std::string& label_key,
                                                      const std::string& label_value) override;
  absl::StatusOr<std::string> CreateNetwork(
      const std::string& name, const std::map<std::string, std::string>& labels) override;
  absl::Status RemoveNetwork(const std::string& name_or_id) override;
  absl::StatusOr<std::vector<std::string>> ListNetworks(const std::string& label_key,
                                                        const std::string& label_value) override;
  absl::StatusOr<std::string> Run(const RunRequest& request) override;
  absl::Status Stop(const std::string& container, absl::Duration grace) override;
  absl::Status Remove(const std::string& container, bool force) override;
  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::string& label_key, const std::string& label_value) override;
  absl::Status CopyInto(const std::string& container, const std::vector<FileCopy>& files) override;
  absl::Status DeleteIn(const std::string& container,
                        const std::vector<std::string>& container_paths) override;
  absl::StatusOr<std::unique_ptr<LogFollower>> FollowLogs(const std::string& container,
                                                          LogCallback callback,
                                                          absl::Time since) override;
  absl::StatusOr<ContainerState> Inspect(const std::string& container) override;

 private:
  EngineApiDocker(EngineApiDockerOptions options, internal::EngineHttp http)
      : options_(std::move(options)), http_(std::move(http)) {}

  std::string Path(absl::string_view path) const;
  absl::StatusOr<internal::HttpResponse> Call(absl::string_view method, absl::string_view path,
                                              std::string body = "",
                                              absl::string_view content_type = "",
                                              absl::Duration extra_time = absl::ZeroDuration());
  // Runs `cmd` in the container; returns its exit code and combined output.
  absl::StatusOr<std::pair<int, std::string>> Exec(const std::string& container,
                                                   const std::vector<std::string>& cmd);

  const EngineApiDockerOptions options_;
  const internal::EngineHttp http_;
};

}  // namespace devloop::docker

#endif  // DEVLOOP_INFRA_DOCKER_ENGINE_API_DOCKER_H_
