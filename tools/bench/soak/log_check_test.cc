#include "tools/bench/soak/log_check.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::soak {
namespace {

using ::testing::HasSubstr;

EntryChain Chain(const std::vector<std::string>& entries) {
  EntryChain chain;
  for (const std::string& e : entries) chain.Add(e);
  return chain;
}

const std::vector<std::string> kFinal = {"a", "b", "c", "b", "d"};

TEST(CheckSameLogTest, TheSameEntriesInTheSameOrderPass) {
  EXPECT_TRUE(CheckSameLog(Chain(kFinal), Chain(kFinal)).ok());
  EXPECT_TRUE(CheckSameLog(Chain({}), Chain({})).ok());
}

// Each way a subscriber can go wrong fails, and says where.
TEST(CheckSameLogTest, LostDuplicatedReorderedAlteredMissingOrExtraEntriesFail) {
  const EntryChain final = Chain(kFinal);
  struct Case {
    std::vector<std::string> seen;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"a", "c", "b", "d"}, "entry 1 differs"},            // "b" lost
      {{"a", "b", "b", "c", "b", "d"}, "entry 2 differs"},  // "b" twice
      {{"a", "c", "b", "b", "d"}, "entry 1 differs"},       // reordered
      {{"a", "b", "c", "B", "d"}, "entry 3 differs"},       // altered
      {{"a", "b", "c"}, "the last 2 are missing"},
      {{"a", "b", "c", "b", "d", "e"}, "the loop was not idle"},
  };
  for (const Case& c : cases) {
    absl::Status s = CheckSameLog(final, Chain(c.seen));
    EXPECT_FALSE(s.ok()) << ::testing::PrintToString(c.seen);
    EXPECT_THAT(s.message(), HasSubstr(c.says)) << ::testing::PrintToString(c.seen);
  }
}

TEST(CheckSameLogTest, TheChainCoversOrderNotOnlyContent) {
  // The same multiset of entries in another order must not hash alike.
  EXPECT_NE(Chain({"a", "b"}).last(), Chain({"b", "a"}).last());
  // Nor may the split between entries move unnoticed.
  EXPECT_NE(Chain({"ab", "c"}).last(), Chain({"a", "bc"}).last());
}

TEST(CheckPrefixTest, EveryPrefixOfTheFinalLogPasses) {
  const EntryChain final = Chain(kFinal);
  for (size_t n = 0; n <= kFinal.size(); ++n) {
    const EntryChain seen = Chain(std::vector<std::string>(kFinal.begin(), kFinal.begin() + n));
    EXPECT_TRUE(CheckPrefix(final, seen.size(), seen.last()).ok()) << n;
  }
}

TEST(CheckPrefixTest, AnythingElseFails) {
  const EntryChain final = Chain(kFinal);
  for (const std::vector<std::string>& seen : std::vector<std::vector<std::string>>{
           {"b"}, {"a", "c"}, {"a", "b", "b"}, {"a", "b", "c", "b", "d", "e"}}) {
    const EntryChain chain = Chain(seen);
    EXPECT_FALSE(CheckPrefix(final, chain.size(), chain.last()).ok())
        << ::testing::PrintToString(seen);
  }
}

TEST(EventsLinePayloadTest, StripsTheGatewayFrame) {
  EXPECT_EQ(EventsLinePayload("{\"result\":{\"entry\":\"x\"}}\n"), "{\"entry\":\"x\"}");
  EXPECT_EQ(EventsLinePayload("{\"result\":{\"entry\":\"x\"}}\r\n"), "{\"entry\":\"x\"}");
  EXPECT_EQ(EventsLinePayload("{\"error\":{}}\n"), "{\"error\":{}}\n");
}

proto::LogEntry Entry(const std::string& kind, const std::string& status) {
  proto::LogEntry e;
  e.set_entry(kind + " " + status);
  proto::Event* ev = e.mutable_event();
  if (kind == "devLoop") ev->mutable_devloopevent()->set_status(status);
  if (kind == "build") ev->mutable_buildevent()->set_status(status);
  if (kind == "deploy") ev->mutable_deployevent()->set_status(status);
  if (kind == "sync") ev->mutable_filesyncevent()->set_status(status);
  if (kind == "statusCheck") ev->mutable_statuscheckevent()->set_status(status);
  return e;
}

TEST(TallyLogTest, CountsWithTheContractsStatusStrings) {
  const std::vector<proto::LogEntry> log = {
      Entry("devLoop", "In Progress"), Entry("build", "In Progress"),
      Entry("build", "Complete"),      Entry("deploy", "In Progress"),
      Entry("deploy", "Complete"),     Entry("statusCheck", "Succeeded"),
      Entry("devLoop", "Succeeded"),   Entry("devLoop", "In Progress"),
      Entry("sync", "In Progress"),    Entry("sync", "Succeeded"),
      Entry("devLoop", "Succeeded"),   Entry("devLoop", "In Progress"),
      Entry("sync", "In Progress"),    Entry("sync", "Failed"),
      Entry("devLoop", "Failed"),
  };
  EXPECT_EQ(TallyLog(log), (LoopTally{.iterations_succeeded = 2,
                                      .iterations_failed = 1,
                                      .builds_complete = 1,
                                      .deploys_complete = 1,
                                      .syncs_started = 2,
                                      .syncs_succeeded = 1,
                                      .failures = 1,
                                      .first_failure = "sync Failed"}));
}

TEST(CountConsoleSyncsTest, CountsSyncedLinesPlainOrColoured) {
  EXPECT_EQ(CountConsoleSyncs("Syncing 1 file for [x:1]\n"
                              "Synced 1 file to [x:1] in 40ms\n"
                              "\x1b[32mSynced 2 files to [x:1] in 1s\x1b[0m\n"
                              "[app] Synced 3 files (an app's own log line)\n"
                              "Watching for changes...\n"),
            2);
  EXPECT_EQ(CountConsoleSyncs(""), 0);
}

}  // namespace
}  // namespace devloop::soak
