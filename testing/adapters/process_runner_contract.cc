#include "testing/adapters/process_runner_contract.h"

#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"

namespace devloop::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using process::ExitStatus;
using process::Process;
using process::ProcessSpec;

struct Lines {
  absl::Mutex mu;
  std::vector<std::string> lines ABSL_GUARDED_BY(mu);
  process::LineCallback Callback() {
    return [this](absl::string_view line) {
      absl::MutexLock lock(&mu);
      lines.emplace_back(line);
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu);
    return lines;
  }
};

TEST_P(ProcessRunnerContractTest, StreamsStdoutLinesAndExitsZero) {
  Lines out, err;
  absl::StatusOr<ExitStatus> exit = runner_->Run({.argv = {"echo", "hello", "world"},
                                                  .on_stdout = out.Callback(),
                                                  .on_stderr = err.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->success());
  EXPECT_EQ(*exit, (ExitStatus{.exit_code = 0}));
  EXPECT_THAT(out.Get(), ElementsAre("hello world"));
  EXPECT_THAT(err.Get(), IsEmpty());
}

TEST_P(ProcessRunnerContractTest, ReportsNonZeroExitAndStderr) {
  Lines out, err;
  absl::StatusOr<ExitStatus> exit = runner_->Run({.argv = {"ls", "/nonexistent-devloop"},
                                                  .on_stdout = out.Callback(),
                                                  .on_stderr = err.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 2);
  EXPECT_FALSE(exit->success());
  EXPECT_THAT(out.Get(), IsEmpty());
  ASSERT_EQ(err.Get().size(), 1u);
  EXPECT_THAT(err.Get()[0], HasSubstr("/nonexistent-devloop"));

  exit = runner_->Run({.argv = {"false"}});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 1);
}

TEST_P(ProcessRunnerContractTest, FeedsStdin) {
  Lines out;
  absl::StatusOr<ExitStatus> exit = runner_->Run(
      {.argv = {"cat"}, .stdin_data = "line one\nline two\n", .on_stdout = out.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_THAT(out.Get(), ElementsAre("line one", "line two"));
}

TEST_P(ProcessRunnerContractTest, PassesEnvironment) {
  Lines out;
  absl::StatusOr<ExitStatus> exit = runner_->Run({.argv = {"printenv", "DEVLOOP_CONTRACT"},
                                                  .env = {{"DEVLOOP_CONTRACT", "yes"}},
                                                  .on_stdout = out.Callback()});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_THAT(out.Get(), ElementsAre("yes"));
}

TEST_P(ProcessRunnerContractTest, MissingProgramIsNotFound) {
  absl::StatusOr<ExitStatus> exit = runner_->Run({.argv = {"devloop-no-such-program"}});
  EXPECT_EQ(exit.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(exit.status().message(), HasSubstr("devloop-no-such-program"));
}

TEST_P(ProcessRunnerContractTest, EmptyArgvIsInvalidArgument) {
  EXPECT_EQ(runner_->Run({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(ProcessRunnerContractTest, TimeoutStopsTheProcess) {
  absl::StatusOr<ExitStatus> exit =
      runner_->Run({.argv = {"sleep", "1000"}, .timeout = absl::Milliseconds(50)});
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->timed_out);
  EXPECT_FALSE(exit->cancelled);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_FALSE(exit->success());
}

TEST_P(ProcessRunnerContractTest, CancelStopsTheProcess) {
  absl::StatusOr<std::unique_ptr<Process>> process = runner_->Start({.argv = {"sleep", "1000"}});
  ASSERT_TRUE(process.ok()) << process.status();
  (*process)->Cancel();
  ExitStatus exit = (*process)->Wait();
  EXPECT_TRUE(exit.cancelled);
  EXPECT_FALSE(exit.timed_out);
  EXPECT_EQ(exit.signal, SIGTERM);
  EXPECT_EQ((*process)->Wait(), exit);  // Wait is repeatable
}

TEST_P(ProcessRunnerContractTest, ManyConcurrentProcesses) {
  std::vector<std::unique_ptr<Process>> processes;
  std::vector<Lines> outs(16);
  for (int i = 0; i < 16; ++i) {
    absl::StatusOr<std::unique_ptr<Process>> p = runner_->Start(
        {.argv = {"echo", absl::StrCat(i)}, .on_stdout = outs[i].Callback()});
    ASSERT_TRUE(p.ok()) << p.status();
    processes.push_back(*std::move(p));
  }
  for (int i = 0; i < 16; ++i) {
    EXPECT_TRUE(processes[i]->Wait().success());
    EXPECT_THAT(outs[i].Get(), ElementsAre(absl::StrCat(i)));
  }
}

}  // namespace

void AddContractPrograms(FakeProcessRunner& runner) {
  runner.AddProgram("echo", [](FakeProcessRunner::Io& io) {
    std::vector<std::string> args(io.argv().begin() + 1, io.argv().end());
    io.Out(absl::StrJoin(args, " "));
    return 0;
  });
  runner.AddProgram("false", [](FakeProcessRunner::Io&) { return 1; });
  runner.AddProgram("sleep", [](FakeProcessRunner::Io& io) {
    double seconds = 0;
    if (io.argv().size() > 1) (void)absl::SimpleAtod(io.argv()[1], &seconds);
    io.Sleep(absl::Seconds(seconds));
    return 0;
  });
  runner.AddProgram("cat", [](FakeProcessRunner::Io& io) {
    if (io.spec().stdin_data.has_value()) io.Out(*io.spec().stdin_data);
    return 0;
  });
  runner.AddProgram("printenv", [](FakeProcessRunner::Io& io) {
    if (io.argv().size() < 2) return 1;
    io.Out(io.Env(io.argv()[1]));
    return 0;
  });
  runner.AddProgram("ls", [](FakeProcessRunner::Io& io) {
    io.Err(absl::StrCat("ls: cannot access '", io.argv()[1], "': No such file or directory"));
    return 2;
  });
}

}  // namespace devloop::testing
