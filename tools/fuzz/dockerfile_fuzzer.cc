// libFuzzer target for the Dockerfile reader of sync.infer
// (domain/config/dockerfile.h). Input: Dockerfile text, optionally a "%%" line
// and the target stage's name.
//
// Checks: no crash, UB, leak or hang; the same text gives the same answer; the
// answer keeps its promise that WORKDIR and every COPY/ADD destination are
// absolute and clean, and that a COPY has a source.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/config/dockerfile.h"
#include "domain/paths/path.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

bool AbsoluteAndClean(const std::string& path) {
  return !path.empty() && path.front() == '/' &&
         devloop::domain::CleanPath(path) == path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts =
      devloop::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size));
  const std::string target = parts.size() > 1 ? parts[1] : "";
  absl::StatusOr<devloop::config::DockerfileInfo> info =
      devloop::config::ParseDockerfile(parts[0], target);
  absl::StatusOr<devloop::config::DockerfileInfo> again =
      devloop::config::ParseDockerfile(parts[0], target);
  FUZZ_CHECK(info.status() == again.status(), "two parses disagree on the status");
  if (!info.ok()) {
    FUZZ_CHECK(!info.status().message().empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(*info == *again, "two parses disagree");
  FUZZ_CHECK(info->workdir.empty() || AbsoluteAndClean(info->workdir),
             absl::StrCat("WORKDIR \"", info->workdir, "\" is not absolute and clean"));
  for (const devloop::config::DockerCopy& copy : info->copies) {
    FUZZ_CHECK(!copy.srcs.empty(), "a COPY without a source");
    // A trailing '/' says "a directory" and is kept; the rest is clean.
    std::string dest = copy.dest;
    if (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    FUZZ_CHECK(AbsoluteAndClean(dest),
               absl::StrCat("COPY destination \"", copy.dest, "\" is not absolute and clean"));
  }
  return 0;
}
