#include "apps/dev/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::apps {
namespace {

// Each case runs in a process of its own (a death test re-executes the test
// binary), since the signal set-up is process-wide and a stop happens once.
class StopSignalsTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(StopSignalsTest, TheFirstSignalStopsTheSecondForcesExit) {
  EXPECT_EXIT(
      {
        StopSignals& signals = StopSignals::Install();
        std::atomic<bool> called{false};
        signals.OnStop([&] { called = true; });
        kill(getpid(), SIGHUP);  // the terminal went away
        if (signals.Wait() != SIGHUP || !called || !signals.stopping()) _exit(1);
        kill(getpid(), SIGINT);  // impatient Ctrl-C while cleaning up
        pause();
        _exit(2);
      },
      ::testing::ExitedWithCode(ForcedExitCode(SIGINT)), "forced exit \\(SIGINT\\)");
}

TEST_F(StopSignalsTest, WritesToAClosedPipeFailInsteadOfKilling) {
  EXPECT_EXIT(
      {
        StopSignals::Install();
        int fds[2];
        if (pipe(fds) != 0) _exit(1);
        close(fds[0]);
        ssize_t n = write(fds[1], "x", 1);
        _exit(n < 0 && errno == EPIPE ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(StopSignalsTest, OnStopAfterTheSignalRunsAtOnce) {
  EXPECT_EXIT(
      {
        StopSignals& signals = StopSignals::Install();
        kill(getpid(), SIGTERM);
        signals.Wait();
        bool called = false;
        signals.OnStop([&] { called = true; });
        _exit(called ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace devloop::apps
