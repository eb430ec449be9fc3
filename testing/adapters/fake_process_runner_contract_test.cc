#include "testing/adapters/process_runner_contract.h"
#include "testing/fakes/fake_process_runner.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Fake, ProcessRunnerContractTest,
                         ::testing::Values(ProcessRunnerFactory{"fake",
                                                                [] {
                                                                  auto runner = std::make_unique<
                                                                      FakeProcessRunner>();
                                                                  AddContractPrograms(*runner);
                                                                  return runner;
                                                                }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
