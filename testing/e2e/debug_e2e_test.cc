// End to end: `devloop debug` on the debug examples (testing/examples/debug-*),
// the real devloop binary on the real Docker Engine. Each example's container
// runs under its language's debugger with the support files devloop mounts
// from tools/debug/support.sh's images; the iteration streams a
// DebuggingContainerEvent Started and forwards the debug port; a real client
// of that debugger attaches through the forwarded local port; State lists the
// container over gRPC and HTTP, with Skaffold's field set; a synced edit of
// the Python example is picked up while debugpy runs; Ctrl-C leaves nothing
// of the run, its support volume included.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/json/json.h"
#include "testing/debug/attach.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {
namespace {

using ::testing::IsSubsetOf;

constexpr absl::Duration kIteration = absl::Seconds(180);

struct Example {
  std::string name;        // testing/examples/NAME
  std::string image;       // its artifact
  int local_port = 0;      // its portForward's localPort
  std::string runtime;     // DebuggingContainerEvent.runtime
  std::string port_name;   // the debug port's name
  uint32_t debug_port = 0;
  std::string served;      // what its page says
};

// Skaffold's DebuggingContainerEvent, as JSON names its fields.
const std::set<std::string> kDebuggingFields = {"status",  "podName",    "containerName",
                                                "namespace", "artifact", "runtime",
                                                "workingDir", "debugPorts"};

absl::Status Probe(const std::string& port_name, int port) {
  if (port_name == "dlv") return debug_testing::ProbeDelve(port);
  if (port_name == "dap") return debug_testing::ProbeDebugpy(port);
  if (port_name == "devtools") return debug_testing::ProbeNodeInspector(port);
  if (port_name == "jdwp") return debug_testing::ProbeJdwp(port);
  return absl::InvalidArgumentError(absl::StrCat("no probe for ", port_name));
}

class DebugE2eTest : public ::testing::TestWithParam<Example> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare(GetParam().name, {GetParam().image});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  // Starts `devloop debug` and waits for iteration 0 to succeed; returns the
  // local port its debug port is forwarded to.
  void StartDebugging(int* debug_local_port) {
    const Example& ex = GetParam();
    ASSERT_TRUE(session_->Start({}, [](DevloopProcess::Options& o) { o.args[0] = "debug"; }).ok());
    EventsClient& events = session_->events();
    absl::StatusOr<proto::LogEntry> done =
        events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration);
    ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
    // The app's forward waits for it to answer, and the container is
    // reported once its debugger listens: a debugger can delay both past the
    // status check, so they may follow the iteration.
    absl::StatusOr<proto::LogEntry> listening = events.WaitFor(
        [](const proto::LogEntry& e) { return e.event().has_debuggingcontainerevent(); },
        absl::Seconds(40));
    ASSERT_TRUE(listening.ok()) << listening.status() << "\n"
                                << session_->devloop().process().Output();
    for (bool debug_port : {false, true}) {
      absl::StatusOr<proto::LogEntry> forwarded = events.WaitFor(
          [&](const proto::LogEntry& e) {
            return e.event().has_portevent() &&
                   (e.event().portevent().portname() == ex.port_name) == debug_port;
          },
          absl::Seconds(30));
      ASSERT_TRUE(forwarded.ok()) << forwarded.status() << "\n"
                                  << session_->devloop().process().Output();
    }
    absl::Status contract = CheckBuildIteration(
        events.Entries(), {.iteration = 0,
                           .artifacts = {session_->Image(ex.image)},
                           .ports = {{ex.image, session_->LocalPort(ex.local_port)}},
                           .debugging = {{ex.image, ex.runtime}},
                           .may_follow = true});
    ASSERT_TRUE(contract.ok()) << contract;

    absl::StatusOr<proto::State> state = events.GetState();
    ASSERT_TRUE(state.ok()) << state.status();
    ASSERT_EQ(state->debuggingcontainers_size(), 1) << state->ShortDebugString();
    const proto::DebuggingContainerEvent& d = state->debuggingcontainers(0);
    EXPECT_EQ(d.status(), "Started");
    EXPECT_EQ(d.containername(), ex.image);
    EXPECT_EQ(d.artifact(), session_->Image(ex.image));
    EXPECT_EQ(d.runtime(), ex.runtime);
    ASSERT_EQ(d.debugports().count(ex.port_name), 1u) << d.ShortDebugString();
    EXPECT_EQ(d.debugports().at(ex.port_name), ex.debug_port);
    *debug_local_port = 0;
    for (const auto& [key, p] : state->forwardedports()) {
      if (p.portname() == ex.port_name) *debug_local_port = p.localport();
    }
    ASSERT_GT(*debug_local_port, 0) << "no forward of the debug port: "
                                    << state->ShortDebugString();
  }

  std::unique_ptr<DevSession> session_;
};

TEST_P(DebugE2eTest, TheDebuggerAnswersThroughItsForwardAndTheApiListsIt) {
  const Example& ex = GetParam();
  int debug_port = 0;
  ASSERT_NO_FATAL_FAILURE(StartDebugging(&debug_port));
  const int app_port = session_->LocalPort(ex.local_port);
  // The program runs (under its debugger) before a client attaches: debugpy
  // must not see a client come and go while it is still starting.
  absl::StatusOr<std::string> body = WaitServed(app_port, "/", ex.served);
  ASSERT_TRUE(body.ok()) << body.status();
  absl::Status attached = debug_testing::WaitForDebugger(
      [&] { return Probe(ex.port_name, debug_port); }, absl::Seconds(30));
  EXPECT_TRUE(attached.ok()) << attached << "\n" << session_->devloop().process().Output();

  // HTTP/JSON: the State and the event carry Skaffold's field names.
  absl::StatusOr<HttpResponse> state = Http(session_->devloop().http_port(), "GET", "/v1/state");
  ASSERT_TRUE(state.ok()) << state.status();
  absl::StatusOr<json::Json> parsed = json::Json::Parse(state->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << ": " << state->body;
  const std::vector<json::Json>& listed = (*parsed)["debuggingContainers"].elements();
  ASSERT_EQ(listed.size(), 1u) << state->body;
  std::set<std::string> fields;
  for (const auto& [name, value] : listed[0].members()) fields.insert(name);
  EXPECT_THAT(fields, IsSubsetOf(kDebuggingFields));
  for (const char* required : {"status", "podName", "containerName", "artifact", "runtime",
                               "debugPorts"}) {
    EXPECT_TRUE(fields.contains(required)) << required << " missing: " << state->body;
  }
  EXPECT_EQ(listed[0]["debugPorts"][ex.port_name].AsInt(), ex.debug_port) << state->body;

  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(30));
  EXPECT_TRUE(clean.ok()) << clean;
}

INSTANTIATE_TEST_SUITE_P(
    Runtimes, DebugE2eTest,
    ::testing::Values(Example{"debug-go", "devloop-debug-go", 9020, "go", "dlv", 56268,
                              "Hello from Go"},
                      Example{"debug-python", "devloop-debug-python", 9021, "python", "dap", 5678,
                              "Hello from Python"},
                      Example{"debug-node", "devloop-debug-node", 9022, "nodejs", "devtools",
                              9229, "Hello from Node"},
                      Example{"debug-jvm", "devloop-debug-jvm", 9023, "jvm", "jdwp", 5005,
                              "Hello from Java"}),
    [](const ::testing::TestParamInfo<Example>& info) { return info.param.runtime; });

// The Python example: a synced edit is picked up while debugpy runs, and the
// debugger still answers after it.
class DebugSyncE2eTest : public DebugE2eTest {};

TEST_P(DebugSyncE2eTest, ASyncedEditIsServedAndTheDebuggerStays) {
  const Example& ex = GetParam();
  int debug_port = 0;
  ASSERT_NO_FATAL_FAILURE(StartDebugging(&debug_port));
  const int app_port = session_->LocalPort(ex.local_port);
  ASSERT_TRUE(WaitServed(app_port, "/", ex.served).ok());

  size_t at = session_->events().size();
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/message.py", "Hello from Python",
                            "Synced into the debugged container")
                  .ok());
  absl::StatusOr<proto::LogEntry> done =
      session_->events().WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at);
  ASSERT_TRUE(done.ok()) << done.status();
  absl::StatusOr<std::string> tag = CheckSyncIteration(
      session_->events().Entries(),
      {.iteration = 1, .image_prefix = absl::StrCat(session_->Image(ex.image), ":")});
  EXPECT_TRUE(tag.ok()) << tag.status();
  absl::StatusOr<std::string> body = WaitServed(app_port, "/", "Synced into the debugged container");
  EXPECT_TRUE(body.ok()) << body.status();
  absl::Status attached = debug_testing::WaitForDebugger(
      [&] { return Probe(ex.port_name, debug_port); }, absl::Seconds(30));
  EXPECT_TRUE(attached.ok()) << attached;

  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(30));
  EXPECT_TRUE(clean.ok()) << clean;
}

INSTANTIATE_TEST_SUITE_P(Python, DebugSyncE2eTest,
                         ::testing::Values(Example{"debug-python", "devloop-debug-python", 9021,
                                                   "python", "dap", 5678, "Hello from Python"}),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           return info.param.runtime;
                         });

}  // namespace
}  // namespace devloop::e2e
