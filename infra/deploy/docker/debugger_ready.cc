#include "infra/deploy/docker/debugger_ready.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace devloop::deploy {
namespace {

// A TCP connection to 127.0.0.1 with one deadline for everything said on it.
class Conversation {
 public:
  Conversation(int port, absl::Time deadline) : deadline_(deadline) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      status_ = absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      status_ = absl::UnavailableError(
          absl::StrCat("connecting to 127.0.0.1:", port, ": ", std::strerror(errno)));
    }
  }
  ~Conversation() {
    if (fd_ >= 0) ::close(fd_);
  }
  const absl::Status& status() const { return status_; }

  absl::Status Say(absl::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n < 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
      text.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Reads until `complete(got)` or the peer closes; Unavailable if it closed
  // before saying anything complete.
  absl::StatusOr<std::string> Hear(const std::function<bool(absl::string_view)>& complete) {
    std::string got;
    while (!complete(got)) {
      const absl::Duration left = deadline_ - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat("no answer; heard \"", got, "\""));
      }
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      int ready = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return absl::UnavailableError(
            absl::StrCat("the connection closed after \"", got.substr(0, 200), "\""));
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  const absl::Time deadline_;
  int fd_ = -1;
  absl::Status status_;
};

}  // namespace

bool CanAskDebugger(absl::string_view port_name) {
  return port_name == "dlv" || port_name == "devtools" || port_name == "jdwp";
}

absl::Status DebuggerAnswers(absl::string_view port_name, int port, absl::Duration timeout) {
  if (!CanAskDebugger(port_name)) {
    return absl::InvalidArgumentError(absl::StrCat("no question for a ", port_name, " debugger"));
  }
  Conversation c(port, absl::Now() + timeout);
  if (!c.status().ok()) return c.status();
  absl::StatusOr<std::string> answer;
  if (port_name == "dlv") {
    // One JSON object per message; Delve's answer ends with a newline.
    if (absl::Status s = c.Say(R"({"method":"RPCServer.State","params":[{"NonBlocking":true}],)"
                               R"("id":1})"
                               "\n");
        !s.ok()) {
      return s;
    }
    answer = c.Hear([](absl::string_view got) { return absl::StrContains(got, "\n"); });
    if (answer.ok() && !absl::StrContains(*answer, R"("result":{"State")")) {
      return absl::DataLossError(absl::StrCat("not Delve's answer: ", answer->substr(0, 200)));
    }
  } else if (port_name == "devtools") {
    if (absl::Status s = c.Say("GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); !s.ok()) {
      return s;
    }
    // The inspector keeps the connection open: the status line is the answer.
    answer = c.Hear([](absl::string_view got) { return absl::StrContains(got, "\r\n"); });
    if (answer.ok() && !absl::StartsWith(*answer, "HTTP/1.1 200")) {
      return absl::DataLossError(absl::StrCat("not the inspector's answer: ", answer->substr(0, 200)));
    }
  } else {
    constexpr absl::string_view kHandshake = "JDWP-Handshake";
    if (absl::Status s = c.Say(kHandshake); !s.ok()) return s;
    answer = c.Hear([&](absl::string_view got) { return got.size() >= kHandshake.size(); });
    if (answer.ok() && *answer != kHandshake) {
      return absl::DataLossError(absl::StrCat("not a JDWP handshake: ", answer->substr(0, 200)));
    }
  }
  return answer.status();
}

}  // namespace devloop::deploy
