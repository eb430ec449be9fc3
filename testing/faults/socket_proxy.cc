#include "testing/faults/socket_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace devloop::faults {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

absl::StatusOr<int> ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status s = Errno(absl::StrCat("connecting to ", path));
    ::close(fd);
    return s;
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketProxy>> SocketProxy::Start(const Options& options) {
  char dir[] = "/tmp/devloop-proxy-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return Errno("mkdtemp /tmp/devloop-proxy-XXXXXX");
  std::unique_ptr<SocketProxy> proxy(new SocketProxy(options, dir));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return Errno("pipe2");
  proxy->wake_read_ = pipe_fds[0];
  proxy->wake_write_ = pipe_fds[1];
  {
    std::lock_guard<std::mutex> lock(proxy->mu_);
    absl::Status listening = proxy->Listen();
    if (!listening.ok()) return listening;
  }
  SocketProxy* p = proxy.get();
  {
    std::lock_guard<std::mutex> lock(proxy->mu_);
    proxy->acceptor_running_ = true;
  }
  proxy->acceptor_ = std::thread([p] {
    p->AcceptLoop();
    std::lock_guard<std::mutex> lock(p->mu_);
    p->acceptor_running_ = false;
    p->cut_cv_.notify_all();
  });
  return proxy;
}

SocketProxy::SocketProxy(Options options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)), path_(dir_ + "/docker.sock") {}

SocketProxy::~SocketProxy() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    CutLocked(lock);
    // A cut wakes the acceptor only while it listens: after an earlier cut it
    // may sit in poll on the wake pipe alone, with every byte drained.
    char wake = 1;
    (void)!::write(wake_write_, &wake, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  Reap(/*all=*/true);
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
}

std::string SocketProxy::docker_host() const { return absl::StrCat("unix://", path_); }

absl::Status SocketProxy::Listen() {
  ::unlink(path_.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("socket path too long: ", path_));
  }
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 128) != 0) {
    absl::Status s = Errno(absl::StrCat("listening on ", path_));
    ::close(fd);
    return s;
  }
  listen_fd_ = fd;
  char wake = 1;
  (void)!::write(wake_write_, &wake, 1);
  return absl::OkStatus();
}

void SocketProxy::AcceptLoop() {
  while (true) {
    int fd;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      // Frozen: new connections wait in the backlog; Thaw() wakes this poll.
      fd = frozen_ ? -1 : listen_fd_;
    }
    pollfd fds[2] = {{.fd = wake_read_, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = ::poll(fds, fd >= 0 ? 2 : 1, -1);
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (::read(wake_read_, drain, sizeof(drain)) > 0) {
      }
    }
    Reap(/*all=*/false);
    int client = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++polls_;  // out of poll: it holds no listening socket any more
      cut_cv_.notify_all();
      // The fd may have been closed (a cut) while this thread polled it.
      if (stopping_) return;
      if (fd >= 0 && fd == listen_fd_ && !frozen_ && (fds[1].revents & POLLIN)) {
        client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      }
    }
    if (client >= 0) Serve(client);
  }
}

void SocketProxy::Serve(int client) {
  absl::StatusOr<int> upstream = ConnectUnix(options_.upstream);
  if (!upstream.ok()) {
    ::close(client);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_fd_ < 0) {  // cut meanwhile: this connection never was
    ::close(client);
    ::close(*upstream);
    return;
  }
  ++connections_;
  Connection& c = open_.emplace_back();
  c.client = client;
  c.upstream = *upstream;
  Connection* p = &c;
  c.to_upstream = std::thread([this, p] { Pump(p, /*client_side=*/true); });
  c.to_client = std::thread([this, p] { Pump(p, /*client_side=*/false); });
}

void SocketProxy::Pump(Connection* c, bool client_side) {
  const int from = client_side ? c->client : c->upstream;
  const int to = client_side ? c->upstream : c->client;
  bool head_done = !client_side;
  bool first_answer = !client_side;
  std::string head;
  std::vector<char> buffer(1 << 16);
  while (true) {
    ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    WaitThawed();
    if (first_answer) {
      first_answer = false;
      std::unique_lock<std::mutex> lock(mu_);
      if (c->cut_on_answer) {
        CutLocked(lock);
        break;
      }
    }
    if (!head_done) {
      head.append(buffer.data(), static_cast<size_t>(n));
      const size_t eol = head.find("\r\n");
      if (eol == std::string::npos && head.size() < 8192) continue;  // more of the line
      head_done = true;
      const std::string line = head.substr(0, eol);
      bool cut = false;
      bool froze = false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        absl::StrAppend(&request_log_, line, "\n");
        if (!armed_freeze_.empty() && line.find(armed_freeze_) != std::string::npos) {
          armed_freeze_.clear();
          FreezeLocked();
          froze = true;
        }
        if (!armed_.empty() && line.find(armed_) != std::string::npos) {
          armed_.clear();
          if (armed_when_ == When::kBeforeForwarding) {
            CutLocked(lock);
            cut = true;
          } else {
            c->cut_on_answer = true;
          }
        }
      }
      if (froze) WaitThawed();
      if (cut || !SendAll(to, head.data(), head.size())) break;
      continue;
    }
    if (!SendAll(to, buffer.data(), static_cast<size_t>(n))) break;
  }
  ::shutdown(to, SHUT_WR);
  std::lock_guard<std::mutex> lock(mu_);
  ++c->finished;
  char wake = 1;  // so the acceptor reaps this connection
  (void)!::write(wake_write_, &wake, 1);
}

void SocketProxy::CutLocked(std::unique_lock<std::mutex>& lock) {
  // First stop listening, then end the connections: as when a daemon dies, a
  // client that sees its connection end finds new connects refused.
  if (listen_fd_ >= 0) {
    const int64_t polls = polls_;
    ::close(listen_fd_);
    listen_fd_ = -1;
    char wake = 1;
    (void)!::write(wake_write_, &wake, 1);
    // A poll in the acceptor keeps the closed socket alive (and accepting into
    // its backlog) until it returns.
    cut_cv_.wait(lock, [&] { return polls_ != polls || !acceptor_running_; });
  }
  for (Connection& c : open_) {
    ::shutdown(c.client, SHUT_RDWR);
    ::shutdown(c.upstream, SHUT_RDWR);
  }
  ++cuts_;
  cut_cv_.notify_all();
}

void SocketProxy::WaitThawed() {
  std::unique_lock<std::mutex> lock(mu_);
  const int cuts = cuts_;
  // After a cut the connection's sockets are shut down: the send that follows
  // fails and the pump ends.
  cut_cv_.wait(lock, [&] { return !frozen_ || stopping_ || cuts_ != cuts; });
}

void SocketProxy::Freeze() {
  std::lock_guard<std::mutex> lock(mu_);
  FreezeLocked();
}

void SocketProxy::FreezeLocked() {
  if (frozen_) return;
  frozen_ = true;
  ++freezes_;
  cut_cv_.notify_all();
  char wake = 1;  // the acceptor stops polling the listening socket
  (void)!::write(wake_write_, &wake, 1);
}

void SocketProxy::ArmFreeze(std::string request) {
  std::lock_guard<std::mutex> lock(mu_);
  armed_freeze_ = std::move(request);
}

bool SocketProxy::WaitFrozen(absl::Duration timeout, int freezes_seen) {
  std::unique_lock<std::mutex> lock(mu_);
  return cut_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                          [&] { return freezes_ > freezes_seen; });
}

void SocketProxy::Thaw() {
  std::lock_guard<std::mutex> lock(mu_);
  frozen_ = false;
  cut_cv_.notify_all();
  char wake = 1;  // the acceptor polls the listening socket again
  (void)!::write(wake_write_, &wake, 1);
}

void SocketProxy::Cut() {
  std::unique_lock<std::mutex> lock(mu_);
  if (listen_fd_ < 0) return;
  CutLocked(lock);
}

absl::Status SocketProxy::Restore() {
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_fd_ >= 0) return absl::OkStatus();
  return Listen();
}

void SocketProxy::ArmCut(std::string request, When when) {
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = std::move(request);
  armed_when_ = when;
}

bool SocketProxy::WaitCut(absl::Duration timeout, int cuts_seen) {
  std::unique_lock<std::mutex> lock(mu_);
  return cut_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                          [&] { return cuts_ > cuts_seen; });
}

int SocketProxy::cuts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cuts_;
}

bool SocketProxy::listening() const {
  std::lock_guard<std::mutex> lock(mu_);
  return listen_fd_ >= 0;
}

int64_t SocketProxy::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

std::string SocketProxy::RequestLog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_log_;
}

void SocketProxy::Reap(bool all) {
  std::list<Connection> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = open_.begin(); it != open_.end();) {
      auto next = std::next(it);
      if (all || it->finished == 2) done.splice(done.end(), open_, it);
      it = next;
    }
  }
  for (Connection& c : done) {
    if (c.to_upstream.joinable()) c.to_upstream.join();
    if (c.to_client.joinable()) c.to_client.join();
    ::close(c.client);
    ::close(c.upstream);
  }
}

}  // namespace devloop::faults
