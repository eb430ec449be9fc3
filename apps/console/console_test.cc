#include "apps/console/console.h"

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/console/suggestions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::console {
namespace {

using ::devloop::domain::ActionableErr;
using ::devloop::domain::BuildEvent;
using ::devloop::domain::DeployEvent;
using ::devloop::domain::DevLoopEvent;
using ::devloop::domain::FileSyncEvent;
using ::devloop::domain::LogEntry;
using ::devloop::domain::PortEvent;
using ::devloop::domain::StatusCheckEvent;
using ::devloop::domain::StatusCode;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

LogEntry At(absl::Duration offset, domain::Event event) {
  return LogEntry{.timestamp = kT0 + offset, .event = std::move(event)};
}

std::string S(absl::string_view v) { return std::string(v); }

std::string RenderAll(const std::vector<LogEntry>& entries, bool is_tty = false) {
  std::ostringstream out;
  Console console({.out = &out, .is_tty = is_tty});
  for (const LogEntry& e : entries) console.Render(e);
  return out.str();
}

TEST(ConsoleTest, OneIterationPrintsAPhaseLineWithItsDuration) {
  std::string out = RenderAll({
      At(absl::ZeroDuration(), DevLoopEvent{.iteration = 0, .status = S(domain::kStatusInProgress)}),
      At(absl::ZeroDuration(), BuildEvent{.artifact = "web", .status = S(domain::kStatusInProgress)}),
      At(absl::Milliseconds(1234), BuildEvent{.artifact = "web", .status = S(domain::kStatusComplete)}),
      At(absl::Milliseconds(1300), DeployEvent{.status = S(domain::kStatusInProgress)}),
      At(absl::Milliseconds(1750), DeployEvent{.status = S(domain::kStatusComplete)}),
      At(absl::Milliseconds(1760), StatusCheckEvent{.status = S(domain::kStatusInProgress)}),
      At(absl::Milliseconds(2000), StatusCheckEvent{.status = S(domain::kStatusSucceeded)}),
      At(absl::Milliseconds(2001), PortEvent{.local_port = 9000, .remote_port = 8080,
                                             .container_name = "web", .resource_type = "container",
                                             .resource_name = "web", .address = "127.0.0.1"}),
      At(absl::Milliseconds(2002), DevLoopEvent{.iteration = 0, .status = S(domain::kStatusSucceeded)}),
  });
  EXPECT_EQ(out,
            "Building [web]...\n"
            "Build [web] succeeded in 1.2s\n"
            "Deploying...\n"
            "Deploy succeeded in 450ms\n"
            "Waiting for deployments to stabilize...\n"
            "Status check succeeded in 240ms\n"
            "Port forwarding container web: remote port 8080 -> http://127.0.0.1:9000\n"
            "Watching for changes...\n");
}

TEST(ConsoleTest, SyncIterationPrintsFilesImageAndDuration) {
  std::string out = RenderAll({
      At(absl::ZeroDuration(), DevLoopEvent{.iteration = 3, .status = S(domain::kStatusInProgress)}),
      At(absl::ZeroDuration(), FileSyncEvent{.file_count = 1, .image = "web:abc",
                                             .status = S(domain::kStatusInProgress)}),
      At(absl::Milliseconds(12), FileSyncEvent{.file_count = 1, .image = "web:abc",
                                               .status = S(domain::kStatusSucceeded)}),
  });
  EXPECT_EQ(out,
            "Update #3\n"
            "Syncing 1 file for [web:abc]\n"
            "Synced 1 file to [web:abc] in 12ms\n");
}

TEST(ConsoleTest, FailedBuildPrintsTheErrorAndTheSuggestionForItsCode) {
  std::string out = RenderAll({
      At(absl::ZeroDuration(), BuildEvent{.artifact = "web", .status = S(domain::kStatusInProgress)}),
      At(absl::Milliseconds(300),
         BuildEvent{.artifact = "web", .status = S(domain::kStatusFailed),
                    .err = "Cannot connect to the Docker daemon",
                    .err_code = StatusCode::kBuildDockerDaemonNotRunning}),
  });
  EXPECT_THAT(out, HasSubstr("Build [web] failed in 300ms: Cannot connect to the Docker daemon\n"
                             "  → Check if docker is running\n"));
}

TEST(ConsoleTest, TheEventsOwnSuggestionsWinOverTheTable) {
  std::string out = RenderAll({
      At(absl::ZeroDuration(),
         DeployEvent{.status = S(domain::kStatusFailed),
                     .actionable_err = ActionableErr{
                         .code = StatusCode::kDeployUnknown,
                         .message = "port 9000 is taken",
                         .suggestions = {{.action = "Free port 9000"}}}}),
  });
  EXPECT_EQ(out, "Deploy failed: port 9000 is taken\n  → Free port 9000\n");
}

TEST(ConsoleTest, NoColourWhenNotATerminal) {
  std::ostringstream out;
  Console console({.out = &out, .is_tty = false});
  console.ApplicationLog("web", "GET / 200\n");
  console.Render(At(absl::ZeroDuration(), BuildEvent{.artifact = "web",
                                                     .status = S(domain::kStatusComplete)}));
  EXPECT_EQ(out.str(), "[web] GET / 200\nBuild [web] succeeded\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("\x1b")));
}

TEST(ConsoleTest, TagsAreColouredOnATerminalWithAStableColourPerSource) {
  std::ostringstream out;
  Console console({.out = &out, .is_tty = true});
  const std::string printed = console.ApplicationLog("web", "hello\r\n");
  EXPECT_EQ(out.str(), absl::StrCat(TagColor("web"), "[web]\x1b[0m hello\n"));
  EXPECT_EQ(printed, absl::StrCat(TagColor("web"), "[web]\x1b[0m hello")) << "what the API sends";
  EXPECT_EQ(TagColor("web"), TagColor("web"));
  // Different services get different colours often enough to tell them apart.
  std::set<std::string> colours;
  for (const char* s : {"web", "api", "db", "leeroy-app", "leeroy-web", "cache"}) {
    colours.insert(std::string(TagColor(s)));
  }
  EXPECT_GE(colours.size(), 3u);
}

TEST(ConsoleTest, ColourCanBeForcedOffOnATerminal) {
  std::ostringstream out;
  Console console({.out = &out, .is_tty = true, .color = false});
  console.ApplicationLog("web", "hello");
  EXPECT_EQ(out.str(), "[web] hello\n");
}

TEST(ConsoleTest, ProgressLineOnlyOnATerminalAndOnlyForLongBuilds) {
  LogEntry started = At(absl::ZeroDuration(), BuildEvent{.artifact = "web",
                                                         .status = S(domain::kStatusInProgress)});
  {
    std::ostringstream out;
    Console console({.out = &out, .is_tty = false});
    console.Render(started);
    console.Tick(kT0 + absl::Seconds(5));
    EXPECT_EQ(out.str(), "Building [web]...\n");
  }
  std::ostringstream out;
  Console console({.out = &out, .is_tty = true});
  console.Render(started);
  console.Tick(kT0 + absl::Milliseconds(500));  // quick so far: no progress line
  EXPECT_EQ(out.str(), "Building [web]...\n");
  console.Tick(kT0 + absl::Milliseconds(3200));
  EXPECT_THAT(out.str(), HasSubstr("Building [web] 3.2s"));
  EXPECT_THAT(out.str(), Not(testing::EndsWith("\n")));  // redrawn in place
  // The next real line first erases the progress line.
  console.Render(At(absl::Seconds(4), BuildEvent{.artifact = "web",
                                                 .status = S(domain::kStatusComplete)}));
  EXPECT_THAT(out.str(), HasSubstr("3.2s\r\x1b[2K"));
  EXPECT_THAT(out.str(), testing::EndsWith("succeeded in 4.0s\x1b[0m\n"));
  // Nothing running: no progress line any more.
  std::string before = out.str();
  console.Tick(kT0 + absl::Seconds(10));
  EXPECT_EQ(out.str(), before);
}

TEST(ConsoleTest, DebugLinesOnlyWithDebugOn) {
  std::ostringstream quiet_out;
  Console quiet({.out = &quiet_out});
  quiet.Debug("docker: POST /build");
  EXPECT_EQ(quiet_out.str(), "");
  std::ostringstream loud_out;
  Console loud({.out = &loud_out, .debug = true});
  loud.Debug("docker: POST /build");
  EXPECT_EQ(loud_out.str(), "DEBU docker: POST /build\n");
}

TEST(ConsoleTest, ErrorWithoutAnEventStillGetsItsSuggestion) {
  std::ostringstream out;
  Console console({.out = &out});
  console.Error(StatusCode::kBuildDockerfileNotFound, "web/Dockerfile: no such file");
  EXPECT_EQ(out.str(),
            "error: web/Dockerfile: no such file\n"
            "  → Check the artifact's context and dockerfile paths in skaffold.yaml\n");
}

// Ctrl-C during a build: the loop still reports the iteration it cut short
// (and one that ended meanwhile); once "Cleaning up..." is out, nothing says
// the run is watching any more.
TEST(ConsoleTest, NoWatchingForChangesAfterCleaningUp) {
  std::ostringstream out;
  Console console({.out = &out});
  console.Render(At(absl::ZeroDuration(),
                    DevLoopEvent{.iteration = 0, .status = S(domain::kStatusSucceeded)}));
  console.Render(At(absl::Seconds(1),
                    DevLoopEvent{.iteration = 1, .status = S(domain::kStatusInProgress)}));
  console.Render(At(absl::Seconds(1),
                    BuildEvent{.artifact = "web", .status = S(domain::kStatusInProgress)}));
  console.Stopping();
  console.Stopping();  // said once
  console.Render(At(absl::Seconds(2),
                    BuildEvent{.artifact = "web", .status = S(domain::kStatusFailed),
                               .err = "build cancelled: shutting down",
                               .err_code = StatusCode::kBuildCancelled}));
  console.Render(At(absl::Seconds(2),
                    DevLoopEvent{.iteration = 1,
                                 .status = S(domain::kStatusFailed),
                                 .err = ActionableErr{StatusCode::kBuildCancelled,
                                                      "build cancelled: shutting down", {}}}));
  console.Render(At(absl::Seconds(3),
                    DevLoopEvent{.iteration = 2, .status = S(domain::kStatusSucceeded)}));
  const std::string text = out.str();
  const size_t cleaning = text.find("Cleaning up...\n");
  ASSERT_NE(cleaning, std::string::npos) << text;
  EXPECT_EQ(text.find("Cleaning up...", cleaning + 1), std::string::npos) << text;
  EXPECT_THAT(text.substr(0, cleaning), HasSubstr("Watching for changes..."));
  EXPECT_THAT(text.substr(cleaning), Not(HasSubstr("Watching for changes..."))) << text;
  EXPECT_THAT(text.substr(cleaning), HasSubstr("Build [web] failed")) << "failures still show";
}

// The dev loop's executor renders while the signal path stops: whichever
// comes first, the order on the stream holds.
TEST(ConsoleTest, StoppingRacingAnIterationEndNeverPrintsWatchingAfterCleaningUp) {
  for (int round = 0; round < 200; ++round) {
    std::ostringstream out;
    Console console({.out = &out});
    std::thread loop([&] {
      for (int i = 0; i < 20; ++i) {
        console.Render(At(absl::Seconds(i),
                          DevLoopEvent{.iteration = i, .status = S(domain::kStatusSucceeded)}));
      }
    });
    console.Stopping();
    loop.join();
    const std::string text = out.str();
    const size_t cleaning = text.find("Cleaning up...");
    ASSERT_NE(cleaning, std::string::npos);
    ASSERT_EQ(text.find("Watching for changes...", cleaning), std::string::npos)
        << "round " << round << ":\n" << text;
  }
}

// A stream whose writes fail while `broken` is set: stdout a pipe nobody reads.
class BreakableBuf : public std::stringbuf {
 public:
  bool broken = false;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    return broken ? 0 : std::stringbuf::xsputn(s, n);
  }
  int_type overflow(int_type c) override {
    return broken ? traits_type::eof() : std::stringbuf::overflow(c);
  }
};

TEST(ConsoleTest, AFailedWriteIsDroppedAndTheConsoleGoesOn) {
  BreakableBuf buf;
  std::ostream out(&buf);
  Console console({.out = &out});
  console.Info("before");
  buf.broken = true;
  console.Info("lost");
  console.Stopping();
  console.Render(At(absl::ZeroDuration(),
                    DevLoopEvent{.iteration = 0, .status = S(domain::kStatusSucceeded)}));
  buf.broken = false;
  console.Info("after");
  EXPECT_TRUE(out.good());
  EXPECT_EQ(buf.str(), "before\nafter\n");
}

TEST(ApiLineTest, NamesBothServersInOnePlainLine) {
  EXPECT_EQ(ApiLine({.grpc = "127.0.0.1:50051", .http = "127.0.0.1:50052"}),
            "API: gRPC 127.0.0.1:50051, HTTP http://127.0.0.1:50052 (dashboard)");
  EXPECT_EQ(ApiLine({.grpc = "[::1]:50053", .http = "[::1]:50052", .taken = {50051}}),
            "API: gRPC [::1]:50053, HTTP http://[::1]:50052 (dashboard); 50051 was in use "
            "(another devloop?)");
  EXPECT_EQ(ApiLine({.grpc = "127.0.0.1:50053",
                     .http = "127.0.0.1:50054",
                     .taken = {50051, 50052}}),
            "API: gRPC 127.0.0.1:50053, HTTP http://127.0.0.1:50054 (dashboard); 50051 and 50052 "
            "were in use (another devloop?)");
}

TEST(FormatPhaseDurationTest, ReadsLikeAHumanWouldSayIt) {
  EXPECT_EQ(FormatPhaseDuration(absl::Milliseconds(0)), "0ms");
  EXPECT_EQ(FormatPhaseDuration(absl::Milliseconds(999)), "999ms");
  EXPECT_EQ(FormatPhaseDuration(absl::Milliseconds(1000)), "1.0s");
  EXPECT_EQ(FormatPhaseDuration(absl::Milliseconds(1999)), "1.9s");
  EXPECT_EQ(FormatPhaseDuration(absl::Seconds(59)), "59.0s");
  EXPECT_EQ(FormatPhaseDuration(absl::Seconds(125)), "2m5s");
  EXPECT_EQ(FormatPhaseDuration(-absl::Seconds(1)), "0ms");
}

TEST(SuggestionsTest, EveryErrorCodeHasASuggestionOrIsDeliberatelySilent) {
  int count = 0;
  const StatusCode* codes = domain::AllStatusCodes(&count);
  const std::set<StatusCode> silent = {
      StatusCode::kOk,           StatusCode::kStatusCheckSuccess, StatusCode::kBuildSuccess,
      StatusCode::kDeploySuccess, StatusCode::kTestSuccess,      StatusCode::kBuildCancelled,
      StatusCode::kBuildDockerCancelled, StatusCode::kStatusCheckUserCancelled,
      StatusCode::kDeployCancelled};
  for (int i = 0; i < count; ++i) {
    if (silent.count(codes[i])) {
      EXPECT_EQ(SuggestionFor(codes[i]), "") << codes[i];
    } else {
      EXPECT_NE(SuggestionFor(codes[i]), "") << codes[i];
    }
  }
  EXPECT_EQ(SuggestionFor(StatusCode::kBuildDockerDaemonNotRunning), "Check if docker is running");
}

}  // namespace
}  // namespace devloop::console
