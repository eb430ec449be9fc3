#include "testing/browser/process_table.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/subprocess.h"

namespace devloop::browser {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ProcessTableTest, FindsAProcessByItsCommandLineUntilItIsGone) {
  // GNU sleep takes a fraction: a duration no other process uses.
  const std::string marker = absl::StrCat("1000.", getpid(), "7");
  absl::StatusOr<std::unique_ptr<e2e::Subprocess>> sleeper =
      e2e::Subprocess::Start({.argv = {"sleep", marker}});
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  EXPECT_THAT(ProcessesMentioning(marker),
              ElementsAre(HasSubstr(absl::StrCat((*sleeper)->pid(), ": sleep ", marker))));
  ASSERT_TRUE((*sleeper)->Signal(SIGKILL).ok());
  ASSERT_TRUE((*sleeper)->Wait(absl::Seconds(30)).ok());
  EXPECT_THAT(WaitUntilNoProcessMentions(marker), IsEmpty());
}

TEST(ProcessTableTest, NothingMentionsAStringNoOneUses) {
  EXPECT_THAT(ProcessesMentioning(absl::StrCat("no-process-", getpid(), "-says-this")), IsEmpty());
}

}  // namespace
}  // namespace devloop::browser
