// End to end: `devloop debug` on a Go program deployed with kubectl to a real
// Kubernetes (a test cluster of its own, testing/kube/with_kube_cluster.sh).
//  - the program (built here with `go build`, no optimisation, into a FROM
//    scratch image; runtimeType go) runs under Delve, whose files an init
//    container copies from the local devloop-debug-support:go image (pushed
//    to the cluster's registry as the artifact is);
//  - a DebuggingContainerEvent Started names the pod, container, namespace,
//    artifact, runtime and the dlv port, and State lists it;
//  - --port-forward=debug (debug's default) forwards dlv to a local port
//    reported with portName "dlv", where Delve answers JSON-RPC;
//  - a Job of the same image is debugged and forwarded too, on another port;
//  - the Deployment's pod deleted: Terminated for it, Started for its
//    replacement, and Delve answers on the same local port.
// Needs the local image devloop-debug-support:go (tools/debug/support.sh).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/subprocess.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kIteration = absl::Seconds(240);
constexpr char kGoBinary[] = "/usr/local/go/bin/go";

constexpr char kMainGo[] = R"(package main

import (
	"fmt"
	"time"
)

func main() {
	for i := 0; ; i++ {
		fmt.Println("tick", i)
		time.Sleep(time.Second)
	}
}
)";

// Sends one JSON-RPC request line to 127.0.0.1:`port` and returns the first
// line answered, within `timeout`.
absl::StatusOr<std::string> JsonRpc(int port, const std::string& request, absl::Duration timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to 127.0.0.1:", port));
  }
  const std::string line = request + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string answer;
  const absl::Time give_up = absl::Now() + timeout;
  while (!absl::StrContains(answer, "\n")) {
    const int64_t left = absl::ToInt64Milliseconds(give_up - absl::Now());
    pollfd p{.fd = fd, .events = POLLIN};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (answer.empty()) return absl::DeadlineExceededError(absl::StrCat("no answer on port ", port));
  return answer.substr(0, answer.find('\n'));
}

// Asks Delve on `port` for its state until it answers with a result.
absl::StatusOr<std::string> DelveState(int port, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  absl::StatusOr<std::string> last = absl::UnknownError("not asked");
  while (absl::Now() < give_up) {
    last = JsonRpc(port, R"({"method":"RPCServer.State","params":[{"NonBlocking":true}],"id":1})",
                   absl::Seconds(5));
    if (last.ok() && absl::StrContains(*last, "\"result\"")) return last;
    absl::SleepFor(absl::Milliseconds(500));
  }
  if (last.ok()) return absl::DeadlineExceededError(absl::StrCat("Delve answered: ", *last));
  return last.status();
}

// A DebuggingContainerEvent of `status` for `container`, of a pod other than
// `not_pod` when given.
EventsClient::Predicate IsDebugging(const std::string& status, const std::string& container,
                                    const std::string& not_pod = "") {
  return [status, container, not_pod](const proto::LogEntry& e) {
    const proto::DebuggingContainerEvent& d = e.event().debuggingcontainerevent();
    return e.event().has_debuggingcontainerevent() && d.status() == status &&
           d.containername() == container && (not_pod.empty() || d.podname() != not_pod);
  };
}

EventsClient::Predicate IsDlvForward(const std::string& container) {
  return [container](const proto::LogEntry& e) {
    return e.event().has_portevent() && e.event().portevent().portname() == "dlv" &&
           e.event().portevent().containername() == container;
  };
}

class DebugKubeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cluster_.kubeconfig().empty())
        << "run me through testing/kube/with_kube_cluster.sh";
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::string> support = Docker({"image", "inspect", "devloop-debug-support:go"});
    ASSERT_TRUE(support.ok()) << "make devloop-debug-support:go with tools/debug/support.sh";
    // A session for its private directory, image repository and sweep; the
    // example's files are replaced by a Go program's.
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("getting-started", {"devloop-getting-started"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    const std::string dir = session_->dir();
    image_ = session_->Image("devloop-getting-started");
    ASSERT_TRUE(WriteFile(dir + "/main.go", kMainGo).ok());
    // The Go build cache of the machine's user (Bazel gives tests another HOME).
    const passwd* pw = ::getpwuid(::getuid());
    ASSERT_NE(pw, nullptr);
    absl::StatusOr<CommandResult> built = RunCommand(
        {"/usr/bin/env", "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=off",
         absl::StrCat("GOCACHE=", pw->pw_dir, "/.cache/go-build"), kGoBinary, "build",
         "-gcflags=all=-N -l", "-o", dir + "/app", dir + "/main.go"},
        absl::Minutes(5));
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_EQ(built->exit_code, 0) << built->output;
    ASSERT_TRUE(WriteFile(dir + "/Dockerfile", "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n").ok());
    ASSERT_TRUE(WriteFile(dir + "/.dockerignore", "main.go\n").ok());
    ASSERT_TRUE(WriteFile(dir + "/skaffold.yaml", absl::StrCat(R"(apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: debug-go
build:
  artifacts:
    - image: )", image_, R"(
      runtimeType: go
      docker:
        dockerfile: Dockerfile
  local:
    push: true
manifests:
  rawYaml:
    - k8s/app.yaml
deploy:
  kubectl: {}
)")).ok());
    ASSERT_EQ(::mkdir((dir + "/k8s").c_str(), 0755), 0);
    ASSERT_TRUE(WriteFile(dir + "/k8s/app.yaml", absl::StrCat(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: ticker
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ticker
  template:
    metadata:
      labels:
        app: ticker
    spec:
      containers:
        - name: ticker
          image: )", image_, R"(
---
apiVersion: batch/v1
kind: Job
metadata:
  name: batch
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: job
          image: )", image_, "\n")).ok());
  }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::unique_ptr<DevSession> session_;
  std::string image_;
};

TEST_F(DebugKubeE2eTest, GoProgramRunsUnderDelveReportedAndForwarded) {
  absl::Status started = session_->Start(
      {"--kubeconfig", cluster_.kubeconfig(), "--default-repo", cluster_.registry(),
       "--cache-artifacts=false"},
      [](DevloopProcess::Options& o) { o.args[0] = "debug"; });
  ASSERT_TRUE(started.ok()) << started;
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(session_->events().Entries())
                         << "\n" << session_->devloop().process().Output();

  absl::StatusOr<proto::LogEntry> debugging =
      session_->events().WaitFor(IsDebugging("Started", "ticker"), absl::Seconds(60));
  ASSERT_TRUE(debugging.ok()) << debugging.status() << "\n"
                              << session_->devloop().process().Output();
  const proto::DebuggingContainerEvent& d = debugging->event().debuggingcontainerevent();
  EXPECT_THAT(d.podname(), StartsWith("ticker-"));
  EXPECT_EQ(d.containername(), "ticker");
  EXPECT_EQ(d.namespace_(), "default");
  EXPECT_EQ(d.artifact(), image_);
  EXPECT_EQ(d.runtime(), "go");
  ASSERT_TRUE(d.debugports().contains("dlv")) << d.DebugString();
  EXPECT_EQ(d.debugports().at("dlv"), 56268u);
  const std::string first_pod = d.podname();

  absl::StatusOr<proto::LogEntry> forward =
      session_->events().WaitFor(IsDlvForward("ticker"), absl::Seconds(60));
  ASSERT_TRUE(forward.ok()) << forward.status() << "\n" << Describe(session_->events().Entries());
  const proto::PortEvent& p = forward->event().portevent();
  EXPECT_EQ(p.remoteport(), 56268);
  EXPECT_EQ(p.resourcetype(), "pod");
  EXPECT_EQ(p.podname(), first_pod);
  EXPECT_EQ(p.containername(), "ticker");
  const int local = p.localport();
  absl::StatusOr<std::string> state = DelveState(local, absl::Seconds(30));
  ASSERT_TRUE(state.ok()) << state.status() << "\n" << session_->devloop().process().Output();
  EXPECT_THAT(*state, HasSubstr("\"Running\":true")) << "--continue: the program runs";

  // The Job's pod too: its own forward, on another local port.
  absl::StatusOr<proto::LogEntry> job =
      session_->events().WaitFor(IsDebugging("Started", "job"), absl::Seconds(60));
  ASSERT_TRUE(job.ok()) << job.status() << "\n" << Describe(session_->events().Entries());
  EXPECT_THAT(job->event().debuggingcontainerevent().podname(), StartsWith("batch-"));
  absl::StatusOr<proto::LogEntry> job_forward =
      session_->events().WaitFor(IsDlvForward("job"), absl::Seconds(60));
  ASSERT_TRUE(job_forward.ok()) << job_forward.status() << "\n"
                                << Describe(session_->events().Entries());
  EXPECT_NE(job_forward->event().portevent().localport(), local);
  absl::StatusOr<std::string> job_state =
      DelveState(job_forward->event().portevent().localport(), absl::Seconds(30));
  EXPECT_TRUE(job_state.ok()) << job_state.status();

  absl::StatusOr<proto::State> api_state = session_->events().GetState();
  ASSERT_TRUE(api_state.ok()) << api_state.status();
  ASSERT_EQ(api_state->debuggingcontainers_size(), 2) << api_state->DebugString();

  // The pod goes: Terminated for it, Started for its replacement, and Delve
  // answers on the same local port.
  const size_t before = session_->events().size();
  absl::StatusOr<std::string> deleted =
      cluster_.Kubectl({"delete", "pod", first_pod, "--namespace=default", "--wait=false"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  absl::StatusOr<proto::LogEntry> gone =
      session_->events().WaitFor(IsDebugging("Terminated", "ticker"), absl::Seconds(90), before);
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(gone->event().debuggingcontainerevent().podname(), first_pod);
  absl::StatusOr<proto::LogEntry> again =
      session_->events().WaitFor(IsDebugging("Started", "ticker", first_pod), absl::Seconds(90),
                                 before);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << session_->devloop().process().Output();
  state = DelveState(local, absl::Seconds(60));
  EXPECT_TRUE(state.ok()) << state.status() << "\n" << session_->devloop().process().Output();

  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(20));
  EXPECT_TRUE(clean.ok()) << clean;
}

}  // namespace
}  // namespace devloop::e2e
