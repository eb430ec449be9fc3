#include "infra/hub/hub.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/skaffold.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::hub {
namespace {

namespace d = ::devloop::domain;
using ::testing::HasSubstr;

d::LogEntry Numbered(int n) {
  return d::LogEntry{absl::FromUnixSeconds(1'700'000'000), d::DevLoopEvent{n, "In Progress"},
                     absl::StrCat("entry ", n)};
}

// Returns the entry number encoded by Numbered(), read back from the proto bytes.
int NumberOf(const Hub::Entry& e) {
  proto::LogEntry m;
  EXPECT_TRUE(m.ParseFromString(e.proto_bytes));
  return m.event().devloopevent().iteration();
}

std::vector<Hub::EntryPtr> ReadAll(Hub::Subscriber& sub) {
  std::vector<Hub::EntryPtr> out;
  while (sub.Read(3, &out) == Hub::ReadResult::kData) {
  }
  return out;
}

TEST(HubTest, EntryIsSerializedOnceInBothWireForms) {
  Hub hub;
  hub.Append(Numbered(7));
  auto sub = hub.Subscribe([] {});
  std::vector<Hub::EntryPtr> got = ReadAll(*sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->index, 0);
  EXPECT_EQ(got[0]->json_line,
            R"({"result":{"timestamp":"2023-11-14T22:13:20Z","event":{"devLoopEvent":)"
            R"({"iteration":7,"status":"In Progress","err":null}},"entry":"entry 7"}})"
            "\n");
  EXPECT_EQ(NumberOf(*got[0]), 7);
}

TEST(HubTest, OnlyLogEntriesAreStreamedButEveryRecordChangesState) {
  Hub hub;
  hub.Append(d::PipelineStarted{{"web"}});
  hub.Append(d::TriggerChanged{d::Phase::kBuild, false});
  hub.Append(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, "done"});
  EXPECT_EQ(hub.size(), 1);
  auto view = hub.State();
  EXPECT_EQ(view->version, 3);
  EXPECT_EQ(view->state.build_state.artifacts.at("web"), "Complete");
  EXPECT_FALSE(view->message.buildstate().autotrigger());
  EXPECT_THAT(view->json, HasSubstr(R"("buildState":{"artifacts":{"web":"Complete"},)"
                                    R"("autoTrigger":false,"statusCode":"BUILD_SUCCESS"})"));
}

TEST(HubTest, StateViewIsCachedUntilTheNextRecord) {
  Hub hub;
  hub.Append(d::PipelineStarted{});
  auto a = hub.State();
  auto b = hub.State();
  EXPECT_EQ(a.get(), b.get());
  hub.Append(d::TriggerChanged{d::Phase::kSync, false});
  auto c = hub.State();
  EXPECT_NE(a.get(), c.get());
  EXPECT_TRUE(a->state.file_sync_state.auto_trigger);  // old snapshots stay as they were
  EXPECT_FALSE(c->state.file_sync_state.auto_trigger);
}

TEST(HubTest, NewSubscriberGetsHistoryThenLiveWithoutGapOrDuplicate) {
  Hub hub;
  for (int i = 0; i < 5; ++i) hub.Append(Numbered(i));
  int woken = 0;
  auto sub = hub.Subscribe([&] { ++woken; });
  std::vector<Hub::EntryPtr> got = ReadAll(*sub);
  ASSERT_EQ(got.size(), 5u);
  std::vector<Hub::EntryPtr> none;
  EXPECT_EQ(sub->Read(10, &none), Hub::ReadResult::kWait);
  EXPECT_EQ(woken, 0);
  hub.Append(Numbered(5));
  EXPECT_EQ(woken, 1);
  hub.Append(Numbered(6));  // not parked any more: no second wake-up
  EXPECT_EQ(woken, 1);
  std::vector<Hub::EntryPtr> more = ReadAll(*sub);
  got.insert(got.end(), more.begin(), more.end());
  ASSERT_EQ(got.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(got[i]->index, i);
    EXPECT_EQ(NumberOf(*got[i]), i);
  }
}

TEST(HubTest, SubscribersShareEntriesInsteadOfCopyingThem) {
  Hub hub;
  hub.Append(Numbered(1));
  auto a = hub.Subscribe([] {});
  auto b = hub.Subscribe([] {});
  EXPECT_EQ(ReadAll(*a)[0].get(), ReadAll(*b)[0].get());
}

TEST(HubTest, CloseDrainsThenEndsAndWakesParkedSubscribers) {
  Hub hub;
  int woken = 0;
  auto sub = hub.Subscribe([&] { ++woken; });
  std::vector<Hub::EntryPtr> out;
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kWait);
  hub.Append(Numbered(0));
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kData);
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kWait);
  hub.Append(Numbered(1));
  hub.Close();
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kData);
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kEnd);
  hub.Append(Numbered(2));  // after Close: State only
  EXPECT_EQ(hub.size(), 2);
  auto late = hub.Subscribe([] {});
  EXPECT_EQ(ReadAll(*late).size(), 2u);
  EXPECT_EQ(late->Read(10, &out), Hub::ReadResult::kEnd);
}

TEST(HubTest, DetachedSubscriberIsNotCalledBack) {
  Hub hub;
  int woken = 0;
  auto sub = hub.Subscribe([&] { ++woken; });
  std::vector<Hub::EntryPtr> out;
  EXPECT_EQ(sub->Read(10, &out), Hub::ReadResult::kWait);
  sub->Detach();
  hub.Append(Numbered(0));
  EXPECT_EQ(woken, 0);
  sub.reset();  // a dropped subscriber is skipped too
  hub.Append(Numbered(1));
}

// Many writers and readers at once: every reader sees every entry exactly once,
// in log order, and each writer's entries in the order it wrote them.
TEST(HubTest, ConcurrentAppendAndReadKeepsOneOrder) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 2000;
  constexpr int kReaders = 8;
  Hub hub;
  std::vector<std::vector<int>> seen(kReaders);
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&hub, &seen, r] {
      absl::Mutex mu;
      bool ready = false;
      auto sub = hub.Subscribe([&] {
        absl::MutexLock l(&mu);
        ready = true;
      });
      std::vector<Hub::EntryPtr> batch;
      while (true) {
        batch.clear();
        Hub::ReadResult result = sub->Read(64, &batch);
        if (result == Hub::ReadResult::kEnd) break;
        if (result == Hub::ReadResult::kWait) {
          absl::MutexLock l(&mu);
          mu.Await(absl::Condition(&ready));
          ready = false;
          continue;
        }
        for (const auto& e : batch) {
          EXPECT_EQ(e->index, static_cast<int64_t>(seen[r].size()));
          seen[r].push_back(NumberOf(*e));
        }
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&hub, w] {
      for (int i = 0; i < kPerWriter; ++i) hub.Append(Numbered(w * kPerWriter + i));
    });
  }
  for (auto& t : writers) t.join();
  hub.Close();
  for (auto& t : threads) t.join();

  // The log's own order, as a late subscriber reads it.
  auto late = hub.Subscribe([] {});
  std::vector<int> log;
  for (const auto& e : ReadAll(*late)) log.push_back(NumberOf(*e));
  ASSERT_EQ(log.size(), static_cast<size_t>(kWriters * kPerWriter));
  std::vector<int> last(kWriters, -1);
  for (int n : log) {
    EXPECT_GT(n, last[n / kPerWriter]);
    last[n / kPerWriter] = n;
  }
  for (int r = 0; r < kReaders; ++r) EXPECT_EQ(seen[r], log) << "reader " << r;
}

}  // namespace
}  // namespace devloop::hub
