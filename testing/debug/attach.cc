#include "testing/debug/attach.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "domain/base/status_macros.h"
#include "infra/json/json.h"
#include "testing/browser/loopback_http.h"

namespace devloop::debug_testing {
namespace {

using json::Json;

// The start of what a peer sent, for error messages.
std::string Excerpt(absl::string_view s) { return std::string(s.substr(0, 200)); }

// One TCP connection to 127.0.0.1 whose every step keeps to one deadline:
// a debugger that accepts and then says nothing must not hang a test.
class Connection {
 public:
  static absl::StatusOr<Connection> Open(int port, absl::Time deadline) {
    Connection c(port, deadline);
    c.fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c.fd_ < 0) return absl::UnknownError(absl::StrCat("socket: ", strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (errno != EINPROGRESS) return c.Unavailable("connect", errno);
      DEVLOOP_RETURN_IF_ERROR(c.Wait(POLLOUT, "connecting"));
      int error = 0;
      socklen_t len = sizeof(error);
      getsockopt(c.fd_, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error != 0) return c.Unavailable("connect", error);
    }
    return c;
  }

  Connection(Connection&& o) noexcept : fd_(o.fd_), port_(o.port_), deadline_(o.deadline_) {
    o.fd_ = -1;
  }
  Connection& operator=(Connection&&) = delete;
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Send(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          DEVLOOP_RETURN_IF_ERROR(Wait(POLLOUT, "sending"));
          continue;
        }
        return Unavailable("send", errno);
      }
      data.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  // Appends what arrives next to `buffer`. Returns Unavailable when the peer
  // closes: every probe here expects more.
  absl::Status Receive(std::string& buffer, absl::string_view waiting_for) {
    char chunk[8192];
    while (true) {
      DEVLOOP_RETURN_IF_ERROR(Wait(POLLIN, waiting_for));
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Unavailable("recv", errno);
      }
      if (n == 0) {
        return absl::UnavailableError(
            absl::StrCat("127.0.0.1:", port_, " closed the connection while ", waiting_for,
                         buffer.empty() ? " (nothing received)"
                                        : absl::StrCat(" after \"", Excerpt(buffer), "\"")));
      }
      buffer.append(chunk, n);
      return absl::OkStatus();
    }
  }

  int port() const { return port_; }

 private:
  Connection(int port, absl::Time deadline) : port_(port), deadline_(deadline) {}

  absl::Status Wait(short events, absl::string_view what) {
    while (true) {
      int64_t ms = absl::ToInt64Milliseconds(deadline_ - absl::Now());
      if (ms <= 0) {
        return absl::DeadlineExceededError(
            absl::StrCat("127.0.0.1:", port_, ": timed out ", what));
      }
      pollfd p{fd_, events, 0};
      int r = poll(&p, 1, static_cast<int>(ms));
      if (r > 0) return absl::OkStatus();
      if (r < 0 && errno != EINTR) return absl::UnknownError(absl::StrCat("poll: ", strerror(errno)));
    }
  }

  absl::Status Unavailable(absl::string_view call, int error) const {
    return absl::UnavailableError(
        absl::StrCat(call, " 127.0.0.1:", port_, ": ", strerror(error)));
  }

  int fd_ = -1;
  int port_;
  absl::Time deadline_;
};

}  // namespace

absl::Status ProbeDelve(int port, absl::Duration timeout) {
  DEVLOOP_ASSIGN_OR_RETURN(Connection c, Connection::Open(port, absl::Now() + timeout));
  DEVLOOP_RETURN_IF_ERROR(
      c.Send(R"({"method":"RPCServer.State","params":[{"NonBlocking":true}],"id":1})"
             "\n"));
  // Delve writes one JSON object per reply, ended by a newline.
  std::string buffer;
  size_t end;
  while ((end = buffer.find('\n')) == std::string::npos) {
    DEVLOOP_RETURN_IF_ERROR(c.Receive(buffer, "waiting for Delve's RPCServer.State reply"));
  }
  absl::StatusOr<Json> reply = Json::Parse(absl::string_view(buffer).substr(0, end));
  if (!reply.ok()) {
    return absl::DataLossError(absl::StrCat("127.0.0.1:", port, " answered RPCServer.State with ",
                                            "something not JSON: \"",
                                            Excerpt(buffer), "\""));
  }
  if (!(*reply)["error"].is_null()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Delve on 127.0.0.1:", port, " answered RPCServer.State with an error: ",
        (*reply)["error"].is_string() ? (*reply)["error"].AsString() : Excerpt(buffer)));
  }
  if (!(*reply)["result"].is_object() || (*reply)["id"].AsInt() != 1) {
    return absl::DataLossError(absl::StrCat("127.0.0.1:", port,
                                            " is not Delve: RPCServer.State got \"",
                                            Excerpt(buffer), "\""));
  }
  return absl::OkStatus();
}

absl::Status ProbeDebugpy(int port, absl::Duration timeout) {
  DEVLOOP_ASSIGN_OR_RETURN(Connection c, Connection::Open(port, absl::Now() + timeout));
  constexpr absl::string_view kInitialize =
      R"({"seq":1,"type":"request","command":"initialize","arguments":)"
      R"({"adapterID":"devloop","clientID":"devloop","linesStartAt1":true,)"
      R"("columnsStartAt1":true,"pathFormat":"path"}})";
  DEVLOOP_RETURN_IF_ERROR(
      c.Send(absl::StrCat("Content-Length: ", kInitialize.size(), "\r\n\r\n", kInitialize)));
  std::string buffer;
  // Messages until the initialize response: events (debugpy sends "output"
  // and others) are skipped.
  while (true) {
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      DEVLOOP_RETURN_IF_ERROR(c.Receive(buffer, "waiting for a DAP message header"));
    }
    size_t length = 0;
    bool found = false;
    for (absl::string_view line : absl::StrSplit(absl::string_view(buffer).substr(0, head_end),
                                                 "\r\n")) {
      if (absl::ConsumePrefix(&line, "Content-Length:")) {
        found = absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &length);
      }
    }
    if (!found) {
      return absl::DataLossError(absl::StrCat("127.0.0.1:", port,
                                              " is not a DAP server: no Content-Length in \"",
                                              Excerpt(buffer), "\""));
    }
    while (buffer.size() < head_end + 4 + length) {
      DEVLOOP_RETURN_IF_ERROR(c.Receive(buffer, "reading a DAP message body"));
    }
    absl::string_view body = absl::string_view(buffer).substr(head_end + 4, length);
    absl::StatusOr<Json> message = Json::Parse(body);
    if (!message.ok()) {
      return absl::DataLossError(absl::StrCat("127.0.0.1:", port, " sent a DAP body that is not ",
                                              "JSON: \"", Excerpt(body), "\""));
    }
    if ((*message)["type"].AsString() == "response" &&
        (*message)["command"].AsString() == "initialize") {
      if (!(*message)["success"].AsBool()) {
        return absl::FailedPreconditionError(
            absl::StrCat("DAP server on 127.0.0.1:", port, " refused initialize: ",
                         (*message)["message"].AsString()));
      }
      return absl::OkStatus();
    }
    buffer.erase(0, head_end + 4 + length);
  }
}

absl::Status ProbeNodeInspector(int port, absl::Duration timeout) {
  // Node's inspector keeps the connection open after its answer, so the
  // client must stop at Content-Length (testing/e2e's Http() reads to EOF).
  absl::StatusOr<browser::HttpReply> r =
      browser::SendRequest(port, "GET", "/json/version", "", timeout);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::FailedPreconditionError(absl::StrCat(
        "GET 127.0.0.1:", port, "/json/version answered ", r->status, ": \"",
        Excerpt(r->body), "\""));
  }
  absl::StatusOr<Json> version = Json::Parse(r->body);
  if (!version.ok() || !absl::StartsWith((*version)["Browser"].AsString(), "node.js/")) {
    return absl::DataLossError(absl::StrCat("127.0.0.1:", port,
                                            " is not Node's inspector: /json/version is \"",
                                            Excerpt(r->body), "\""));
  }
  return absl::OkStatus();
}

absl::Status ProbeJdwp(int port, absl::Duration timeout) {
  constexpr absl::string_view kHandshake = "JDWP-Handshake";
  DEVLOOP_ASSIGN_OR_RETURN(Connection c, Connection::Open(port, absl::Now() + timeout));
  DEVLOOP_RETURN_IF_ERROR(c.Send(kHandshake));
  std::string buffer;
  while (buffer.size() < kHandshake.size()) {
    DEVLOOP_RETURN_IF_ERROR(c.Receive(buffer, "waiting for the JDWP handshake"));
  }
  if (!absl::StartsWith(buffer, kHandshake)) {
    return absl::DataLossError(absl::StrCat("127.0.0.1:", port,
                                            " is not a JDWP agent: the handshake got \"",
                                            Excerpt(buffer), "\""));
  }
  return absl::OkStatus();
}

absl::Status WaitForDebugger(const std::function<absl::Status()>& probe,
                             absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  while (true) {
    last = probe();
    if (last.ok()) return last;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no debugger answered within ", absl::FormatDuration(timeout), "; last: ",
          last.ToString()));
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

}  // namespace devloop::debug_testing
