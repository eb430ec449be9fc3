// Keeps secrets out of logs and events: a command line is printed with the
// values of secret-looking settings hidden.
//
//   RedactArgv({"helm", "template", "--set", "db.password=hunter2"})
//   // {"helm", "template", "--set", "db.password=<redacted>"}
//   RedactArgv({"kubectl", "--token", "abc", "get", "pods"})
//   // {"kubectl", "--token", "<redacted>", "get", "pods"}
//
// A name looks secret when one of its words (split at '_', '-', '.', '/')
// contains TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL, or ends with KEY
// (API_KEY, apikey), in any case. Hiding too much is the safe side.
//
// Thread-safe (pure functions).
#ifndef DEVLOOP_INFRA_LOG_REDACT_H_
#define DEVLOOP_INFRA_LOG_REDACT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace devloop::log {

inline constexpr char kRedacted[] = "<redacted>";

// Returns whether a variable, flag or setting called `name` holds a secret.
bool LooksSecret(absl::string_view name);

// Returns `argv` with every secret value replaced by kRedacted: NAME=VALUE
// (also as --flag=NAME=VALUE or --NAME=VALUE) and `--NAME VALUE` pairs.
std::vector<std::string> RedactArgv(const std::vector<std::string>& argv);

// Returns RedactArgv(argv) joined with spaces, for a log line.
std::string DescribeCommand(const std::vector<std::string>& argv);

}  // namespace devloop::log

#endif  // DEVLOOP_INFRA_LOG_REDACT_H_
