#include "infra/apimap/record_line.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/apimap/apimap.h"

namespace devloop::apimap {
namespace {

namespace d = ::devloop::domain;
using ::testing::HasSubstr;

const absl::Time kAt = absl::FromUnixSeconds(1'700'000'000) + absl::Nanoseconds(123456789);

d::Metadata SomeMetadata() {
  d::Metadata m;
  m.build = d::BuildMetadata{1, {{d::BuilderType::kDocker, 1}}, d::BuildType::kLocal, {}};
  m.deploy = d::DeployMetadata{{{d::DeployerType::kUnknown, 1}}, d::ClusterType::kOther};
  m.additional = {{"k", "v"}};
  return m;
}

std::string Line(const d::Record& record) {
  std::string out;
  AppendEventLogLine(record, &out);
  return out;
}

TEST(RecordLineTest, EveryKindOfRecordRoundTrips) {
  const d::ActionableErr err{d::StatusCode::kBuildUserError, "exit 1",
                             {{d::SuggestionCode::kFixUserBuildErr, "fix it"}}};
  const std::vector<d::Record> records = {
      d::PipelineStarted{{"web", "api"}, true, false, true, SomeMetadata()},
      d::PipelineStarted{},
      d::LogEntry{kAt, d::MetaEvent{"Starting devloop", SomeMetadata()}, "Starting devloop"},
      d::LogEntry{kAt, d::BuildEvent{"web", "Failed", "exit 1", err.code, err},
                  "Build failed for artifact web"},
      d::LogEntry{kAt, d::PortEvent{9000, 8080, "pod", "c", "", "", "container", "c", "127.0.0.1",
                                    d::IntOrString{0, 8080, ""}},
                  "Forwarding container c to local port 9000"},
      d::LogEntry{kAt, d::FileSyncEvent{1, "web:abc", "Succeeded"}, ""},
      d::LogEntry{kAt, d::DevLoopEvent{2, "Failed", err}, "Update failed"},
      d::TriggerChanged{d::Phase::kBuild, false},
      d::TriggerChanged{d::Phase::kSync, true},
      d::TriggerChanged{d::Phase::kDeploy, false},
      d::PhasesReset{true, false, true},
  };
  for (const d::Record& record : records) {
    const std::string line = Line(record);
    SCOPED_TRACE(line);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one record, one line";
    absl::StatusOr<d::Record> back = FromEventLogLine(line);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, record);
  }
}

TEST(RecordLineTest, ALogEntryIsTheLineEventsStreams) {
  const d::LogEntry entry{absl::FromUnixSeconds(1'700'000'000), d::DevLoopEvent{7, "In Progress"},
                          "entry 7"};
  EXPECT_EQ(Line(entry),
            R"({"result":{"timestamp":"2023-11-14T22:13:20Z","event":{"devLoopEvent":)"
            R"({"iteration":7,"status":"In Progress","err":null}},"entry":"entry 7"}})"
            "\n");
  std::string events_line;
  AppendEventsLine(ToProto(entry), &events_line);
  EXPECT_EQ(Line(entry), events_line);
}

TEST(RecordLineTest, ControlRecordsHaveTheDocumentedShape) {
  EXPECT_EQ(Line(d::TriggerChanged{d::Phase::kSync, false}),
            R"({"devloopRecord":{"triggerChanged":{"phase":"SYNC","enabled":false}}})"
            "\n");
  EXPECT_EQ(Line(d::PhasesReset{true, false, true}),
            R"({"devloopRecord":{"phasesReset":{"build":true,"sync":false,"deploy":true}}})"
            "\n");
  EXPECT_THAT(Line(d::PipelineStarted{{"web"}, true, true, false, {}}),
              HasSubstr(R"({"devloopRecord":{"pipelineStarted":{"artifacts":["web"],)"
                        R"("autoBuild":true,"autoSync":true,"autoDeploy":false,"metadata":{)"));
}

TEST(RecordLineTest, ReadsWhatClientsWrite) {
  // Defaults left out, as Skaffold of 2019 and hand-written lines do; a CRLF end.
  absl::StatusOr<d::Record> r = FromEventLogLine(
      R"({"result":{"event":{"buildEvent":{"artifact":"web","status":"Complete"}}}})"
      "\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, d::Record(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, ""}));
  r = FromEventLogLine(R"({"devloopRecord":{"triggerChanged":{"phase":"DEPLOY"}}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, d::Record(d::TriggerChanged{d::Phase::kDeploy, false}));
}

TEST(RecordLineTest, MalformedLinesSayWhatIsWrong) {
  struct Case {
    std::string line;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"not json", "invalid JSON for EventLogLine"},
      {R"({"result":)", "invalid JSON for EventLogLine"},
      {"[1,2]", "expected an object"},
      {"", "neither \"result\""},
      {"{}", "neither \"result\""},
      {R"({"error":{"code":14,"message":"unavailable"}})", "neither \"result\""},
      {R"({"result":"Complete"})", "field EventLogLine.result: expected an object"},
      {R"({"result":{"timestamp":"yesterday"}})", "invalid JSON for EventLogLine"},
      {R"({"result":{"event":{"buildEvent":{"errCode":4242}}}})",
       "buildEvent.errCode: unknown status code 4242"},
      {R"({"devloopRecord":{}})", "devloopRecord has no record"},
      {R"({"devloopRecord":{"triggerChanged":{"phase":"TEST","enabled":true}}})",
       "triggerChanged.phase: missing or unknown"},
      {R"({"devloopRecord":{"triggerChanged":{"enabled":"yes"}}})", "expected a boolean"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    absl::StatusOr<d::Record> r = FromEventLogLine(c.line);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.want));
  }
}

}  // namespace
}  // namespace devloop::apimap
