#include "infra/hub/event_log_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "domain/state/state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/apimap/record_line.h"
#include "infra/hub/hub.h"

namespace devloop::hub {
namespace {

namespace d = ::devloop::domain;
using ::testing::HasSubstr;

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", ::getpid());
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The records the file holds, one per line; fails the test on a line that
// does not read back.
std::vector<d::Record> ReadRecords(const std::string& path) {
  std::vector<d::Record> out;
  const std::string text = ReadText(path);
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the last line is cut";
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StatusOr<d::Record> record = apimap::FromEventLogLine(line);
    EXPECT_TRUE(record.ok()) << record.status() << ": " << line;
    if (record.ok()) out.push_back(*std::move(record));
  }
  return out;
}

d::LogEntry Entry(int n) {
  return d::LogEntry{absl::FromUnixSeconds(1'700'000'000) + absl::Seconds(n),
                     d::BuildEvent{"web", n % 2 == 0 ? "In Progress" : "Complete"},
                     absl::StrCat("entry ", n)};
}

TEST(EventLogFileTest, WritesEveryRecordInLogOrderIncludingUnstreamedOnes) {
  const std::string path = TempPath("every-record");
  Hub hub;
  std::vector<d::Record> records = {d::PipelineStarted{{"web"}, true, true, true, {}}, Entry(0)};
  for (const d::Record& r : records) hub.Append(r);  // before the file opens
  absl::StatusOr<std::unique_ptr<EventLogFile>> file = EventLogFile::Open(path, &hub);
  ASSERT_TRUE(file.ok()) << file.status();
  const std::vector<d::Record> later = {Entry(1), d::TriggerChanged{d::Phase::kSync, false},
                                        d::PhasesReset{true, false, true}, Entry(2)};
  for (const d::Record& r : later) {
    hub.Append(r);
    records.push_back(r);
  }
  hub.Close();
  hub.Append(Entry(3));  // after Close: not streamed, but in the State and the file
  records.push_back(Entry(3));
  ASSERT_TRUE((*file)->Finish().ok());
  EXPECT_EQ((*file)->records_written(), static_cast<int64_t>(records.size()));
  const std::vector<d::Record> written = ReadRecords(path);
  EXPECT_EQ(written, records);
  EXPECT_EQ(d::Replay(written), hub.State()->state);
  EXPECT_TRUE((*file)->Finish().ok()) << "idempotent";
  ::unlink(path.c_str());
}

TEST(EventLogFileTest, LinesAreInTheFileWhileTheLoopRuns) {
  const std::string path = TempPath("while-running");
  Hub hub;
  absl::StatusOr<std::unique_ptr<EventLogFile>> file = EventLogFile::Open(path, &hub);
  ASSERT_TRUE(file.ok()) << file.status();
  for (int i = 0; i < 3; ++i) hub.Append(Entry(i));
  // A killed devloop leaves what was written: the lines are there before Finish.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*file)->records_written() < 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(ReadRecords(path).size(), 3u);
  ASSERT_TRUE((*file)->Finish().ok());
  ::unlink(path.c_str());
}

TEST(EventLogFileTest, ConcurrentAppendsAreWrittenInTheHubsOrder) {
  const std::string path = TempPath("concurrent");
  Hub hub;
  absl::StatusOr<std::unique_ptr<EventLogFile>> file = EventLogFile::Open(path, &hub);
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&hub, w] {
      for (int i = 0; i < 2000; ++i) {
        hub.Append(Entry(w * 2000 + i));
        if (i % 100 == 0) hub.Append(d::TriggerChanged{d::Phase::kBuild, i % 200 == 0});
      }
    });
  }
  for (std::thread& t : writers) t.join();
  ASSERT_TRUE((*file)->Finish().ok());
  const std::vector<d::Record> written = ReadRecords(path);
  ASSERT_EQ(static_cast<int64_t>(written.size()), hub.records());
  // The hub's own order, read back through a fresh reader.
  auto reader = hub.ReadRecords([] {});
  std::vector<d::Record> logged;
  while (reader->Read(1000, &logged) > 0) {
  }
  EXPECT_EQ(written, logged);
  EXPECT_EQ(d::Replay(written), hub.State()->state);
  ::unlink(path.c_str());
}

TEST(EventLogFileTest, APathThatCannotBeWrittenIsAnErrorNamingIt) {
  Hub hub;
  for (const std::string& path : {std::string("/nonexistent-dir/events.jsonl"),
                                 std::string(std::getenv("TEST_TMPDIR") != nullptr
                                                 ? std::getenv("TEST_TMPDIR")
                                                 : "/tmp")}) {
    SCOPED_TRACE(path);
    absl::StatusOr<std::unique_ptr<EventLogFile>> file = EventLogFile::Open(path, &hub);
    ASSERT_FALSE(file.ok());
    EXPECT_THAT(file.status().message(), HasSubstr(path));
    EXPECT_THAT(file.status().message(), HasSubstr("cannot create the event log"));
  }
  EXPECT_FALSE(EventLogFile::Open("", &hub).ok());
}

TEST(EventLogFileTest, AWriteErrorStopsTheFileAndFinishReturnsIt) {
  Hub hub;
  absl::StatusOr<std::unique_ptr<EventLogFile>> file = EventLogFile::Open("/dev/full", &hub);
  ASSERT_TRUE(file.ok()) << file.status();
  hub.Append(Entry(0));
  hub.Append(Entry(1));
  absl::Status finished = (*file)->Finish();
  EXPECT_EQ(finished.code(), absl::StatusCode::kResourceExhausted) << finished;
  EXPECT_THAT(finished.message(), HasSubstr("cannot write the event log /dev/full"));
  EXPECT_EQ((*file)->records_written(), 0);
  EXPECT_EQ(hub.records(), 2) << "the loop goes on";
}

}  // namespace
}  // namespace devloop::hub
