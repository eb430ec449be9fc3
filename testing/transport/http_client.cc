#include "testing/transport/http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace devloop::testing {

absl::StatusOr<std::unique_ptr<RawHttpClient>> RawHttpClient::Connect(int port,
                                                                      int read_timeout_seconds) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  timeval tv{read_timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port, ": ", std::strerror(e)));
  }
  return std::unique_ptr<RawHttpClient>(new RawHttpClient(fd));
}

RawHttpClient::~RawHttpClient() { ::close(fd_); }

absl::Status RawHttpClient::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status RawHttpClient::Fill() {
  char chunk[16384];
  const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n == 0) return absl::OutOfRangeError("connection closed by the server");
  if (n < 0) return absl::DeadlineExceededError(absl::StrCat("recv: ", std::strerror(errno)));
  buffer_.append(chunk, static_cast<size_t>(n));
  return absl::OkStatus();
}

absl::StatusOr<std::string> RawHttpClient::ReadUntil(absl::string_view delimiter) {
  while (true) {
    const size_t pos = buffer_.find(delimiter.data(), 0, delimiter.size());
    if (pos != std::string::npos) {
      std::string out = buffer_.substr(0, pos);
      buffer_.erase(0, pos + delimiter.size());
      return out;
    }
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
}

absl::StatusOr<std::string> RawHttpClient::ReadExactly(size_t n) {
  while (buffer_.size() < n) {
    if (absl::Status s = Fill(); !s.ok()) return s;
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

absl::StatusOr<RawHttpClient::Response> RawHttpClient::ReadHead() {
  absl::StatusOr<std::string> head = ReadUntil("\r\n\r\n");
  if (!head.ok()) return head.status();
  std::vector<std::string> lines = absl::StrSplit(*head, "\r\n");
  Response r;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &r.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    r.headers[absl::AsciiStrToLower(kv.first)] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  return r;
}

absl::StatusOr<std::string> RawHttpClient::ReadChunk() {
  absl::StatusOr<std::string> size_line = ReadUntil("\r\n");
  if (!size_line.ok()) return size_line.status();
  size_t size = 0;
  if (!absl::SimpleHexAtoi(*size_line, &size)) {
    return absl::DataLossError(absl::StrCat("bad chunk size line: '", *size_line, "'"));
  }
  absl::StatusOr<std::string> data = ReadExactly(size);
  if (!data.ok()) return data.status();
  absl::StatusOr<std::string> crlf = ReadExactly(2);
  if (!crlf.ok()) return crlf.status();
  if (*crlf != "\r\n") return absl::DataLossError("chunk not followed by CRLF");
  return data;
}

absl::StatusOr<std::string> RawHttpClient::ReadLine() {
  while (true) {
    const size_t pos = line_buffer_.find('\n');
    if (pos != std::string::npos) {
      std::string line = line_buffer_.substr(0, pos + 1);
      line_buffer_.erase(0, pos + 1);
      return line;
    }
    absl::StatusOr<std::string> chunk = ReadChunk();
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) return absl::NotFoundError("end of body");
    line_buffer_.append(*chunk);
  }
}

absl::StatusOr<RawHttpClient::Response> RawHttpClient::ReadResponse() {
  absl::StatusOr<Response> r = ReadHead();
  if (!r.ok()) return r;
  if (r->headers["transfer-encoding"] == "chunked") {
    while (true) {
      absl::StatusOr<std::string> chunk = ReadChunk();
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) break;
      r->body.append(*chunk);
    }
    return r;
  }
  size_t length = 0;
  if (!absl::SimpleAtoi(r->headers["content-length"], &length)) {
    return absl::DataLossError("response has neither Content-Length nor chunked encoding");
  }
  absl::StatusOr<std::string> body = ReadExactly(length);
  if (!body.ok()) return body.status();
  r->body = std::move(*body);
  return r;
}

bool RawHttpClient::PeerClosed() {
  if (!buffer_.empty()) return false;
  return Fill().code() == absl::StatusCode::kOutOfRange;
}

absl::StatusOr<RawHttpClient::Response> RawHttpClient::Fetch(int port, absl::string_view method,
                                                             absl::string_view target,
                                                             absl::string_view body) {
  absl::StatusOr<std::unique_ptr<RawHttpClient>> c = Connect(port);
  if (!c.ok()) return c.status();
  absl::Status s = (*c)->Send(absl::StrCat(method, " ", target,
                                           " HTTP/1.1\r\nHost: localhost\r\nContent-Length: ",
                                           body.size(), "\r\n\r\n", body));
  if (!s.ok()) return s;
  return (*c)->ReadResponse();
}

}  // namespace devloop::testing
