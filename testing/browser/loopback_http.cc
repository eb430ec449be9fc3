#include "testing/browser/loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace devloop::browser {
namespace {

// Closes the descriptor on every path.
struct Socket {
  int fd;
  ~Socket() {
    if (fd >= 0) close(fd);
  }
};

// Waits until `fd` is readable (or writable), or the deadline passes.
absl::Status WaitReady(int fd, short events, absl::Time deadline, absl::string_view what) {
  while (true) {
    int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return absl::DeadlineExceededError(absl::StrCat("timed out ", what));
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 60'000)));
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) return absl::UnknownError(absl::StrCat("poll: ", strerror(errno)));
  }
}

// Reads more bytes into `*raw`. Returns false at EOF.
absl::StatusOr<bool> ReadSome(int fd, absl::Time deadline, absl::string_view what,
                              std::string* raw) {
  absl::Status ready = WaitReady(fd, POLLIN, deadline, what);
  if (!ready.ok()) return ready;
  char buf[65536];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv ", what, ": ", strerror(errno)));
    raw->append(buf, n);
    return n > 0;
  }
}

}  // namespace

absl::StatusOr<HttpReply> SendRequest(int port, absl::string_view method, absl::string_view path,
                                      absl::string_view body, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string what = absl::StrCat(method, " ", path, " on 127.0.0.1:", port);
  Socket sock{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return absl::UnknownError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect for ", what, ": ", strerror(errno)));
  }
  std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  if (!body.empty() || method == "POST") {
    absl::StrAppend(&request, "Content-Type: application/json; charset=utf-8\r\nContent-Length: ",
                    body.size(), "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  for (size_t sent = 0; sent < request.size();) {
    absl::Status ready = WaitReady(sock.fd, POLLOUT, deadline, absl::StrCat("sending ", what));
    if (!ready.ok()) return ready;
    ssize_t n = send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("send ", what, ": ", strerror(errno)));
    sent += n;
  }

  const std::string reading = absl::StrCat("reading the answer to ", what);
  std::string raw;
  size_t head_end;
  while ((head_end = raw.find("\r\n\r\n")) == std::string::npos) {
    absl::StatusOr<bool> more = ReadSome(sock.fd, deadline, reading, &raw);
    if (!more.ok()) return more.status();
    if (!*more)
      return absl::DataLossError(absl::StrCat("connection closed before a header, ", reading));
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(raw).substr(0, head_end), "\r\n");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  HttpReply reply;
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &reply.status)) {
    return absl::DataLossError(absl::StrCat("bad status line \"", lines[0], "\", ", reading));
  }
  std::optional<size_t> length;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    std::string name = absl::AsciiStrToLower(field.first);
    absl::string_view value = absl::StripAsciiWhitespace(field.second);
    if (name == "content-length") {
      size_t n;
      if (!absl::SimpleAtoi(value, &n)) {
        return absl::DataLossError(absl::StrCat("bad Content-Length \"", value, "\", ", reading));
      }
      length = n;
    } else if (name == "transfer-encoding" && absl::StrContains(value, "chunked")) {
      return absl::UnimplementedError(absl::StrCat("a chunked response, ", reading));
    }
  }
  raw.erase(0, head_end + 4);
  while (!length.has_value() || raw.size() < *length) {
    absl::StatusOr<bool> more = ReadSome(sock.fd, deadline, reading, &raw);
    if (!more.ok()) return more.status();
    if (*more) continue;
    if (length.has_value()) {
      return absl::DataLossError(absl::StrCat("connection closed after ", raw.size(), " of ",
                                              *length, " body bytes, ", reading));
    }
    break;  // no Content-Length: the body ends at EOF
  }
  if (length.has_value()) raw.resize(*length);
  reply.body = std::move(raw);
  return reply;
}

}  // namespace devloop::browser
