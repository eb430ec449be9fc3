// devloop: the composition root. Parses the Skaffold-style command line and runs
// the command; everything below takes option structs.
//
//   devloop dev [-f skaffold.yaml] [-p profile] [--rpc-port=50051] ...
//   devloop build | run | deploy | delete   (commands.h)
//   devloop exec ACTION | verify | test      (exec_command.h)
//   devloop diagnose
//   devloop replay FILE [-o json|table]      (apps/replay/replay.h)
//   devloop version
//   devloop help [command]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "apps/cli/cli_options.h"
#include "apps/cli/parser.h"
#include "apps/dev/commands.h"
#include "apps/dev/dev_command.h"
#include "apps/dev/exec_command.h"
#include "apps/replay/replay.h"
#include "infra/log/log.h"

namespace devloop {
namespace {

// Returns the log level of -v/--verbosity (infra/log/log.h says what each prints).
log::Level LogLevel(cli::Verbosity verbosity) {
  switch (verbosity) {
    case cli::Verbosity::kPanic:
    case cli::Verbosity::kFatal: return log::Level::kFatal;
    case cli::Verbosity::kError: return log::Level::kError;
    case cli::Verbosity::kWarning: return log::Level::kWarning;
    case cli::Verbosity::kInfo: return log::Level::kInfo;
    case cli::Verbosity::kDebug: return log::Level::kDebug;
    case cli::Verbosity::kTrace: return log::Level::kTrace;
  }
  return log::Level::kWarning;
}

int Main(int argc, char** argv) {
  log::Init(argv[0]);
  // Abseil's lock-order graph costs 1-3% of the API's CPU under load (every
  // Mutex acquisition looks itself up); the tests keep it on, and with TSan
  // they check the lock order of the same code.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<cli::CliOptions> options = cli::ParseCommandLine(argc, argv);
  if (!options.ok()) {
    std::cerr << "devloop: " << options.status().message() << "\n"
              << "Run 'devloop help' for usage.\n";
    return 2;
  }
  {
    std::map<std::string, std::string> env;
    if (const char* repo = std::getenv("SKAFFOLD_DEFAULT_REPO"); repo != nullptr) {
      env["SKAFFOLD_DEFAULT_REPO"] = repo;
    }
    cli::ApplyEnvironment(env, &*options);
  }
  if (options->help || options->command == cli::Command::kNone) {
    std::cout << cli::Usage(options->command);
    return options->help ? 0 : 2;
  }
  log::SetLevel(LogLevel(options->verbosity));
  // Under `bazel run`, work where the user ran it (where skaffold.yaml is).
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    if (::chdir(cwd) != 0) DEVLOOP_LOG(WARNING) << "cannot change directory to " << cwd;
  }
  switch (options->command) {
    case cli::Command::kVersion:
      std::cout << apps::kVersion << "\n";
      return 0;
    case cli::Command::kDev:
    case cli::Command::kDebug:
      return apps::RunDev(*options);
    case cli::Command::kDiagnose:
      return apps::RunDiagnose(*options);
    case cli::Command::kReplay:
      return replay::Run({.file = options->args.front(),
                          .output = options->replay_output == cli::ReplayOutput::kTable
                                        ? replay::Options::Output::kTable
                                        : replay::Options::Output::kJson},
                         std::cout, std::cerr);
    case cli::Command::kRun:
      return apps::RunRun(*options);
    case cli::Command::kBuild:
      return apps::RunBuild(*options);
    case cli::Command::kDeploy:
      return apps::RunDeploy(*options);
    case cli::Command::kDelete:
      return apps::RunDelete(*options);
    case cli::Command::kExec:
      return apps::RunExec(*options);
    case cli::Command::kVerify:
      return apps::RunVerify(*options);
    case cli::Command::kTest:
      return apps::RunTest(*options);
    case cli::Command::kNone:
      break;
  }
  return 2;
}

}  // namespace
}  // namespace devloop

int main(int argc, char** argv) { return devloop::Main(argc, argv); }
