// End to end on testing/examples/microservices against a real Kubernetes (a
// test cluster of its own, testing/kube/with_kube_cluster.sh): `devloop dev
// -p kubernetes` with --port-forward=services, =pods and =user,services.
//  - services: both Services (port 8080 each) are forwarded, each on 8080 or
//    the next free port; the apps answer there; State.forwardedPorts and the
//    portEvents say so; a redeploy keeps the local ports.
//  - pods: each Deployment's containerPort is forwarded, reported as the pod;
//    a deleted pod's replacement answers on the same local port, and a new
//    portEvent (and State.forwardedPorts) names it.
//  - user,services: a Service a portForward entry forwards is forwarded once,
//    on the entry's local port.
//  - `devloop run --port-forward=services` (run takes dev's modes, as
//    Skaffold's does): the Services are forwarded until devloop exits; then
//    the local ports close and what run deployed stays for `devloop delete`.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"
#include "testing/kube/kube_test_env.h"

namespace devloop::e2e {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Lt;
using ::testing::Ne;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr absl::Duration kIteration = absl::Seconds(180);

// The last portEvent of `type`/`name` (a prefix of the name, for pods).
const proto::PortEvent* Forward(const std::vector<proto::PortEvent>& events,
                                const std::string& type, const std::string& name_prefix) {
  const proto::PortEvent* found = nullptr;
  for (const proto::PortEvent& e : events) {
    if (e.resourcetype() == type && absl::StartsWith(e.resourcename(), name_prefix)) found = &e;
  }
  return found;
}

class PortForwardKubeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cluster_.kubeconfig().empty())
        << "run me through testing/kube/with_kube_cluster.sh";
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("microservices", {"leeroy-web", "leeroy-app"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  // Starts `devloop dev -p kubernetes --port-forward=MODES` and waits for
  // iteration 0 to succeed; `at` is left past its devLoopEvent.
  void StartAndDeploy(const std::string& modes, size_t* at) {
    absl::Status started = session_->Start(
        {"-p", "kubernetes", "--kubeconfig", cluster_.kubeconfig(), "--default-repo",
         cluster_.registry(), "--cache-artifacts=false", "--port-forward=" + modes});
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<proto::LogEntry> done =
        session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, at);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(session_->events().Entries())
                           << "\n" << session_->devloop().process().Output();
  }

  // The run's objects are deleted at Ctrl-C; devloop exits 0.
  void Stop() {
    absl::StatusOr<std::string> run_id = session_->RunId();
    ASSERT_TRUE(run_id.ok()) << run_id.status();
    absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(10));
    EXPECT_TRUE(clean.ok()) << clean;
  }

  testing::KubeTestCluster cluster_ = testing::KubeTestCluster::FromEnvironment();
  std::unique_ptr<DevSession> session_;
};

TEST_F(PortForwardKubeE2eTest, ServicesAreForwardedOnTheirPortOrTheNextFreeOne) {
  size_t at = 0;
  ASSERT_NO_FATAL_FAILURE(StartAndDeploy("services", &at));
  std::vector<proto::PortEvent> ports = PortEvents(session_->events().Entries());
  ASSERT_THAT(ports, SizeIs(2)) << DescribePorts(ports);
  const proto::PortEvent* app = Forward(ports, "service", "leeroy-app");
  const proto::PortEvent* web = Forward(ports, "service", "leeroy-web");
  ASSERT_NE(app, nullptr) << DescribePorts(ports);
  ASSERT_NE(web, nullptr) << DescribePorts(ports);
  for (const proto::PortEvent* p : {app, web}) {
    EXPECT_EQ(p->remoteport(), 8080);
    EXPECT_EQ(p->address(), "127.0.0.1");
    EXPECT_EQ(p->namespace_(), "default");
    // Both Services say 8080: one gets it (when free), the other a port after it.
    EXPECT_THAT(p->localport(), AllOf(Ge(8080), Lt(8180))) << DescribePorts(ports);
  }
  EXPECT_THAT(app->podname(), StartsWith("leeroy-app-"));
  EXPECT_NE(app->localport(), web->localport());
  const int app_port = app->localport(), web_port = web->localport();

  absl::StatusOr<std::string> body = WaitServed(app_port, "/", "leeroooooy app!!");
  EXPECT_TRUE(body.ok()) << body.status();
  body = WaitServed(web_port, "/index.html", "cgi-bin");
  EXPECT_TRUE(body.ok()) << body.status();

  absl::StatusOr<proto::State> state = session_->events().GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->forwardedports().contains(app_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(app_port).resourcetype(), "service");
  EXPECT_EQ(state->forwardedports().at(app_port).resourcename(), "leeroy-app");
  ASSERT_TRUE(state->forwardedports().contains(web_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(web_port).resourcename(), "leeroy-web");

  // A rebuilt leeroy-app is redeployed: both forwards keep their local ports.
  const size_t before = session_->events().size();
  ASSERT_TRUE(WriteFile(session_->dir() + "/leeroy-app/www/index.html", "app v2\n").ok());
  absl::StatusOr<proto::LogEntry> done =
      session_->events().WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(session_->events().Entries());
  std::vector<proto::PortEvent> again = PortEvents(session_->events().Entries(), before);
  ASSERT_NE(Forward(again, "service", "leeroy-app"), nullptr) << DescribePorts(again);
  EXPECT_EQ(Forward(again, "service", "leeroy-app")->localport(), app_port) << DescribePorts(again);
  ASSERT_NE(Forward(again, "service", "leeroy-web"), nullptr) << DescribePorts(again);
  EXPECT_EQ(Forward(again, "service", "leeroy-web")->localport(), web_port) << DescribePorts(again);
  body = WaitServed(app_port, "/", "app v2", absl::Seconds(60));
  EXPECT_TRUE(body.ok()) << body.status();
  Stop();
}

TEST_F(PortForwardKubeE2eTest, PodsAreForwardedAndFollowedToTheirReplacement) {
  size_t at = 0;
  ASSERT_NO_FATAL_FAILURE(StartAndDeploy("pods", &at));
  std::vector<proto::PortEvent> ports = PortEvents(session_->events().Entries());
  ASSERT_THAT(ports, SizeIs(2)) << DescribePorts(ports);
  const proto::PortEvent* app = Forward(ports, "pod", "leeroy-app-");
  ASSERT_NE(app, nullptr) << DescribePorts(ports);
  ASSERT_NE(Forward(ports, "pod", "leeroy-web-"), nullptr) << DescribePorts(ports);
  EXPECT_EQ(app->remoteport(), 8080);
  EXPECT_EQ(app->podname(), app->resourcename());
  EXPECT_EQ(app->containername(), "leeroy-app");
  EXPECT_THAT(app->localport(), AllOf(Ge(8080), Lt(8180))) << DescribePorts(ports);
  const int app_port = app->localport();
  const std::string first_pod = app->podname();
  absl::StatusOr<std::string> body = WaitServed(app_port, "/", "leeroooooy app!!");
  ASSERT_TRUE(body.ok()) << body.status();
  absl::StatusOr<proto::State> state = session_->events().GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->forwardedports().contains(app_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(app_port).resourcetype(), "pod");

  // The pod goes; its Deployment's new pod answers on the same local port,
  // and the API says so: a portEvent of the new pod, on the same local port.
  const size_t before_delete = session_->events().size();
  absl::StatusOr<std::string> deleted =
      cluster_.Kubectl({"delete", "pod", first_pod, "--namespace=default", "--wait=true"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  body = WaitServed(app_port, "/", "leeroooooy app!!", absl::Seconds(90));
  EXPECT_TRUE(body.ok()) << body.status() << "\n" << session_->devloop().process().Output();
  absl::StatusOr<std::string> now = cluster_.Kubectl(
      {"get", "pods", "--namespace=default", "-l", "app=leeroy-app", "-o", "name"});
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_FALSE(absl::StrContains(*now, first_pod)) << *now;
  absl::StatusOr<proto::LogEntry> moved = session_->events().WaitFor(
      [&](const proto::LogEntry& e) {
        return e.event().has_portevent() && e.event().portevent().resourcetype() == "pod" &&
               absl::StartsWith(e.event().portevent().podname(), "leeroy-app-") &&
               e.event().portevent().podname() != first_pod;
      },
      absl::Seconds(90), before_delete);
  ASSERT_TRUE(moved.ok()) << moved.status() << "\n"
                          << DescribePorts(PortEvents(session_->events().Entries()));
  const proto::PortEvent& replacement = moved->event().portevent();
  const std::string new_pod = replacement.podname();
  EXPECT_EQ(replacement.resourcename(), new_pod);
  EXPECT_EQ(replacement.localport(), app_port);
  EXPECT_EQ(replacement.remoteport(), 8080);
  EXPECT_EQ(replacement.containername(), "leeroy-app");
  EXPECT_TRUE(absl::StrContains(*now, new_pod)) << new_pod << " is not one of\n" << *now;
  state = session_->events().GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->forwardedports().contains(app_port)) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(app_port).podname(), new_pod) << state->DebugString();
  EXPECT_EQ(state->forwardedports().at(app_port).resourcename(), new_pod);
  // Only the forward that moved is reported again: leeroy-web's pod stayed.
  for (const proto::PortEvent& e : PortEvents(session_->events().Entries(), before_delete)) {
    EXPECT_THAT(e.podname(), StartsWith("leeroy-app-")) << DescribePorts({e});
  }
  body = WaitServed(app_port, "/", "leeroooooy app!!");
  EXPECT_TRUE(body.ok()) << body.status();
  Stop();
}

TEST_F(PortForwardKubeE2eTest, AServiceAUserEntryForwardsIsForwardedOnce) {
  size_t at = 0;
  ASSERT_NO_FATAL_FAILURE(StartAndDeploy("user,services", &at));
  std::vector<proto::PortEvent> ports = PortEvents(session_->events().Entries());
  // The profile's entries forward both Services' port 8080.
  ASSERT_THAT(ports, SizeIs(2)) << DescribePorts(ports);
  const proto::PortEvent* app = Forward(ports, "service", "leeroy-app");
  const proto::PortEvent* web = Forward(ports, "service", "leeroy-web");
  ASSERT_NE(app, nullptr) << DescribePorts(ports);
  ASSERT_NE(web, nullptr) << DescribePorts(ports);
  EXPECT_EQ(app->localport(), session_->LocalPort(9003)) << DescribePorts(ports);
  EXPECT_EQ(web->localport(), session_->LocalPort(9002)) << DescribePorts(ports);
  absl::StatusOr<std::string> body = WaitServed(app->localport(), "/", "leeroooooy app!!");
  EXPECT_TRUE(body.ok()) << body.status();
  absl::StatusOr<proto::State> state = session_->events().GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->forwardedports().size(), 2u) << state->DebugString();
  Stop();
}

TEST_F(PortForwardKubeE2eTest, RunForwardsServicesUntilItExits) {
  absl::Status started = session_->Start(
      {"-p", "kubernetes", "--kubeconfig", cluster_.kubeconfig(), "--default-repo",
       cluster_.registry(), "--cache-artifacts=false", "--port-forward=services", "--enable-rpc"},
      [](DevloopProcess::Options& o) { o.args[0] = "run"; });
  ASSERT_TRUE(started.ok()) << started;
  auto service_forward = [](const std::string& name) {
    return [name](const proto::LogEntry& e) {
      return e.event().has_portevent() && e.event().portevent().resourcetype() == "service" &&
             e.event().portevent().resourcename() == name;
    };
  };
  absl::StatusOr<proto::LogEntry> app =
      session_->events().WaitFor(service_forward("leeroy-app"), kIteration);
  ASSERT_TRUE(app.ok()) << app.status() << "\n" << Describe(session_->events().Entries())
                        << "\n" << session_->devloop().process().Output();
  absl::StatusOr<proto::LogEntry> web =
      session_->events().WaitFor(service_forward("leeroy-web"), kIteration);
  ASSERT_TRUE(web.ok()) << web.status() << "\n" << Describe(session_->events().Entries());
  const int app_port = app->event().portevent().localport();
  const int web_port = web->event().portevent().localport();
  EXPECT_THAT(app_port, AllOf(Ge(8080), Lt(8180)));
  EXPECT_NE(app_port, web_port);
  absl::StatusOr<std::string> body = WaitServed(app_port, "/", "leeroooooy app!!");
  EXPECT_TRUE(body.ok()) << body.status() << "\n" << session_->devloop().process().Output();
  body = WaitServed(web_port, "/index.html", "cgi-bin");
  EXPECT_TRUE(body.ok()) << body.status();
  absl::StatusOr<proto::State> state = session_->events().GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->forwardedports().contains(app_port)) << state->DebugString();
  EXPECT_TRUE(state->forwardedports().contains(web_port)) << state->DebugString();
  absl::StatusOr<std::string> run_id = session_->RunId();  // the session's sweep takes its images
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // The run succeeds and keeps forwarding until Ctrl-C; that ends the
  // forwards, and the deployment stays, as run leaves it.
  absl::StatusOr<proto::LogEntry> done =
      session_->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << Describe(session_->events().Entries());
  absl::Status waiting = WaitForOutput([this] { return session_->devloop().process().Output(); },
                                       "Port forwards end when devloop exits", absl::Seconds(60));
  ASSERT_TRUE(waiting.ok()) << waiting << "\n" << session_->devloop().process().Output();
  body = WaitServed(app_port, "/", "leeroooooy app!!");
  EXPECT_TRUE(body.ok()) << body.status();
  absl::StatusOr<int> code = session_->Interrupt(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << session_->devloop().process().Output();
  for (int port : {app_port, web_port}) {
    absl::StatusOr<HttpResponse> closed = Http(port, "GET", "/", "", absl::Seconds(5));
    EXPECT_FALSE(closed.ok()) << "port " << port << " still answers";
  }
  const std::string selector = absl::StrCat("dev.devloop.run-id=", *run_id);
  absl::StatusOr<std::string> left = cluster_.Kubectl(
      {"get", "deployments", "--namespace=default", "-l", selector, "-o", "name"});
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(absl::StrContains(*left, "leeroy-app")) << *left;
  absl::StatusOr<CommandResult> deleted = RunCommand(
      {Runfile("apps/devloop"), "delete", "-f", session_->dir() + "/skaffold.yaml", "-p",
       "kubernetes", "--kubeconfig", cluster_.kubeconfig()},
      absl::Seconds(60));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->exit_code, 0) << deleted->output;
}

}  // namespace
}  // namespace devloop::e2e
