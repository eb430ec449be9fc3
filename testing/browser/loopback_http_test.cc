#include "testing/browser/loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::browser {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Accepts one connection on 127.0.0.1:0, reads one request, writes `answer`,
// and then, like chromedriver, keeps the connection open until the client
// closes it (unless `close_after_answer`).
class OneConnectionServer {
 public:
  OneConnectionServer(std::string answer, bool close_after_answer)
      : answer_(std::move(answer)), close_after_answer_(close_after_answer) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 1), 0);
    EXPECT_EQ(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~OneConnectionServer() {
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }

  int port() const { return port_; }

  // Waits until the client has closed the connection; returns the request.
  std::string TakeRequest() {
    thread_.join();
    return request_;
  }

 private:
  void Serve() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buf[4096];
    size_t want = std::string::npos;
    while (request_.size() < want) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request_.append(buf, n);
      size_t head_end = request_.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      size_t length = 0;
      size_t at = request_.find("Content-Length: ");
      if (at != std::string::npos && at < head_end) {
        (void)absl::SimpleAtoi(request_.substr(at + 16, request_.find("\r\n", at) - at - 16),
                               &length);
      }
      want = head_end + 4 + length;
    }
    (void)send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
    if (!close_after_answer_) {
      while (recv(fd, buf, sizeof(buf), 0) > 0) {
      }
    }
    close(fd);
  }

  std::string answer_;
  bool close_after_answer_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(SendRequestTest, ReadsTheBodyByContentLengthWhileTheServerKeepsTheConnectionOpen) {
  OneConnectionServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\ncontent-type: application/json\r\n\r\n"
      "{\"value\":1}",
      /*close_after_answer=*/false);
  absl::StatusOr<HttpReply> reply =
      SendRequest(server.port(), "GET", "/status", "", absl::Seconds(30));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "{\"value\":1}");
}

TEST(SendRequestTest, SendsTheBodyAsJsonWithItsLength) {
  OneConnectionServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                             /*close_after_answer=*/false);
  absl::StatusOr<HttpReply> reply =
      SendRequest(server.port(), "POST", "/session/1/url", R"({"url":"x"})", absl::Seconds(30));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body, "");
  std::string request = server.TakeRequest();
  EXPECT_THAT(request, StartsWith("POST /session/1/url HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(request, HasSubstr("Content-Length: 11\r\n"));
  EXPECT_THAT(request, EndsWith("\r\n\r\n{\"url\":\"x\"}"));
}

TEST(SendRequestTest, ReadsUntilTheServerClosesWhenThereIsNoContentLength) {
  OneConnectionServer server("HTTP/1.1 200 OK\r\n\r\nall of it", /*close_after_answer=*/true);
  absl::StatusOr<HttpReply> reply = SendRequest(server.port(), "GET", "/", "", absl::Seconds(30));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->body, "all of it");
}

TEST(SendRequestTest, ATruncatedBodyIsDataLoss) {
  OneConnectionServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                             /*close_after_answer=*/true);
  absl::StatusOr<HttpReply> reply = SendRequest(server.port(), "GET", "/", "", absl::Seconds(30));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(reply.status().message(), HasSubstr("after 5 of 100 body bytes"));
}

TEST(SendRequestTest, ASilentServerIsADeadlineNamingTheRequest) {
  OneConnectionServer server("", /*close_after_answer=*/false);
  absl::StatusOr<HttpReply> reply =
      SendRequest(server.port(), "POST", "/session", "{}", absl::Milliseconds(200));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(reply.status().message(), HasSubstr("POST /session"));
}

TEST(SendRequestTest, NothingListeningIsUnavailable) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);  // bound, never listened: connections are refused
  EXPECT_EQ(SendRequest(ntohs(addr.sin_port), "GET", "/", "", absl::Seconds(5)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace devloop::browser
