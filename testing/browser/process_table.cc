#include "testing/browser/process_table.h"

#include <dirent.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/e2e/files.h"

namespace devloop::browser {

std::vector<std::string> ProcessesMentioning(absl::string_view text) {
  std::vector<std::string> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return {"cannot read /proc"};
  while (dirent* entry = readdir(proc)) {
    int pid;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    // A process that exits meanwhile has no file left: skip it.
    absl::StatusOr<std::string> cmdline = e2e::ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    if (!cmdline.ok()) continue;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (absl::StrContains(*cmdline, text)) found.push_back(absl::StrCat(pid, ": ", *cmdline));
  }
  closedir(proc);
  return found;
}

std::vector<std::string> WaitUntilNoProcessMentions(absl::string_view text,
                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<std::string> left = ProcessesMentioning(text);
  while (!left.empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    left = ProcessesMentioning(text);
  }
  return left;
}

}  // namespace devloop::browser
