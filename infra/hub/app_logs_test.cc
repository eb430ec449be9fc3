#include "infra/hub/app_logs.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "api/skaffold_v2.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::hub {
namespace {

using ::testing::ElementsAre;

AppLogs::Line LineOf(std::string message) {
  return {.time = absl::FromUnixNanos(1'700'000'000'123'456'789),
          .container_name = "web",
          .prefix = "[web]",
          .message = message,
          .rich_message = "\x1b[33m[web]\x1b[0m " + message};
}

// The messages a reader takes now, and what Read said last.
std::vector<std::string> Drain(AppLogs::Reader& reader, ReadResult* last = nullptr) {
  std::vector<std::string> messages;
  std::vector<StreamEntryPtr> batch;
  ReadResult r;
  while ((r = reader.Read(2, &batch)) == ReadResult::kData) {
  }
  for (const StreamEntryPtr& e : batch) {
    proto::v2::Event event;
    EXPECT_TRUE(event.ParseFromString(e->proto_bytes));
    messages.push_back(event.applicationlogevent().message());
  }
  if (last) *last = r;
  return messages;
}

TEST(AppLogsTest, EncodesEachLineInBothWireForms) {
  AppLogs logs;
  logs.Append(LineOf("GET / 200"));
  auto reader = logs.Subscribe([] {});
  std::vector<StreamEntryPtr> batch;
  ASSERT_EQ(reader->Read(10, &batch), ReadResult::kData);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0]->index, 0);
  EXPECT_EQ(batch[0]->json_line,
            R"({"result":{"timestamp":"2023-11-14T22:13:20.123456789Z","applicationLogEvent":)"
            R"({"containerName":"web","podName":"","prefix":"[web]","message":"GET / 200",)"
            R"("richFormattedMessage":"\u001b[33m[web]\u001b[0m GET / 200"}}})"
            "\n");
  proto::v2::Event event;
  ASSERT_TRUE(event.ParseFromString(batch[0]->proto_bytes));
  EXPECT_EQ(event.timestamp().seconds(), 1'700'000'000);
  EXPECT_EQ(event.timestamp().nanos(), 123'456'789);
  EXPECT_EQ(event.applicationlogevent().containername(), "web");
  EXPECT_EQ(event.applicationlogevent().prefix(), "[web]");
}

TEST(AppLogsTest, AReaderGetsWhatIsKeptThenLiveLinesAndIsWokenOnce) {
  AppLogs logs;
  logs.Append(LineOf("one"));
  std::atomic<int> wakes{0};
  auto reader = logs.Subscribe([&] { ++wakes; });
  ReadResult last;
  EXPECT_THAT(Drain(*reader, &last), ElementsAre("one"));
  EXPECT_EQ(last, ReadResult::kWait);
  logs.Append(LineOf("two"));
  logs.Append(LineOf("three"));
  EXPECT_EQ(wakes.load(), 1) << "parked once, woken once";
  EXPECT_THAT(Drain(*reader), ElementsAre("two", "three"));
  EXPECT_EQ(reader->cursor(), 3);
  logs.Close();
  EXPECT_EQ(wakes.load(), 2);
  Drain(*reader, &last);
  EXPECT_EQ(last, ReadResult::kEnd);
  logs.Append(LineOf("after close"));
  EXPECT_EQ(logs.appended(), 3);
}

TEST(AppLogsTest, KeepsTheMostRecentLinesAndABehindReaderSkipsAhead) {
  AppLogs logs({.keep_lines = 3});
  auto early = logs.Subscribe([] {});
  for (const char* m : {"1", "2", "3", "4", "5"}) logs.Append(LineOf(m));
  EXPECT_EQ(logs.forgotten(), 2);
  auto late = logs.Subscribe([] {});
  EXPECT_THAT(Drain(*late), ElementsAre("3", "4", "5"));
  EXPECT_THAT(Drain(*early), ElementsAre("3", "4", "5")) << "it fell behind: skips to what is kept";
}

TEST(AppLogsTest, ConcurrentAppendsKeepOneDenseOrder) {
  AppLogs logs({.keep_lines = 100'000});
  auto reader = logs.Subscribe([] {});
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&logs] {
      for (int i = 0; i < 500; ++i) logs.Append(LineOf("x"));
    });
  }
  for (std::thread& t : writers) t.join();
  std::vector<StreamEntryPtr> batch;
  while (reader->Read(1000, &batch) == ReadResult::kData) {
  }
  ASSERT_EQ(batch.size(), 2000u);
  for (size_t i = 0; i < batch.size(); ++i) ASSERT_EQ(batch[i]->index, static_cast<int64_t>(i));
}

}  // namespace
}  // namespace devloop::hub
