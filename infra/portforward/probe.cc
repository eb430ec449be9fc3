#include "infra/portforward/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace devloop::portforward {

std::ostream& operator<<(std::ostream& os, Reach reach) {
  switch (reach) {
    case Reach::kAnswers:
      return os << "answers";
    case Reach::kRefused:
      return os << "refused";
    case Reach::kUnreachable:
      return os << "unreachable";
  }
  return os << "Reach(" << static_cast<int>(reach) << ")";
}

Reach ProbeTcp(const Target& target, absl::Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(target.port));
  if (target.port <= 0 || target.port > 65535 ||
      ::inet_pton(AF_INET, target.host.c_str(), &addr.sin_addr) != 1) {
    return Reach::kUnreachable;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Reach::kUnreachable;
  Reach reach = Reach::kUnreachable;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc == 0) {
    reach = Reach::kAnswers;
  } else if (errno == ECONNREFUSED) {
    reach = Reach::kRefused;
  } else if (errno == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    if (::poll(&p, 1, ms < 1 ? 1 : ms) == 1) {
      int error = 0;
      socklen_t len = sizeof(error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error == 0) reach = Reach::kAnswers;
      if (error == ECONNREFUSED) reach = Reach::kRefused;
    }
  }
  ::close(fd);
  return reach;
}

}  // namespace devloop::portforward
