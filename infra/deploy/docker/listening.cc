#include "infra/deploy/docker/listening.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace devloop::deploy {
namespace {

constexpr absl::string_view kListen = "0A";  // TCP_LISTEN in the "st" column

}  // namespace

bool TableListensOn(absl::string_view table, uint32_t port) {
  bool header = true;
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipWhitespace())) {
    if (header) {  // "  sl  local_address rem_address   st ..."
      header = false;
      continue;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() < 4 || fields[3] != kListen) continue;
    // local_address: "0100007F:DACC" (IPv4) or 32 hex digits ":" port (IPv6).
    const size_t colon = fields[1].rfind(':');
    if (colon == absl::string_view::npos) continue;
    uint32_t local = 0;
    if (absl::SimpleHexAtoi(fields[1].substr(colon + 1), &local) && local == port) return true;
  }
  return false;
}

std::optional<bool> ListensOn(int pid, uint32_t port) {
  if (pid <= 0) return std::nullopt;
  bool read_any = false;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad()) continue;
    read_any = true;
    if (TableListensOn(text.str(), port)) return true;
  }
  if (!read_any) return std::nullopt;
  return false;
}

}  // namespace devloop::deploy
