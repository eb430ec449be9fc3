#include "domain/pipeline/sync_queue.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Taken = std::map<std::string, std::vector<FileChange>>;

TEST(SyncQueueTest, QueuedChangesTable) {
  using Op = std::function<void(SyncQueue&)>;
  auto queue = [](std::string image, std::vector<FileChange> files) -> Op {
    return [image, files](SyncQueue& q) { q.Queue(image, files); };
  };
  auto drop = [](std::string image) -> Op { return [image](SyncQueue& q) { q.Drop(image); }; };
  struct Case {
    const char* name;
    std::vector<Op> ops;
    Taken want;
  };
  const std::vector<Case> cases = {
      {"nothing queued", {}, {}},
      {"one change", {queue("web", {{"a.css"}})}, {{"web", {{"a.css"}}}}},
      {"sorted by path, per artifact",
       {queue("web", {{"b.css"}, {"a.css"}}), queue("app", {{"x.js"}})},
       {{"app", {{"x.js"}}}, {"web", {{"a.css"}, {"b.css"}}}}},
      {"the last change of a path wins: saved then deleted",
       {queue("web", {{"a.css"}}), queue("web", {{"a.css", true}})},
       {{"web", {{"a.css", true}}}}},
      {"the last change of a path wins: deleted then saved",
       {queue("web", {{"a.css", true}, {"a.css"}})},
       {{"web", {{"a.css"}}}}},
      {"a rebuild takes the changes in",
       {queue("web", {{"a.css"}}), queue("app", {{"x.js"}}), drop("web")},
       {{"app", {{"x.js"}}}}},
      {"an empty change set queues nothing", {queue("web", {})}, {}},
  };
  for (const Case& c : cases) {
    SyncQueue q;
    for (const Op& op : c.ops) op(q);
    EXPECT_EQ(q.has_queued(), !c.want.empty()) << c.name;
    EXPECT_EQ(q.TakeQueued(), c.want) << c.name;
    EXPECT_FALSE(q.has_queued()) << c.name;
  }
}

TEST(SyncQueueTest, RunningSyncsEndWithTheirResults) {
  SyncQueue q;
  EXPECT_EQ(q.CheckResult("web").code(), absl::StatusCode::kFailedPrecondition);
  q.Started("web", {"web:1", 2});
  q.Started("app", {"app:1", 1});
  // A change that arrives meanwhile waits for the next round.
  q.Queue("web", {{"c.css"}});
  EXPECT_TRUE(q.running());
  EXPECT_TRUE(q.has_queued());
  ASSERT_TRUE(q.CheckResult("web").ok());
  EXPECT_EQ(q.Finish("web"), SyncQueue::Sync({"web:1", 2}));
  absl::Status again = q.CheckResult("web");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "sync result for artifact web, which is not syncing");
  EXPECT_EQ(q.Finish("web"), std::nullopt);
  EXPECT_TRUE(q.running());
  EXPECT_EQ(q.Finish("app"), SyncQueue::Sync({"app:1", 1}));
  EXPECT_FALSE(q.running());
}

TEST(SyncQueueTest, CancelEndsEverySync) {
  SyncQueue q;
  q.Started("web", {"web:1", 2});
  q.Started("app", {"app:1", 1});
  EXPECT_THAT(q.Cancel(), ElementsAre(SyncQueue::Sync{"app:1", 1}, SyncQueue::Sync{"web:1", 2}));
  EXPECT_FALSE(q.running());
  EXPECT_THAT(q.Cancel(), IsEmpty());
}

}  // namespace
}  // namespace devloop::domain
