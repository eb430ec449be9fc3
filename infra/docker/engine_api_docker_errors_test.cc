// EngineApiDocker's error paths without a Docker Engine: no socket, a
// "daemon" that answers garbage, one that never answers, bad DOCKER_HOST values.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

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
// empty. Given several answers, connection i gets answers[i] (the last one
// once they run out).
class FakeDaemon {
 public:
  explicit FakeDaemon(std::string answer) : FakeDaemon(std::vector<std::string>{answer}) {}
  explicit FakeDaemon(std::vector<std::string> answers) : answers_(std::move(answers)) {
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
        if (n > 0) ReadRestOfRequest(c, std::string(buf, n));
        const std::string& answer = answers_[std::min(connections_++, answers_.size() - 1)];
        if (!answer.empty()) {
          (void)!write(c, answer.data(), answer.size());
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
  size_t connections() const { return connections_; }
  // What the first connection sent in its first read: the request line and
  // headers of the first call.
  std::string first_read() const {
    absl::MutexLock lock(&mu_);
    return first_read_;
  }

 private:
  // Reads the body its Content-Length announces, so that the client's write
  // of a build context ends before the answer comes.
  static void ReadRestOfRequest(int c, std::string got) {
    const size_t head_end = got.find("\r\n\r\n");
    const size_t at = got.find("Content-Length: ");
    if (head_end == std::string::npos || at == std::string::npos || at > head_end) return;
    size_t want = head_end + 4 + std::stoul(got.substr(at + 16));
    char buf[4096];
    while (got.size() < want) {
      const ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return;
      got.append(buf, n);
    }
  }

  static inline int counter_ = 0;
  std::vector<std::string> answers_;
  std::atomic<size_t> connections_{0};
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

// A build context in a new temporary directory: only a Dockerfile, removed
// with the context.
struct BuildContext {
  explicit BuildContext(absl::string_view dockerfile_text) {
    char tmpl[] = "/tmp/devloop-build-context-XXXXXX";
    dir = mkdtemp(tmpl);
    dockerfile = dir + "/Dockerfile";
    FILE* f = fopen(dockerfile.c_str(), "w");
    EXPECT_NE(f, nullptr) << dockerfile;
    if (f == nullptr) return;
    fwrite(dockerfile_text.data(), 1, dockerfile_text.size(), f);
    fclose(f);
  }
  ~BuildContext() {
    unlink(dockerfile.c_str());
    rmdir(dir.c_str());
  }
  std::string dir;
  std::string dockerfile;
};

// A build's target platform goes to the engine as POST /build's `platform`
// parameter (the answer here only ends the call).
TEST(EngineApiDockerErrorsTest, BuildSendsItsPlatform) {
  BuildContext context("FROM scratch\n");
  const std::string& dir = context.dir;
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
}

// The engine's answer when another client removed a cached step's image
// mid-build is built again once; any other build error is not.
TEST(EngineApiDockerErrorsTest, ABuildThatLostACachedLayerIsBuiltAgain) {
  BuildContext context("FROM scratch\nCOPY Dockerfile /\n");
  const std::string& dir = context.dir;
  auto stream = [](absl::string_view lines) {  // as the engine streams a build: chunked
    return absl::StrCat(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        absl::Hex(lines.size()), "\r\n", lines, "\r\n0\r\n\r\n");
  };
  const std::string lost = stream(
      "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\n"
      "{\"errorDetail\":{\"message\":\"failed to get digest sha256:ce92: open "
      "/var/lib/docker/image/overlay2/imagedb/content/sha256/ce92: no such file or "
      "directory\"},\"error\":\"failed to get digest\"}\n");
  const std::string built = stream("{\"aux\":{\"ID\":\"sha256:0123\"}}\n");
  const std::string broken = stream(
      "{\"errorDetail\":{\"message\":\"COPY failed: no source files\"},\"error\":\"x\"}\n");
  {
    FakeDaemon daemon(std::vector<std::string>{lost, built});
    auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
    ASSERT_TRUE(docker.ok());
    absl::StatusOr<BuildResult> result = (*docker)->Build({.context_dir = dir});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->image_id, "sha256:0123");
    EXPECT_EQ(daemon.connections(), 2u);
  }
  {
    FakeDaemon daemon(std::vector<std::string>{lost, lost, built});
    auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
    ASSERT_TRUE(docker.ok());
    absl::StatusOr<BuildResult> result = (*docker)->Build({.context_dir = dir});
    EXPECT_THAT(result.status().message(), HasSubstr("failed to get digest"));
    EXPECT_EQ(daemon.connections(), 2u);  // once again, not more
  }
  {
    FakeDaemon daemon(std::vector<std::string>{broken, built});
    auto docker = EngineApiDocker::Create({.docker_host = daemon.host()});
    ASSERT_TRUE(docker.ok());
    absl::StatusOr<BuildResult> result = (*docker)->Build({.context_dir = dir});
    EXPECT_EQ(DockerStatusCode(result.status()), StatusCode::kBuildUserError) << result.status();
    EXPECT_EQ(daemon.connections(), 1u);
  }
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
