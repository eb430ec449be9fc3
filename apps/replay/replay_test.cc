#include "apps/replay/replay.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "infra/apimap/apimap.h"
#include "infra/apimap/record_line.h"

namespace devloop::replay {
namespace {

namespace d = ::devloop::domain;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

d::LogEntry At(int ms, d::Event event, std::string entry = "") {
  return d::LogEntry{kStart + absl::Milliseconds(ms), std::move(event), std::move(entry)};
}

d::DevLoopEvent Loop(int iteration, absl::string_view status) {
  return d::DevLoopEvent{iteration, std::string(status), std::nullopt};
}

// A session as devloop logs it: start, iteration 0 (build, deploy, status
// check, a port), a synced edit, auto build off, an Execute of the build.
std::vector<d::Record> Session() {
  return {
      d::PipelineStarted{{"web"}, true, true, true, {}},
      At(0, d::MetaEvent{"Starting devloop", d::Metadata{}}, "Starting devloop"),
      At(1, Loop(0, "In Progress"), "Update initiated"),
      At(2, d::BuildEvent{"web", "In Progress"}, "Build started for artifact web"),
      At(2002, d::BuildEvent{"web", "Complete"}, "Build completed for artifact web"),
      At(2003, d::DeployEvent{"In Progress"}, "Deploy started"),
      At(2503, d::DeployEvent{"Complete"}, "Deploy completed"),
      At(2504, d::StatusCheckEvent{"In Progress"}, ""),
      At(2600, d::ResourceStatusCheckEvent{"container/web", "Pending"}, ""),
      At(3000, d::ResourceStatusCheckEvent{"container/web", "Succeeded"}, ""),
      At(3004, d::StatusCheckEvent{"Succeeded"}, ""),
      At(3005, d::PortEvent{9000, 8080, "", "web"}, "Forwarding container web to local port 9000"),
      At(3006, Loop(0, "Succeeded"), "Update succeeded"),
      At(5000, Loop(1, "In Progress"), "Update initiated"),
      At(5001, d::FileSyncEvent{1, "web:abc", "In Progress"}, ""),
      At(5121, d::FileSyncEvent{1, "web:abc", "Succeeded"}, ""),
      At(5122, Loop(1, "Succeeded"), "Update succeeded"),
      d::TriggerChanged{d::Phase::kBuild, false},
      d::PhasesReset{true, false, false},
      At(9000, Loop(2, "In Progress"), "Update initiated"),
      At(9001, d::BuildEvent{"web", "In Progress"}, ""),
      At(9500, d::BuildEvent{"web", "Failed", "exit 1", d::StatusCode::kBuildUserError,
                             d::ActionableErr{d::StatusCode::kBuildUserError, "exit 1", {}}},
         ""),
      At(9501, d::DevLoopEvent{2, "Failed",
                               d::ActionableErr{d::StatusCode::kBuildUserError, "exit 1", {}}},
         "Update failed"),
  };
}

// The file `devloop dev --event-log-file` writes for `records`.
std::string FileOf(const std::vector<d::Record>& records) {
  std::string text;
  for (const d::Record& r : records) apimap::AppendEventLogLine(r, &text);
  return text;
}

// What GET /v1/events streams for `records`: their LogEntries alone.
std::string EventsNdjsonOf(const std::vector<d::Record>& records) {
  std::string text;
  for (const d::Record& r : records) {
    if (const auto* e = std::get_if<d::LogEntry>(&r)) {
      apimap::AppendEventsLine(apimap::ToProto(*e), &text);
    }
  }
  return text;
}

TEST(ParseEventLogTest, ReadsBackEveryRecordOfTheFile) {
  const std::vector<d::Record> session = Session();
  absl::StatusOr<ParsedLog> log = ParseEventLog("events.jsonl", FileOf(session));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->records, session);
  EXPECT_EQ(log->control_records, 3);
}

TEST(ParseEventLogTest, SkipsBlankLinesAndAcceptsCrlfAndNoFinalNewline) {
  const std::string line =
      R"({"result":{"event":{"deployEvent":{"status":"Complete"}}}})";
  absl::StatusOr<ParsedLog> log =
      ParseEventLog("x", absl::StrCat("\n", line, "\r\n  \n", line));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->records.size(), 2u);
  EXPECT_EQ(log->control_records, 0);
}

TEST(ParseEventLogTest, BadInputIsAnErrorNamingFileAndLine) {
  const std::string good = R"({"result":{"event":{"deployEvent":{"status":"Complete"}}}})";
  struct Case {
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"", "events.jsonl: no records"},
      {"\n \n", "events.jsonl: no records"},
      {"garbage\n", "events.jsonl:1: invalid JSON for EventLogLine"},
      {absl::StrCat(good, "\n", good, "\n{\"result\":{\"timestamp\":3}}\n"),
       "events.jsonl:3: invalid JSON for EventLogLine"},
      {absl::StrCat(good, "\n\n{}\n"), "events.jsonl:3: neither \"result\""},
      {absl::StrCat(good, "\n{\"result\":{\"event\":{\"buildEvent\":{\"errCode\":9999}}}}\n"),
       "events.jsonl:2: buildEvent.errCode: unknown status code 9999"},
      {absl::StrCat(good, "\n{\"devloopRecord\":{\"phasesReset\":{\"build\":1}}}\n"),
       "events.jsonl:2: invalid JSON for EventLogLine: field "
       "EventLogLine.devloopRecord.phasesReset.build: expected a boolean"},
      {absl::StrCat(good, "\n", good.substr(0, 30)),
       "events.jsonl:2: invalid JSON for EventLogLine"},
      {absl::StrCat(good, "\n", good.substr(0, 30)), "the last line is incomplete"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ParsedLog> log = ParseEventLog("events.jsonl", c.text);
    ASSERT_FALSE(log.ok());
    EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(log.status().message(), HasSubstr(c.want));
  }
}

TEST(StateTest, TheFileFoldsIntoTheStateOfTheLiveLog) {
  const std::vector<d::Record> session = Session();
  absl::StatusOr<ParsedLog> log = ParseEventLog("events.jsonl", FileOf(session));
  ASSERT_TRUE(log.ok()) << log.status();
  const d::State replayed = d::Replay(log->records);
  EXPECT_EQ(replayed, d::Replay(session));
  EXPECT_FALSE(replayed.build_state.auto_trigger) << "the toggle is in the file";
  EXPECT_EQ(StateJson(replayed), api::ToJson(apimap::ToProto(d::Replay(session))));
  proto::State parsed;
  ASSERT_TRUE(api::FromJson(StateJson(replayed), &parsed).ok());
  EXPECT_EQ(parsed.buildstate().artifacts().at("web"), "Failed");
  EXPECT_EQ(parsed.filesyncstate().status(), "Succeeded");
  EXPECT_EQ(parsed.forwardedports().at(9000).containername(), "web");
}

TEST(StateTest, TheEventsNdjsonGivesTheSameBuildDeployAndSyncParts) {
  const std::vector<d::Record> session = Session();
  absl::StatusOr<ParsedLog> log = ParseEventLog("events.ndjson", EventsNdjsonOf(session));
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->control_records, 0);
  const d::State from_events = d::Replay(log->records);
  const d::State live = d::Replay(session);
  EXPECT_EQ(from_events.build_state.artifacts, live.build_state.artifacts);
  EXPECT_EQ(from_events.build_state.status_code, live.build_state.status_code);
  EXPECT_EQ(from_events.deploy_state.status, live.deploy_state.status);
  EXPECT_EQ(from_events.file_sync_state.status, live.file_sync_state.status);
  EXPECT_EQ(from_events.status_check_state, live.status_check_state);
  EXPECT_EQ(from_events.forwarded_ports, live.forwarded_ports);
  // What only the file knows: the auto triggers (the stream never says sync's is on).
  EXPECT_TRUE(live.file_sync_state.auto_trigger);
  EXPECT_FALSE(from_events.file_sync_state.auto_trigger);
}

TEST(SummarizeTest, OneRowPerIterationWithTriggerOutcomeAndPhaseDurations) {
  const std::vector<IterationSummary> got = Summarize(Session());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (IterationSummary{
                        .iteration = 0,
                        .trigger = "start",
                        .outcome = "Succeeded",
                        .duration = absl::Milliseconds(3005),
                        .build = {"Complete", absl::Seconds(2)},
                        .deploy = {"Complete", absl::Milliseconds(500)},
                        .status_check = {"Succeeded", absl::Milliseconds(500)},
                    }));
  EXPECT_EQ(got[1], (IterationSummary{.iteration = 1,
                                      .trigger = "file change",
                                      .outcome = "Succeeded",
                                      .duration = absl::Milliseconds(122),
                                      .sync = {"Succeeded", absl::Milliseconds(120)}}));
  EXPECT_EQ(got[2], (IterationSummary{.iteration = 2,
                                      .trigger = "execute (build)",
                                      .outcome = "Failed",
                                      .duration = absl::Milliseconds(501),
                                      .build = {"Failed", absl::Milliseconds(499)},
                                      .error = "exit 1"}));
}

// Each case: the records after PipelineStarted and iteration 0, and the
// triggers of the iterations that follow.
struct TriggerCase {
  std::string name;
  std::vector<d::Record> records;
  std::vector<std::string> triggers;
};

void PrintTo(const TriggerCase& c, std::ostream* os) { *os << c.name; }

class TriggerTest : public ::testing::TestWithParam<TriggerCase> {};

TEST_P(TriggerTest, TellsWhatStartedEachIteration) {
  std::vector<d::Record> records = {d::PipelineStarted{{"web"}, true, true, true, {}},
                                    At(0, Loop(0, "In Progress")), At(1, Loop(0, "Succeeded"))};
  records.insert(records.end(), GetParam().records.begin(), GetParam().records.end());
  std::vector<std::string> triggers;
  for (const IterationSummary& it : Summarize(records)) triggers.push_back(it.trigger);
  triggers.erase(triggers.begin());  // iteration 0: "start"
  EXPECT_EQ(triggers, GetParam().triggers);
}

INSTANTIATE_TEST_SUITE_P(
    Triggers, TriggerTest,
    ::testing::Values(
        TriggerCase{"FileChange", {At(5, Loop(1, "In Progress"))}, {"file change"}},
        TriggerCase{"Execute",
                    {d::PhasesReset{false, true, true}, At(5, Loop(1, "In Progress"))},
                    {"execute (sync, deploy)"}},
        TriggerCase{"AutoOn",
                    {d::TriggerChanged{d::Phase::kDeploy, true}, At(5, Loop(1, "In Progress"))},
                    {"auto deploy on"}},
        TriggerCase{"AutoOffStartsNothing",
                    {d::TriggerChanged{d::Phase::kSync, false}, At(5, Loop(1, "In Progress"))},
                    {"file change"}},
        TriggerCase{"OnlyTheNextIteration",
                    {d::PhasesReset{true, false, false}, At(5, Loop(1, "In Progress")),
                     At(6, Loop(1, "Succeeded")), At(7, Loop(2, "In Progress"))},
                    {"execute (build)", "file change"}},
        TriggerCase{"ConfigReload",
                    {d::PipelineStarted{{"web"}, true, true, true, {}},
                     At(5, Loop(0, "In Progress"))},
                    {"config reload"}}),
    [](const ::testing::TestParamInfo<TriggerCase>& info) { return info.param.name; });

TEST(SummarizeTest, WithoutControlRecordsAnIterationsTriggerIsUnknown) {
  std::vector<d::Record> entries;
  for (const d::Record& r : Session()) {
    if (std::holds_alternative<d::LogEntry>(r)) entries.push_back(r);
  }
  std::vector<std::string> triggers;
  for (const IterationSummary& it : Summarize(entries)) triggers.push_back(it.trigger);
  EXPECT_THAT(triggers, ElementsAre("start", "", ""));
}

TEST(SummarizeTest, AnIterationTheLogCutsShortIsInProgress) {
  const std::vector<IterationSummary> got = Summarize({
      At(0, Loop(0, "In Progress")),
      At(10, d::BuildEvent{"web", "In Progress"}),
      At(20, d::BuildEvent{"api", "In Progress"}),
      At(1020, d::BuildEvent{"api", "Complete"}),
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].outcome, "In Progress");
  EXPECT_EQ(got[0].duration, absl::Milliseconds(1020));
  EXPECT_EQ(got[0].build.outcome, "In Progress") << "web still builds";
  EXPECT_EQ(got[0].deploy.outcome, "");
}

TEST(SummarizeTest, EventsOutsideAnIterationAreLeftOut) {
  EXPECT_TRUE(Summarize({At(0, d::BuildEvent{"web", "Complete"}),
                         At(1, Loop(4, "Succeeded"))})
                  .empty());
}

TEST(FormatSummaryTest, IsATableWithAHeader) {
  EXPECT_EQ(FormatSummary(Summarize(Session())),
            "ITERATION  TRIGGER          RESULT     DURATION  BUILD         SYNC             "
            "DEPLOY          STATUS CHECK     ERROR\n"
            "0          start            Succeeded  3.005s    Complete 2s   -                "
            "Complete 500ms  Succeeded 500ms\n"
            "1          file change      Succeeded  122ms     -             Succeeded 120ms  "
            "-               -\n"
            "2          execute (build)  Failed     501ms     Failed 499ms  -                "
            "-               -                exit 1\n");
}

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/replay-", ::getpid(), ".jsonl");
  }
  void TearDown() override { ::unlink(path_.c_str()); }

  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
  }

  std::string path_;
};

TEST_F(RunTest, JsonPrintsTheStateOnStdoutAndTheTableOnStderr) {
  Write(FileOf(Session()));
  std::ostringstream out, err;
  EXPECT_EQ(replay::Run({.file = path_}, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), StateJson(d::Replay(Session())) + "\n");
  EXPECT_EQ(err.str(), FormatSummary(Summarize(Session())));
}

TEST_F(RunTest, TablePrintsTheTableAlone) {
  Write(FileOf(Session()));
  std::ostringstream out, err;
  EXPECT_EQ(replay::Run({.file = path_, .output = Options::Output::kTable}, out, err), 0)
      << err.str();
  EXPECT_EQ(out.str(), FormatSummary(Summarize(Session())));
  EXPECT_EQ(err.str(), "");
}

TEST_F(RunTest, ErrorsNameTheFileAndExitOne) {
  std::ostringstream out, err;
  EXPECT_EQ(replay::Run({.file = path_ + ".missing"}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr(absl::StrCat("cannot read ", path_, ".missing")));
  Write(absl::StrCat(FileOf(Session()), "oops\n"));
  err.str("");
  EXPECT_EQ(replay::Run({.file = path_}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr(absl::StrCat(path_, ":", Session().size() + 1, ":")));
  EXPECT_EQ(out.str(), "") << "nothing half-done on stdout";
}

}  // namespace
}  // namespace devloop::replay
