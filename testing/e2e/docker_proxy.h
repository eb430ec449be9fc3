// A proxy on a Unix socket in front of the Docker Engine's socket, which a
// test can freeze: connections stay open but no byte passes until Thaw(). A
// devloop started with DOCKER_HOST=proxy.docker_host() then finds every
// engine call hanging, as with a daemon that stopped answering: the way to
// hold a cleanup in progress for as long as the test needs.
//
//   absl::StatusOr<std::unique_ptr<DockerProxy>> proxy = DockerProxy::Start();
//   env["DOCKER_HOST"] = (*proxy)->docker_host();   // "unix:///tmp/devloop-proxy-....sock"
//   (*proxy)->Freeze();  ... (*proxy)->Thaw();
//
// Thread-safe.
#ifndef DEVLOOP_TESTING_E2E_DOCKER_PROXY_H_
#define DEVLOOP_TESTING_E2E_DOCKER_PROXY_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace devloop::e2e {

class DockerProxy {
 public:
  // Listens on a fresh socket under /tmp (a Unix socket path must stay short)
  // and relays each connection to `engine_socket`.
  static absl::StatusOr<std::unique_ptr<DockerProxy>> Start(
      const std::string& engine_socket = "/var/run/docker.sock");

  // Closes every connection and the socket, and joins the threads.
  ~DockerProxy();

  DockerProxy(const DockerProxy&) = delete;
  DockerProxy& operator=(const DockerProxy&) = delete;

  std::string docker_host() const { return "unix://" + path_; }

  // From now on nothing is relayed (in either direction) and no connection
  // is accepted; what is sent waits in the sockets.
  void Freeze() { frozen_ = true; }
  void Thaw() { frozen_ = false; }

 private:
  DockerProxy(std::string path, std::string engine_socket, int listen_fd)
      : path_(std::move(path)), engine_socket_(std::move(engine_socket)), listen_fd_(listen_fd) {}
  void Accept();
  void Relay(int client);

  const std::string path_;
  const std::string engine_socket_;
  const int listen_fd_;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_DOCKER_PROXY_H_
