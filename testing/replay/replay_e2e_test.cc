// End to end: `devloop dev --event-log-file=FILE` on testing/examples/sync
// records a session -- the first build and deploy, a synced edit, auto
// triggers toggled through both APIs -- and `devloop replay FILE` then prints
// the very State GET /v1/state served before the session stopped. The NDJSON
// a client read from GET /v1/events replays to the same build, deploy and sync
// parts (it lacks the trigger toggles). Everything the test made goes: the
// session's containers, networks and images (DevSession), and its files.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"
#include "testing/e2e/subprocess.h"
#include "testing/transport/http_client.h"

namespace devloop::e2e {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

constexpr absl::Duration kIteration = absl::Seconds(90);

class ReplayE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::string> dir = MakeTempDir("replay-e2e");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    absl::StatusOr<std::unique_ptr<DevSession>> s = DevSession::Prepare("sync", {"devloop-sync"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
  }

  void TearDown() override {
    session_.reset();  // stops devloop if it still runs, removes what it made
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Runs `devloop replay FILE -o OUTPUT`; returns its stdout, failing the test
  // (with the stderr) unless it exits 0.
  std::string Replay(const std::string& file, const std::string& output) {
    const std::string stdout_file = absl::StrCat(dir_, "/replay-", output, ".out");
    absl::StatusOr<CommandResult> run =
        RunCommand({"/bin/sh", "-c", "exec \"$0\" replay \"$1\" -o \"$2\" >\"$3\"",
                    Runfile("apps/devloop"), file, output, stdout_file});
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return "";
    EXPECT_EQ(run->exit_code, 0) << run->output;
    absl::StatusOr<std::string> out = ReadFile(stdout_file);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  std::string dir_;
  std::unique_ptr<DevSession> session_;
};

TEST_F(ReplayE2eTest, TheReplayedFileIsTheStateTheApiServed) {
  const std::string log_file = dir_ + "/events.jsonl";
  ASSERT_TRUE(session_->Start({absl::StrCat("--event-log-file=", log_file)}).ok());
  EventsClient& events = session_->events();
  const int http_port = session_->devloop().http_port();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();

  // A synced edit: iteration 1.
  ASSERT_TRUE(WriteFile(session_->dir() + "/www/index.html", "replayed edit\n").ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  absl::StatusOr<std::string> synced = CheckSyncIteration(
      events.Entries(),
      {.iteration = 1, .file_count = 1, .image_prefix = session_->Image("devloop-sync") + ":"});
  ASSERT_TRUE(synced.ok()) << synced.status();

  // Auto triggers through both APIs: records the stream never shows.
  absl::StatusOr<HttpResponse> put =
      Http(http_port, "PUT", "/v1/build/auto_execute", R"({"enabled": false})");
  ASSERT_TRUE(put.ok()) << put.status();
  ASSERT_EQ(put->status, 200) << put->body;
  ASSERT_TRUE(events.AutoSync(false).ok());
  put = Http(http_port, "PUT", "/v1/sync/auto_execute", R"({"enabled": true})");
  ASSERT_TRUE(put.ok()) << put.status();
  ASSERT_EQ(put->status, 200) << put->body;
  ASSERT_TRUE(events.AutoDeploy(false).ok());

  absl::StatusOr<HttpResponse> served = Http(http_port, "GET", "/v1/state");
  ASSERT_TRUE(served.ok()) << served.status();
  ASSERT_EQ(served->status, 200) << served->body;
  proto::State served_state;
  ASSERT_TRUE(api::FromJson(served->body, &served_state).ok()) << served->body;
  ASSERT_FALSE(served_state.buildstate().autotrigger());
  ASSERT_FALSE(served_state.deploystate().autotrigger());

  // A client that follows /v1/events until devloop stops.
  absl::StatusOr<std::unique_ptr<testing::RawHttpClient>> stream =
      testing::RawHttpClient::Connect(http_port);
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_TRUE((*stream)
                  ->Send(absl::StrCat("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:", http_port,
                                      "\r\n\r\n"))
                  .ok());
  absl::StatusOr<testing::RawHttpClient::Response> head = (*stream)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->status, 200);

  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(10));
  EXPECT_TRUE(clean.ok()) << clean;

  std::vector<std::string> ndjson;
  while (true) {
    absl::StatusOr<std::string> line = (*stream)->ReadLine();
    if (!line.ok()) {
      ASSERT_EQ(line.status().code(), absl::StatusCode::kNotFound) << line.status();
      break;
    }
    ndjson.push_back(*line);
  }
  ASSERT_GE(ndjson.size(), 10u) << absl::StrJoin(ndjson, "");

  // The file holds the whole session, and folds into what /v1/state served.
  const std::string state_json = Replay(log_file, "json");
  proto::State replayed;
  ASSERT_TRUE(api::FromJson(state_json, &replayed).ok()) << state_json;
  std::string differences;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differ.Compare(served_state, replayed))
      << differences << "\nserved:   " << served->body << "\nreplayed: " << state_json;

  const std::string table = Replay(log_file, "table");
  EXPECT_THAT(table, HasSubstr("ITERATION"));
  EXPECT_THAT(table, ::testing::ContainsRegex("\n0 +start +Succeeded .*Complete"));
  EXPECT_THAT(table, ::testing::ContainsRegex("\n1 +file change +Succeeded .* Succeeded "));

  // The NDJSON of /v1/events: the same build, deploy and sync parts.
  const std::string ndjson_file = dir_ + "/events.ndjson";
  ASSERT_TRUE(WriteFile(ndjson_file, absl::StrJoin(ndjson, "")).ok());
  const std::string from_events_json = Replay(ndjson_file, "json");
  proto::State from_events;
  ASSERT_TRUE(api::FromJson(from_events_json, &from_events).ok()) << from_events_json;
  EXPECT_EQ(from_events.buildstate().artifacts().size(), replayed.buildstate().artifacts().size());
  for (const auto& [artifact, status] : replayed.buildstate().artifacts()) {
    ASSERT_TRUE(from_events.buildstate().artifacts().contains(artifact)) << artifact;
    EXPECT_EQ(from_events.buildstate().artifacts().at(artifact), status) << artifact;
  }
  EXPECT_EQ(from_events.buildstate().statuscode(), replayed.buildstate().statuscode());
  EXPECT_EQ(from_events.deploystate().status(), replayed.deploystate().status());
  EXPECT_EQ(from_events.deploystate().statuscode(), replayed.deploystate().statuscode());
  EXPECT_EQ(from_events.filesyncstate().status(), replayed.filesyncstate().status());
  EXPECT_TRUE(MessageDifferencer::Equals(from_events.statuscheckstate(),
                                         replayed.statuscheckstate()))
      << from_events_json << "\n" << state_json;
  // Only the file has the trigger records (auto sync was turned off and on).
  EXPECT_TRUE(replayed.filesyncstate().autotrigger());
  EXPECT_FALSE(from_events.filesyncstate().autotrigger());
}

}  // namespace
}  // namespace devloop::e2e
