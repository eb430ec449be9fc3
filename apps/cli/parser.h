// devloop's command line: Skaffold's commands and flags, parsed into CliOptions.
//
// Not absl flags: devloop needs subcommands whose flags differ, short and long
// forms (-f/--filename), `--flag=value` and `--flag value`, booleans written
// `--auto-build` or `--auto-build=false`, repeatable lists (`-p a,b -p c`) and
// durations (`--status-check-deadline=2m`). The syntax is pflag's, as Skaffold
// users know it.
//
//   absl::StatusOr<CliOptions> options = ParseCommandLine(argc, argv);
//   if (!options.ok()) { std::cerr << options.status().message() << "\n"; return 2; }
//   if (options->help) { std::cout << Usage(options->command); return 0; }
//
// Free functions: thread-safe.
#ifndef DEVLOOP_APPS_CLI_PARSER_H_
#define DEVLOOP_APPS_CLI_PARSER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/cli/cli_options.h"

namespace devloop::cli {

// Parses `args` (the command line without the program name). The first word that
// is not a flag names the command; flags may come before or after it. Returns
// InvalidArgument, with a message naming the offending word and, when one is
// close, the command or flag that was probably meant, for: an unknown command or
// flag, a flag the command does not take, a missing or malformed value, or an
// extra argument. `--help`, `-h` and `help [COMMAND]` set `help`; the other
// words must still be valid.
absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string>& args);

// Same, from main()'s arguments (argv[0] is skipped).
absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv);

// Fills what the command line left unset from the environment, as Skaffold
// does: the default repository from SKAFFOLD_DEFAULT_REPO (`--default-repo=""`
// on the command line wins, meaning none). devloop has no global config file
// (Skaffold's ~/.skaffold/config), so that third source does not exist here.
void ApplyEnvironment(const std::map<std::string, std::string>& env, CliOptions* options);

// Returns the help text of `command` (its purpose, usage line, and each flag with
// its default); for Command::kNone, the list of commands.
std::string Usage(Command command);

}  // namespace devloop::cli

#endif  // DEVLOOP_APPS_CLI_PARSER_H_
