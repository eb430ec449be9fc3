#include "infra/process/posix_process_runner.h"
#include "testing/adapters/process_runner_contract.h"

namespace devloop::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Posix, ProcessRunnerContractTest,
                         ::testing::Values(ProcessRunnerFactory{
                             "posix", [] { return std::make_unique<process::PosixProcessRunner>(); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace devloop::testing
