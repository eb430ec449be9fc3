#include "testing/e2e/docker_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace devloop::e2e {
namespace {

constexpr int kPollMs = 20;

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Writes all of `data`; false if the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DockerProxy>> DockerProxy::Start(
    const std::string& engine_socket) {
  const std::string path =
      absl::StrFormat("/tmp/devloop-proxy-%d-%08x.sock", getpid(), std::random_device{}());
  absl::StatusOr<sockaddr_un> addr = Address(path);
  if (!addr.ok()) return addr.status();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0 ||
      ::listen(fd, 64) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("listening on ", path, ": ", std::strerror(err)));
  }
  std::unique_ptr<DockerProxy> proxy(new DockerProxy(path, engine_socket, fd));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->Accept(); });
  return proxy;
}

DockerProxy::~DockerProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

void DockerProxy::Accept() {
  while (!stopping_) {
    pollfd p{.fd = listen_fd_, .events = POLLIN, .revents = 0};
    if (frozen_ || ::poll(&p, 1, kPollMs) <= 0) {
      if (frozen_) ::usleep(kPollMs * 1000);
      continue;
    }
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, client] { Relay(client); });
  }
}

void DockerProxy::Relay(int client) {
  int engine = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  absl::StatusOr<sockaddr_un> addr = Address(engine_socket_);
  if (engine < 0 || !addr.ok() ||
      ::connect(engine, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    if (engine >= 0) ::close(engine);
    ::close(client);
    return;
  }
  char buffer[64 * 1024];
  bool open = true;
  while (open && !stopping_) {
    if (frozen_) {
      ::usleep(kPollMs * 1000);
      continue;
    }
    pollfd p[2] = {{.fd = client, .events = POLLIN, .revents = 0},
                   {.fd = engine, .events = POLLIN, .revents = 0}};
    if (::poll(p, 2, kPollMs) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (p[i].revents == 0) continue;
      ssize_t n = ::recv(p[i].fd, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      open = n > 0 && WriteAll(p[1 - i].fd, buffer, n);
    }
  }
  ::close(client);
  ::close(engine);
}

}  // namespace devloop::e2e
