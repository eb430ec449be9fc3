#include "infra/log/redact.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace devloop::log {
namespace {

// The name a flag or setting goes by: "--db.password" -> "db.password".
absl::string_view Bare(absl::string_view name) {
  while (absl::ConsumePrefix(&name, "-")) {
  }
  return name;
}

// The value of `arg` hidden if a NAME=VALUE in it has a secret NAME.
std::string RedactArg(absl::string_view arg) {
  size_t name_start = 0;
  for (size_t eq = arg.find('='); eq != absl::string_view::npos; eq = arg.find('=', eq + 1)) {
    if (LooksSecret(Bare(arg.substr(name_start, eq - name_start)))) {
      return std::string(arg.substr(0, eq + 1)) + kRedacted;
    }
    name_start = eq + 1;
  }
  return std::string(arg);
}

}  // namespace

bool LooksSecret(absl::string_view name) {
  for (absl::string_view word : absl::StrSplit(name, absl::ByAnyChar("_-./"))) {
    const std::string upper = absl::AsciiStrToUpper(word);
    for (const char* secret : {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}) {
      if (absl::StrContains(upper, secret)) return true;
    }
    if (absl::EndsWith(upper, "KEY")) return true;
  }
  return false;
}

std::vector<std::string> RedactArgv(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  bool hide_next = false;
  for (const std::string& arg : argv) {
    if (hide_next) {
      out.push_back(kRedacted);
      hide_next = false;
      continue;
    }
    out.push_back(RedactArg(arg));
    // "--token VALUE": a flag of its own whose value is the next argument.
    hide_next = absl::StartsWith(arg, "-") && arg.find('=') == std::string::npos &&
                LooksSecret(Bare(arg));
  }
  return out;
}

std::string DescribeCommand(const std::vector<std::string>& argv) {
  return absl::StrJoin(RedactArgv(argv), " ");
}

}  // namespace devloop::log
