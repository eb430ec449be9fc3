// The contract every ProcessRunner keeps, as one parameterized suite run against
// PosixProcessRunner (real processes) and FakeProcessRunner, so the fake cannot
// drift from the real thing.
//
//   INSTANTIATE_TEST_SUITE_P(Posix, ProcessRunnerContractTest,
//       ::testing::Values(ProcessRunnerFactory{"posix", [] { return ...; }}));
//
// The suite runs only `echo`, `false`, `sleep`, `cat`, `printenv` and
// `ls /nonexistent-devloop`; a fake must emulate those (see
// AddContractPrograms).
#ifndef DEVLOOP_TESTING_ADAPTERS_PROCESS_RUNNER_CONTRACT_H_
#define DEVLOOP_TESTING_ADAPTERS_PROCESS_RUNNER_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "infra/process/process_runner.h"
#include "testing/fakes/fake_process_runner.h"

namespace devloop::testing {

struct ProcessRunnerFactory {
  std::string name;
  std::function<std::unique_ptr<process::ProcessRunner>()> make;
};
inline std::ostream& operator<<(std::ostream& os, const ProcessRunnerFactory& f) {
  return os << f.name;
}

// Teaches `runner` the programs the contract suite runs.
void AddContractPrograms(FakeProcessRunner& runner);

class ProcessRunnerContractTest : public ::testing::TestWithParam<ProcessRunnerFactory> {
 protected:
  void SetUp() override { runner_ = GetParam().make(); }
  std::unique_ptr<process::ProcessRunner> runner_;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_ADAPTERS_PROCESS_RUNNER_CONTRACT_H_
