// libFuzzer target for .dockerignore files and glob matching (domain/paths).
// Input: a .dockerignore text, a "%%" line, then one path per line.
//
// Besides "no crash, no UB, no leak", it checks what the matchers promise:
//   - CanSkipDirectory(d) means every path below d is excluded (a walker that
//     skips d must not lose a file the build context should hold);
//   - the cleaned patterns() parse back into a matcher that decides every path
//     the same way;
//   - a glob matches nothing outside its literal_prefix(), and a pattern
//     without metacharacters matches only itself;
//   - matching is deterministic (a compiled glob and GlobMatch agree).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/paths/dockerignore.h"
#include "domain/paths/glob.h"
#include "domain/paths/path.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

using ::devloop::domain::CleanPath;
using ::devloop::domain::DockerIgnore;
using ::devloop::domain::Glob;
using ::devloop::domain::GlobMatch;
using ::devloop::domain::GlobSyntax;
using ::devloop::domain::HasGlobMeta;

void CheckGlob(const std::string& pattern, const std::vector<std::string>& paths,
               GlobSyntax syntax) {
  absl::StatusOr<Glob> glob = Glob::Compile(pattern, syntax);
  if (!glob.ok()) {
    for (const std::string& path : paths) {
      FUZZ_CHECK(!GlobMatch(pattern, path, syntax), "a malformed pattern matched");
    }
    return;
  }
  const bool literal = !HasGlobMeta(pattern) && pattern.find('\\') == std::string::npos;
  for (const std::string& path : paths) {
    const bool matches = glob->Matches(path);
    FUZZ_CHECK(matches == GlobMatch(pattern, path, syntax),
               absl::StrCat("Glob and GlobMatch disagree on ", pattern, " / ", path));
    if (matches && !glob->literal_prefix().empty()) {
      FUZZ_CHECK(path.rfind(glob->literal_prefix() + "/", 0) == 0 ||
                     path == glob->literal_prefix(),
                 absl::StrCat("pattern \"", pattern, "\" matched \"", path,
                              "\" outside its literal prefix \"", glob->literal_prefix(), "\""));
    }
    if (literal && syntax == GlobSyntax::kSkaffold) {
      FUZZ_CHECK(matches == (path == pattern),
                 absl::StrCat("literal pattern \"", pattern, "\" vs \"", path, "\""));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts =
      devloop::fuzz::SplitParts(absl::string_view(reinterpret_cast<const char*>(data), size));
  const std::string& text = parts[0];
  std::vector<std::string> paths;
  for (size_t i = 1; i < parts.size(); ++i) {
    for (std::string& line : devloop::fuzz::Lines(parts[i])) paths.push_back(std::move(line));
  }
  if (paths.size() > 64) paths.resize(64);  // keeps one input fast

  for (const std::string& line : devloop::fuzz::Lines(text)) {
    CheckGlob(line, paths, GlobSyntax::kSkaffold);
    CheckGlob(line, paths, GlobSyntax::kDockerIgnore);
  }

  absl::StatusOr<DockerIgnore> ignore = DockerIgnore::Parse(text);
  if (!ignore.ok()) return 0;
  absl::StatusOr<DockerIgnore> again = DockerIgnore::FromPatterns(ignore->patterns());
  FUZZ_CHECK(again.ok(), absl::StrCat("patterns() do not parse back: ", again.status().ToString()));
  for (const std::string& path : paths) {
    const bool excluded = ignore->Excludes(path);
    FUZZ_CHECK(excluded == again->Excludes(path),
               absl::StrCat("patterns() decide \"", path, "\" differently"));
    // Every directory above the path (as the walker sees it, cleaned).
    const std::string clean = CleanPath(path);
    if (clean == "." || clean.front() == '/' || clean.rfind("..", 0) == 0) continue;
    for (size_t slash = clean.find('/'); slash != std::string::npos;
         slash = clean.find('/', slash + 1)) {
      const std::string dir = clean.substr(0, slash);
      if (ignore->CanSkipDirectory(dir)) {
        FUZZ_CHECK(ignore->Excludes(clean),
                   absl::StrCat("CanSkipDirectory(\"", dir, "\") but \"", clean,
                                "\" is not excluded"));
      }
    }
  }
  return 0;
}
