#include "infra/hub/hub.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "domain/state/state.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "infra/apimap/apimap.h"

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

TEST(HubTest, BeforeAnyRecordTheStateIsTheEmptyStatesJson) {
  Hub hub;
  auto view = hub.State();
  EXPECT_EQ(view->version, 0);
  // The written-out JSON is what the mapping gives for an empty State.
  std::string mapped;
  api::AppendJson(apimap::ToProto(d::State{}), &mapped);
  EXPECT_EQ(view->json, mapped);
  EXPECT_EQ(Hub::kEmptyStateJson, mapped);
  hub.Append(d::TriggerChanged{d::Phase::kBuild, false});
  EXPECT_THAT(hub.State()->json, HasSubstr(R"("buildState":{"artifacts":{},"autoTrigger":false)"));
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

TEST(HubTest, ControlRecordsAreFoldedButSkippedByTheStream) {
  Hub hub;
  hub.Append(d::PipelineStarted{{"web"}});
  hub.Append(Numbered(0));
  hub.Append(d::TriggerChanged{d::Phase::kBuild, false});
  hub.Append(d::PhasesReset{true, false, false});
  hub.Append(Numbered(1));
  auto sub = hub.Subscribe([] {});
  std::vector<Hub::EntryPtr> got;
  ASSERT_EQ(sub->Read(1, &got), Hub::ReadResult::kData);
  EXPECT_EQ(sub->cursor(), 1);
  ASSERT_EQ(sub->Read(10, &got), Hub::ReadResult::kData);
  EXPECT_EQ(sub->cursor(), 2);
  EXPECT_EQ(sub->Read(10, &got), Hub::ReadResult::kWait);
  hub.Append(d::TriggerChanged{d::Phase::kSync, false});  // nothing to stream: no wake-up
  EXPECT_EQ(sub->Read(10, &got), Hub::ReadResult::kWait);
  hub.Append(Numbered(2));
  ASSERT_EQ(sub->Read(10, &got), Hub::ReadResult::kData);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i]->index, i);  // stream positions, without gaps for control records
    EXPECT_EQ(NumberOf(*got[i]), i);
  }
  EXPECT_EQ(hub.size(), 3);
  EXPECT_EQ(hub.records(), 7);
  EXPECT_EQ(hub.State()->version, 7);
  EXPECT_FALSE(hub.State()->state.file_sync_state.auto_trigger);
}

TEST(HubTest, EachEntryIsEncodedOnceHoweverManySubscribersReadIt) {
  Hub hub;
  std::vector<std::shared_ptr<Hub::Subscriber>> subs;
  for (int s = 0; s < 20; ++s) subs.push_back(hub.Subscribe([] {}));
  std::vector<std::vector<Hub::EntryPtr>> got(subs.size());
  for (int i = 0; i < 100; ++i) {
    hub.Append(Numbered(i));
    if (i % 7 == 0) hub.Append(d::PhasesReset{});
    for (size_t s = 0; s < subs.size(); s += 1 + i % 3) subs[s]->Read(5, &got[s]);
  }
  for (size_t s = 0; s < subs.size(); ++s) {
    std::vector<Hub::EntryPtr> rest = ReadAll(*subs[s]);
    got[s].insert(got[s].end(), rest.begin(), rest.end());
    ASSERT_EQ(got[s].size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(got[s][i].get(), got[0][i].get());
  }
  EXPECT_EQ(hub.entries_encoded(), 100);
}

TEST(HubTest, EntriesBehindTheWindowAreEncodedForTheirReaderAlone) {
  Hub hub(Hub::Options{.cache_entries = 4});
  for (int i = 0; i < 10; ++i) hub.Append(Numbered(i));
  auto first = hub.Subscribe([] {});
  std::vector<Hub::EntryPtr> early = ReadAll(*first);
  ASSERT_EQ(early.size(), 10u);
  EXPECT_EQ(hub.entries_encoded(), 10);
  std::vector<std::weak_ptr<const Hub::Entry>> weak(early.begin(), early.end());
  std::vector<std::string> lines;
  for (const auto& e : early) lines.push_back(e->json_line);
  early.clear();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(weak[i].expired(), i < 6) << i;  // the window: the last 4 records
  }

  auto late = hub.Subscribe([] {});
  std::vector<Hub::EntryPtr> again = ReadAll(*late);
  ASSERT_EQ(again.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(again[i]->index, i);
    EXPECT_EQ(again[i]->json_line, lines[i]);
    EXPECT_EQ(NumberOf(*again[i]), i);
    if (i >= 6) {
      EXPECT_EQ(again[i].get(), weak[i].lock().get()) << i;
    }
  }
  EXPECT_EQ(hub.entries_encoded(), 16);  // the six behind the window, once more
}

TEST(HubTest, SubscribersThatAllLagThePublisherStillShare) {
  Hub hub(Hub::Options{.cache_entries = 4});
  std::vector<std::shared_ptr<Hub::Subscriber>> subs;
  for (int s = 0; s < 3; ++s) subs.push_back(hub.Subscribe([] {}));
  for (int i = 0; i < 100; ++i) hub.Append(Numbered(i));
  // All 100 behind the log's end, within 4 of each other.
  for (int i = 0; i < 100; ++i) {
    std::vector<Hub::EntryPtr> got;
    for (const auto& sub : subs) ASSERT_EQ(sub->Read(1, &got), Hub::ReadResult::kData);
    EXPECT_EQ(got[0].get(), got[2].get());
  }
  EXPECT_EQ(hub.entries_encoded(), 100);
}

TEST(HubTest, WindowLetsGoOfWhatEverySubscriberHasRead) {
  Hub hub;
  auto a = hub.Subscribe([] {});
  auto b = hub.Subscribe([] {});
  std::vector<std::weak_ptr<const Hub::Entry>> weak;
  for (int i = 0; i < 1000; ++i) {
    hub.Append(Numbered(i));
    std::vector<Hub::EntryPtr> got_a, got_b;
    ASSERT_EQ(a->Read(10, &got_a), Hub::ReadResult::kData);
    if (i % 2 == 1) {
      ASSERT_EQ(b->Read(10, &got_b), Hub::ReadResult::kData);
    }
    weak.insert(weak.end(), got_a.begin(), got_a.end());
  }
  EXPECT_EQ(hub.entries_encoded(), 1000);
  const auto alive = std::count_if(weak.begin(), weak.end(), [](auto& w) { return !w.expired(); });
  EXPECT_LE(alive, 2 * 64);  // far below the window's 16384: both readers kept up
  EXPECT_TRUE(weak[0].expired());
  EXPECT_FALSE(weak[999].expired());

  // A subscriber that comes later reads the same log; what was let go is encoded again.
  auto late = hub.Subscribe([] {});
  std::vector<Hub::EntryPtr> history = ReadAll(*late);
  ASSERT_EQ(history.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(NumberOf(*history[i]), i);
  EXPECT_GT(hub.entries_encoded(), 1000 + 800);
}

// A subscriber that stops reading holds a cursor and nothing else: however much
// is published meanwhile, the hub keeps at most its window of encoded entries,
// the others read on and share every entry (each is encoded once, for them, not
// again because of the stalled one), and the stalled one later gets everything,
// in order. Counts, not time: a bug that made the stalled reader pin entries or
// force re-encoding fails the bounds below.
TEST(HubTest, StalledSubscriberCostsBoundedMemoryAndNeverSlowsTheOthers) {
  constexpr int kWindow = 256;
  constexpr int kEntries = 20'000;
  Hub hub(Hub::Options{.cache_entries = kWindow});
  int stalled_wakes = 0;
  auto stalled = hub.Subscribe([&] { ++stalled_wakes; });
  auto reader = hub.Subscribe([] {});
  hub.Append(Numbered(0));
  std::vector<Hub::EntryPtr> first;
  ASSERT_EQ(stalled->Read(1, &first), Hub::ReadResult::kData);  // then it stops
  ASSERT_EQ(stalled->Read(1, &first), Hub::ReadResult::kWait);  // parked: one wake-up due
  first.clear();  // what it read is its own business; the hub must not keep it

  std::vector<std::weak_ptr<const Hub::Entry>> seen;
  int64_t max_cached = 0;
  int next = 0;
  for (int i = 1; i < kEntries; ++i) {
    hub.Append(Numbered(i));
    if (i % 50 != 0 && i != kEntries - 1) continue;
    std::vector<Hub::EntryPtr> got;
    while (reader->Read(64, &got) == Hub::ReadResult::kData) {
    }
    for (const auto& e : got) {
      ASSERT_EQ(NumberOf(*e), next++);
      seen.push_back(e);
    }
    max_cached = std::max(max_cached, hub.cached_entries());
  }
  EXPECT_EQ(next, kEntries);
  EXPECT_LE(max_cached, kWindow);
  EXPECT_EQ(hub.entries_encoded(), kEntries);  // the reader never re-encoded
  EXPECT_EQ(stalled_wakes, 1);                 // woken once, not once per entry
  const auto alive = std::count_if(seen.begin(), seen.end(), [](auto& w) { return !w.expired(); });
  EXPECT_LE(alive, kWindow);  // nothing pinned for the stalled subscriber
  EXPECT_EQ(stalled->cursor(), 1);

  // It resumes: every entry, in order, encoded for it alone from the log.
  std::vector<Hub::EntryPtr> rest;
  while (stalled->Read(1000, &rest) == Hub::ReadResult::kData) {
    for (const auto& e : rest) ASSERT_EQ(NumberOf(*e), static_cast<int>(e->index));
    EXPECT_LE(hub.cached_entries(), kWindow);
    rest.clear();
  }
  EXPECT_EQ(stalled->cursor(), kEntries);
}

// Random records of every kind, including the control records the stream skips.
d::Record RandomRecord(std::mt19937& rng) {
  const std::vector<std::string> artifacts = {"app", "web"};
  const std::vector<std::string> statuses = {"Not Started", "In Progress", "Complete", "Failed",
                                             "Succeeded"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000 + rng() % 1000);
  switch (rng() % 10) {
    case 0:
      return d::PipelineStarted{{pick(artifacts)}, rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0};
    case 1:
      return d::TriggerChanged{static_cast<d::Phase>(rng() % 3), rng() % 2 == 0};
    case 2:
      return d::PhasesReset{rng() % 2 == 0, rng() % 2 == 0, rng() % 2 == 0};
    case 3:
      return d::LogEntry{t, d::BuildEvent{pick(artifacts), pick(statuses)}, "b"};
    case 4:
      return d::LogEntry{t, d::DeployEvent{pick(statuses)}, "d"};
    case 5:
      return d::LogEntry{t, d::PortEvent{static_cast<int32_t>(9000 + rng() % 3), 80}, "p"};
    case 6:
      return d::LogEntry{t, d::StatusCheckEvent{pick(statuses)}, "s"};
    case 7:
      return d::LogEntry{t, d::ResourceStatusCheckEvent{pick(artifacts), pick(statuses)}, "r"};
    case 8:
      return d::LogEntry{t, d::FileSyncEvent{1, pick(artifacts), pick(statuses)}, "f"};
    default:
      return d::LogEntry{t, d::DevLoopEvent{static_cast<int32_t>(rng() % 5), pick(statuses)}, "u"};
  }
}

// The hub serves what the domain folds: its State is domain::Replay of the
// records appended, and its stream is their LogEntries, in order.
TEST(HubTest, ServedStateIsTheDomainFoldOfTheRecordsProperty) {
  for (int seed = 0; seed < 30; ++seed) {
    std::mt19937 rng(seed);
    Hub hub(Hub::Options{.cache_entries = 16});
    auto sub = hub.Subscribe([] {});
    std::vector<d::Record> records;
    std::vector<Hub::EntryPtr> streamed;
    for (int i = 0; i < 200; ++i) {
      records.push_back(RandomRecord(rng));
      hub.Append(records.back());
      if (rng() % 4 == 0) sub->Read(1 + rng() % 8, &streamed);
      if (i % 41 == 0 || i == 199) {
        const d::State folded = d::Replay(records);
        auto view = hub.State();
        ASSERT_EQ(view->version, static_cast<int64_t>(records.size()));
        ASSERT_EQ(view->state, folded) << "seed " << seed << " step " << i;
        const proto::State message = apimap::ToProto(folded);
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(view->message, message));
        std::string json;
        api::AppendJson(message, &json);
        EXPECT_EQ(view->json, json);
      }
    }
    std::vector<Hub::EntryPtr> rest = ReadAll(*sub);
    streamed.insert(streamed.end(), rest.begin(), rest.end());
    size_t next = 0;
    for (const d::Record& r : records) {
      const auto* entry = std::get_if<d::LogEntry>(&r);
      if (entry == nullptr) continue;
      ASSERT_LT(next, streamed.size()) << "seed " << seed;
      EXPECT_EQ(streamed[next]->index, static_cast<int64_t>(next));
      EXPECT_EQ(streamed[next]->proto_bytes, apimap::ToProto(*entry).SerializeAsString());
      ++next;
    }
    EXPECT_EQ(next, streamed.size()) << "seed " << seed;
    EXPECT_EQ(hub.size(), static_cast<int64_t>(streamed.size()));
  }
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

TEST(HubTest, RecordReaderReadsEveryRecordInOrderEvenAfterClose) {
  Hub hub;
  const std::vector<d::Record> records = {
      d::PipelineStarted{{"web"}, true, true, true, {}},
      Numbered(0),
      d::TriggerChanged{d::Phase::kSync, false},
      d::PhasesReset{true, false, false},
      Numbered(1),
  };
  hub.Append(records[0]);
  hub.Append(records[1]);
  int woken = 0;
  auto reader = hub.ReadRecords([&] { ++woken; });
  std::vector<d::Record> got;
  EXPECT_EQ(reader->Read(1, &got), 1u);
  EXPECT_EQ(reader->cursor(), 1);
  EXPECT_EQ(reader->Read(10, &got), 1u);
  EXPECT_EQ(reader->Read(10, &got), 0u);  // parked
  hub.Append(records[2]);                 // a control record wakes it too
  EXPECT_EQ(woken, 1);
  hub.Append(records[3]);  // not parked any more: no second call
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(reader->Read(10, &got), 2u);
  EXPECT_EQ(reader->Read(10, &got), 0u);
  hub.Close();
  EXPECT_EQ(woken, 1) << "Close ends streams, not record readers";
  hub.Append(records[4]);
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(reader->Read(10, &got), 1u);
  EXPECT_EQ(got, records);
  EXPECT_EQ(d::Replay(got), hub.State()->state);
}

TEST(HubTest, DetachedRecordReaderIsNotCalledBack) {
  Hub hub;
  int woken = 0;
  auto reader = hub.ReadRecords([&] { ++woken; });
  std::vector<d::Record> got;
  EXPECT_EQ(reader->Read(10, &got), 0u);
  reader->Detach();
  hub.Append(Numbered(0));
  EXPECT_EQ(woken, 0);
  EXPECT_EQ(reader->Read(10, &got), 1u);  // still reads
  EXPECT_EQ(reader->Read(10, &got), 0u);
  reader.reset();  // a dropped reader is skipped too
  hub.Append(Numbered(1));
  EXPECT_EQ(woken, 0);
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
  absl::BlockingCounter subscribed(kReaders);
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&hub, &seen, &subscribed, r] {
      absl::Mutex mu;
      bool ready = false;
      auto sub = hub.Subscribe([&] {
        absl::MutexLock l(&mu);
        ready = true;
      });
      subscribed.DecrementCount();
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
  subscribed.Wait();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&hub, w] {
      for (int i = 0; i < kPerWriter; ++i) hub.Append(Numbered(w * kPerWriter + i));
    });
  }
  for (auto& t : writers) t.join();
  hub.Close();
  for (auto& t : threads) t.join();
  // Readers racing for the same new entry waited for one encoding of it.
  EXPECT_EQ(hub.entries_encoded(), kWriters * kPerWriter);

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
