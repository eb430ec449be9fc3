#include "testing/e2e/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace devloop::e2e {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Closes the descriptor on every path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

absl::Status WaitReady(int fd, short events, absl::Time deadline, absl::string_view what) {
  while (true) {
    int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (ms <= 0) return absl::DeadlineExceededError(absl::StrCat("timed out ", what));
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, ms);
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) return absl::UnknownError(absl::StrCat("poll: ", strerror(errno)));
  }
}

absl::StatusOr<std::string> Dechunk(absl::string_view in) {
  std::string out;
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == absl::string_view::npos) return absl::DataLossError("truncated chunk size");
    absl::string_view size_text = in.substr(0, eol);
    size_text = size_text.substr(0, size_text.find(';'));
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(size_text, &size)) {
      return absl::DataLossError(absl::StrCat("bad chunk size \"", size_text, "\""));
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (in.size() < size + 2) return absl::DataLossError("truncated chunk");
    out.append(in.data(), size);
    in.remove_prefix(size + 2);
  }
}

}  // namespace

absl::StatusOr<HttpResponse> Http(int port, absl::string_view method, absl::string_view path,
                                  absl::string_view body, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  Fd sock{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return absl::UnknownError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr = Loopback(port);
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect to 127.0.0.1:", port, ": ", strerror(errno)));
  }
  std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    absl::StrAppend(&request, "Content-Type: application/json\r\nContent-Length: ", body.size(),
                    "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send to 127.0.0.1:", port, ": ", strerror(errno)));
    }
    sent += n;
  }
  std::string raw;
  char buf[16384];
  while (true) {
    absl::Status ready =
        WaitReady(sock.fd, POLLIN, deadline, absl::StrCat("reading ", method, " ", path));
    if (!ready.ok()) return ready;
    ssize_t n = recv(sock.fd, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    }
    if (n == 0) break;
    raw.append(buf, n);
  }
  // CGI programs behind busybox httpd end their header lines with a bare LF;
  // accept it as RFC 9112 section 2.2 allows.
  size_t head_end = raw.find("\r\n\r\n");
  size_t separator = 4;
  if (size_t lf = raw.find("\n\n"); lf != std::string::npos && lf < head_end) {
    head_end = lf;
    separator = 2;
  }
  if (head_end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no HTTP header in response to ", method, " ", path,
                                            ": \"", raw.substr(0, 200), "\""));
  }
  HttpResponse response;
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(raw).substr(0, head_end), '\n');
  for (absl::string_view& line : lines) line = absl::StripSuffix(line, "\r");
  std::vector<absl::string_view> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line \"", lines[0], "\""));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  absl::string_view payload = absl::string_view(raw).substr(head_end + separator);
  auto te = response.headers.find("transfer-encoding");
  if (te != response.headers.end() && absl::StrContains(te->second, "chunked")) {
    absl::StatusOr<std::string> body_text = Dechunk(payload);
    if (!body_text.ok()) return body_text.status();
    response.body = *std::move(body_text);
  } else {
    response.body = std::string(payload);
  }
  return response;
}

absl::Status WaitForPort(int port, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    Fd sock{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr = Loopback(port);
    if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("nothing listens on 127.0.0.1:", port,
                                                      " after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::StatusOr<int> PickFreePort() {
  Fd sock{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(sock.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::UnknownError(absl::StrCat("cannot pick a free port: ", strerror(errno)));
  }
  return ntohs(addr.sin_port);
}

}  // namespace devloop::e2e
