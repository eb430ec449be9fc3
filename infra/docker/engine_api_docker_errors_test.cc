// EngineApiDocker's error paths without a Docker Engine: no socket, a
// "daemon" that answers garbage, one that never answers, bad DOCKER_HOST values.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "domain/events/status_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/docker/docker_status.h"
#include "infra/docker/engine_api_docker.h"

namespace devloop::docker {
namespace {

using domain::StatusCode;
using ::testing::HasSubstr;
using ::testing::Not;

// A unix socket server that answers each connection with `answer` (after
// reading the request), or holds it open without answering when `answer` is
// empty.
class FakeDaemon {
 public:
  explicit FakeDaemon(std::string answer) : answer_(std::move(answer)) {
    path_ = absl::StrCat("/tmp/devloop-fake-daemon-", getpid(), "-", counter_++, ".sock");
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    thread_ = std::thread([this] {
      while (true) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        char buf[4096];
        const ssize_t n = read(c, buf, sizeof(buf));
        if (n > 0) {
          absl::MutexLock lock(&mu_);
          if (first_read_.empty()) first_read_.assign(buf, n);
        }
        if (!answer_.empty()) {
          (void)!write(c, answer_.data(), answer_.size());
          close(c);
        } else {
          held_.push_back(c);
        }
      }
    });
  }
  ~FakeDaemon() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int c : held_) close(c);
    unlink(path_.c_str());
  }
  std::string host() const { return "unix://" + path_; }
  // What the first connection sent in its first read: the request line and
  // headers of the first call.
  std::string first_read() const {
    absl::MutexLock lock(&mu_);
    return first_read_;
  }

 private:
  static inline int counter_ = 0;
  std::string answer_;
  std::string path_;
  int fd_;
  std::vector<int> held_;
  mutable absl::Mutex mu_;
  std::string first_read_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

TEST(EngineApiDockerErrorsTest, MissingSocketIsDaemonNotRunning) {
  auto docker = EngineApiDocker::Create({.docker_host = "unix:///tmp/devloop-no-such.sock"});
  ASSERT_TRUE(docker.ok());
  absl::Status s = (*docker)->Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerDaemonNotRunning);
  EXPECT_THAT(s.message(), HasSubstr("/tmp/devloop-no-such.sock"));
  EXPECT_EQ(DockerStatusCode((*docker)->Inspect("x").status()),
            StatusCode::kBuildDockerDaemonNotRunning);
}

TEST(EngineApiDockerErrorsTest, RefusedTcpIsDaemonNotRunning) {
  // Port 1 on loopback: nothing listens there.
  auto docker = EngineApiDocker::Create({.docker_host = "tcp://127.0.0.1:1"});
  ASSERT_TRUE(docker.ok());
  absl::Status s = (*docker)->Ping();
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerDaemonNotRunning) << s;
}

TEST(EngineApiDockerErrorsTest, GarbageAnswerIsSystemError) {
  FakeDaemon daemon("this is not HTTP at all\r\n\r\n");
  auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
  ASSERT_TRUE(docker.ok());
  absl::Status s = (*docker)->Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerSystemErr);
  EXPECT_THAT(s.message(), HasSubstr("invalid answer"));
}

TEST(EngineApiDockerErrorsTest, HttpWithNonJsonBodyIsSystemError) {
  FakeDaemon daemon(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{");
  auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
  ASSERT_TRUE(docker.ok());
  absl::Status s = (*docker)->Inspect("c").status();
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerSystemErr) << s;
  EXPECT_THAT(s.message(), HasSubstr("not JSON"));
}

TEST(EngineApiDockerErrorsTest, TruncatedAnswerIsSystemError) {
  FakeDaemon daemon("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
  auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
  ASSERT_TRUE(docker.ok());
  EXPECT_EQ(DockerStatusCode((*docker)->Inspect("c").status()), StatusCode::kBuildDockerSystemErr);
}

TEST(EngineApiDockerErrorsTest, SilentDaemonHitsTheDeadline) {
  FakeDaemon daemon("");
  auto docker = EngineApiDocker::Create(
      {.docker_host = daemon.host(), .call_timeout = absl::Milliseconds(100)});
  ASSERT_TRUE(docker.ok());
  absl::Status s = (*docker)->Ping();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_EQ(DockerStatusCode(s), StatusCode::kBuildDockerDeadline);
}

// A build's target platform goes to the engine as POST /build's `platform`
// parameter (the answer here only ends the call).
TEST(EngineApiDockerErrorsTest, BuildSendsItsPlatform) {
  char tmpl[] = "/tmp/devloop-build-platform-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string dockerfile = dir + "/Dockerfile";
  FILE* f = fopen(dockerfile.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("FROM scratch\n", f);
  fclose(f);
  for (const std::string platform : {"linux/arm64", ""}) {
    FakeDaemon daemon(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        "Content-Length: 16\r\n\r\n{\"message\":\"no\"}");
    auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
    ASSERT_TRUE(docker.ok());
    EXPECT_FALSE((*docker)->Build({.context_dir = dir, .platform = platform}).ok());
    const std::string head = daemon.first_read();
    EXPECT_THAT(head, HasSubstr("POST /v1.41/build?")) << head;
    if (platform.empty()) {
      EXPECT_THAT(head, Not(HasSubstr("platform="))) << head;
    } else {
      EXPECT_THAT(head, HasSubstr("&platform=linux%2Farm64")) << head;
    }
  }
  unlink(dockerfile.c_str());
  rmdir(dir.c_str());
}

TEST(EngineApiDockerErrorsTest, UnsupportedDockerHostIsInvalidArgument) {
  for (const char* host : {"ssh://me@box", "unix://relative.sock", "npipe:////./pipe/docker", ""}) {
    auto docker = EngineApiDocker::Create({.docker_host = host});
    EXPECT_EQ(docker.status().code(), absl::StatusCode::kInvalidArgument) << host;
  }
  EXPECT_TRUE(EngineApiDocker::Create({.docker_host = "tcp://docker.example:2376"}).ok());
}

TEST(EngineApiDockerErrorsTest, BuildWithoutDockerfileFailsBeforeContactingTheDaemon) {
  auto docker = EngineApiDocker::Create({.docker_host = "unix:///tmp/devloop-no-such.sock"});
  ASSERT_TRUE(docker.ok());
  absl::StatusOr<BuildResult> r = (*docker)->Build({.context_dir = "/tmp"});
  EXPECT_EQ(DockerStatusCode(r.status()), StatusCode::kBuildDockerfileNotFound) << r.status();
}

}  // namespace
}  // namespace devloop::docker
