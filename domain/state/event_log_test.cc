#include "domain/state/event_log.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "domain/state/record_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

LogEntry Entry(Event e, std::string text = "") {
  return LogEntry{absl::FromUnixSeconds(1700000000), std::move(e), std::move(text)};
}

TEST(EventLogTest, AppendFoldsAndIndexes) {
  EventLog log;
  EXPECT_EQ(log.Append(PipelineStarted{.artifacts = {"web"}}), 0);
  EXPECT_EQ(log.Append(Entry(BuildEvent{.artifact = "web", .status = "In Progress"},
                             "Build started for artifact web")),
            1);
  EXPECT_EQ(log.Append(TriggerChanged{Phase::kBuild, false}), 2);
  EXPECT_EQ(log.size(), 3);
  EXPECT_EQ(log.state().build_state.artifacts.at("web"), "In Progress");
  EXPECT_FALSE(log.state().build_state.auto_trigger);

  absl::StatusOr<Record> first = log.At(0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, Record(PipelineStarted{.artifacts = {"web"}}));
  absl::StatusOr<std::optional<LogEntry>> entry = log.EntryAt(1);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->entry, "Build started for artifact web");
  absl::StatusOr<std::optional<LogEntry>> control = log.EntryAt(2);
  ASSERT_TRUE(control.ok());
  EXPECT_FALSE(control->has_value());
}

TEST(EventLogTest, BadIndexIsOutOfRange) {
  EventLog log;
  EXPECT_EQ(log.At(0).status().code(), absl::StatusCode::kOutOfRange);
  log.Append(PhasesReset{});
  EXPECT_EQ(log.At(-1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log.At(1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log.EntryAt(5).status().code(), absl::StatusCode::kOutOfRange);
}

// Random records of every kind, with the values that matter to the reducer.
Record RandomRecord(std::mt19937& rng) {
  auto pick = [&](std::vector<std::string> v) { return v[rng() % v.size()]; };
  const std::vector<std::string> artifacts = {"app", "web", "db"};
  const std::vector<std::string> statuses = {"Not Started", "In Progress", "Complete",
                                             "Failed",      "Succeeded",   "Pending"};
  const std::vector<StatusCode> codes = {StatusCode::kOk, StatusCode::kBuildUserError,
                                         StatusCode::kStatusCheckDeadlineExceeded};
  const absl::Time t = absl::FromUnixSeconds(1700000000 + rng() % 1000);
  switch (rng() % 14) {
    case 0:
      return PipelineStarted{{pick(artifacts)}, rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0};
    case 1:
      return TriggerChanged{static_cast<Phase>(rng() % 3), rng() % 2 == 0};
    case 2:
      return PhasesReset{rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0};
    case 3:
      return LogEntry{t, BuildEvent{pick(artifacts), pick(statuses), "", codes[rng() % 3]}, "b"};
    case 4:
      return LogEntry{t, DeployEvent{pick(statuses), "", codes[rng() % 3]}, "d"};
    case 5:
      return LogEntry{t, PortEvent{static_cast<int32_t>(9000 + rng() % 3), 80}, "p"};
    case 6:
      return LogEntry{t, StatusCheckEvent{pick(statuses), "", "", codes[rng() % 3]}, "s"};
    case 7:
      return LogEntry{t, ResourceStatusCheckEvent{pick(artifacts), pick(statuses)}, "r"};
    case 8:
      return LogEntry{t, FileSyncEvent{1, pick(artifacts), pick(statuses)}, "f"};
    case 9:
      return LogEntry{t, DebuggingContainerEvent{rng() % 2 ? "Started" : "Terminated", "p",
                                                 pick(artifacts)},
                      "g"};
    case 10:
      return LogEntry{t, DevLoopEvent{static_cast<int32_t>(rng() % 5), pick(statuses)}, "u"};
    case 11:
      return LogEntry{t, MetaEvent{"m", Metadata{.additional = {{"k", pick(artifacts)}}}}, "m"};
    case 12:
      return LogEntry{t, TestEvent{pick(statuses)}, "t"};
    default:
      return LogEntry{t, TerminationEvent{"Completed"}, "x"};
  }
}

TEST(EventLogTest, ReplayingTheStoredLogReproducesStateProperty) {
  for (int seed = 0; seed < 50; ++seed) {
    std::mt19937 rng(seed);
    EventLog log;
    std::vector<Record> appended;
    for (int i = 0; i < 200; ++i) {
      Record r = RandomRecord(rng);
      log.Append(r);
      appended.push_back(r);
      // The log's State equals a replay of what was read back from it, at every step.
      if (i % 37 == 0 || i == 199) {
        std::vector<Record> stored;
        for (int64_t c = 0; c < log.size(); ++c) stored.push_back(*log.At(c));
        ASSERT_EQ(stored, appended) << "seed " << seed;
        ASSERT_EQ(Replay(stored), log.state()) << "seed " << seed << " step " << i;
      }
    }
  }
}

// Saves every record of `log` as its record_codec encoding behind a 4-byte
// little-endian length: what a tool (or a test) keeps of a dev loop's log.
std::string Save(const EventLog& log) {
  std::string out;
  std::string encoded;
  for (int64_t i = 0; i < log.size(); ++i) {
    absl::StatusOr<Record> record = log.At(i);
    EXPECT_TRUE(record.ok()) << record.status();
    encoded.clear();
    EncodeRecord(*record, &encoded);
    const uint32_t n = static_cast<uint32_t>(encoded.size());
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
    out += encoded;
  }
  return out;
}

// Appends every record Save() wrote to `log`; DataLoss if `bytes` are cut short.
absl::Status Load(absl::string_view bytes, EventLog* log) {
  while (!bytes.empty()) {
    if (bytes.size() < 4) return absl::DataLossError("saved log ends inside a length");
    uint32_t n = 0;
    for (int b = 0; b < 4; ++b)
      n |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[b])) << (8 * b);
    bytes.remove_prefix(4);
    if (bytes.size() < n) return absl::DataLossError("saved log ends inside a record");
    absl::StatusOr<Record> record = DecodeRecord(bytes.substr(0, n));
    if (!record.ok()) return record.status();
    log->Append(*record);
    bytes.remove_prefix(n);
  }
  return absl::OkStatus();
}

// The domain alone replays a saved log into the State the log folded (the State
// the API serves): nothing outside //domain/... is needed.
TEST(EventLogTest, ASavedLogReplaysIntoAnEqualStateProperty) {
  for (int seed = 0; seed < 50; ++seed) {
    std::mt19937 rng(seed);
    EventLog log;
    for (int i = 0; i < 300; ++i) log.Append(RandomRecord(rng));
    const std::string saved = Save(log);

    EventLog replayed;
    ASSERT_TRUE(Load(saved, &replayed).ok()) << "seed " << seed;
    ASSERT_EQ(replayed.size(), log.size());
    EXPECT_EQ(replayed.state(), log.state()) << "seed " << seed;
    for (int64_t i = 0; i < log.size(); ++i) ASSERT_EQ(*replayed.At(i), *log.At(i));
    EXPECT_EQ(Save(replayed), saved);
  }
}

TEST(EventLogTest, ACutSavedLogIsDataLoss) {
  EventLog log;
  log.Append(PipelineStarted{.artifacts = {"web"}});
  log.Append(Entry(BuildEvent{.artifact = "web", .status = "Complete"}, "Build completed"));
  const std::string saved = Save(log);
  for (size_t cut : {size_t{2}, saved.size() - 1}) {
    EventLog replayed;
    EXPECT_EQ(Load(absl::string_view(saved).substr(0, cut), &replayed).code(),
              absl::StatusCode::kDataLoss)
        << "cut at " << cut;
  }
}

TEST(EventLogTest, ManyRecordsSpanChunksAndStayAddressable) {
  EventLog log;
  const int kCount = 40000;  // > 1 MiB of encodings, so several chunks
  for (int i = 0; i < kCount; ++i) {
    log.Append(Entry(PortEvent{.local_port = i, .remote_port = 80, .pod_name = std::string(30, 'p')},
                     "Forwarding container c to local port"));
  }
  EXPECT_EQ(log.state().forwarded_ports.size(), static_cast<size_t>(kCount));
  for (int i : {0, 1, kCount / 2, kCount - 1}) {
    absl::StatusOr<Record> r = log.At(i);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::get<PortEvent>(std::get<LogEntry>(*r).event).local_port, i);
  }
  EXPECT_GT(log.bytes_retained(), 0);
  EXPECT_LT(log.bytes_retained() / log.size(), 200);
}

}  // namespace
}  // namespace devloop::domain
