// What the fuzzers share: an input split into parts, and a check that stops the
// run with a message (libFuzzer reports the abort as a crash with the input).
#ifndef DEVLOOP_TOOLS_FUZZ_FUZZ_CHECK_H_
#define DEVLOOP_TOOLS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace devloop::fuzz {

// Stops the run when a property the code promises does not hold.
#define FUZZ_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,      \
                   __LINE__, #cond);                                      \
      std::fprintf(stderr, "  %s\n", std::string(__VA_ARGS__).c_str());   \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

// Splits a fuzz input at lines that are exactly "%%": seeds stay readable text
// ("patterns\n%%\npaths"), and the fuzzer still reaches every split.
inline std::vector<std::string> SplitParts(absl::string_view input) {
  std::vector<std::string> parts;
  std::string current;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    if (line == "%%") {
      parts.push_back(std::move(current));
      current.clear();
      continue;
    }
    current.append(line.data(), line.size());
    current.push_back('\n');
  }
  if (!current.empty()) current.pop_back();  // the '\n' StrSplit did not see
  parts.push_back(std::move(current));
  return parts;
}

// The lines of `text`, empty ones kept.
inline std::vector<std::string> Lines(absl::string_view text) {
  return absl::StrSplit(text, '\n');
}

}  // namespace devloop::fuzz

#endif  // DEVLOOP_TOOLS_FUZZ_FUZZ_CHECK_H_
