#include "domain/paths/dockerignore.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/paths/path.h"

namespace devloop::domain {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Cleans one pattern line and compiles it; `where` names it in errors.
absl::StatusOr<std::pair<Glob, bool>> CompileRule(absl::string_view line,
                                                  absl::string_view where) {
  line = absl::StripAsciiWhitespace(line);
  const bool exception = absl::ConsumePrefix(&line, "!");
  if (exception) line = absl::StripAsciiWhitespace(line);
  if (line.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": illegal exclusion pattern \"!\" (it names nothing)"));
  }
  std::string clean = CleanPath(line);
  if (clean.size() > 1 && clean.front() == '/') clean.erase(0, 1);
  absl::StatusOr<Glob> glob = Glob::Compile(clean, GlobSyntax::kDockerIgnore);
  if (!glob.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", glob.status().message()));
  }
  return std::make_pair(*std::move(glob), exception);
}

}  // namespace

absl::StatusOr<DockerIgnore> DockerIgnore::Parse(absl::string_view contents,
                                                 absl::string_view source) {
  DockerIgnore ignore;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    if (line_number == 1) absl::ConsumePrefix(&line, kUtf8Bom);
    // Docker drops comments before trimming: " # x" is a pattern, "# x" is not.
    if (absl::StartsWith(line, "#")) continue;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<std::pair<Glob, bool>> rule =
        CompileRule(line, absl::StrCat(source, ":", line_number));
    if (!rule.ok()) return rule.status();
    ignore.rules_.push_back(Rule{std::move(rule->first), rule->second});
  }
  return ignore;
}

absl::StatusOr<DockerIgnore> DockerIgnore::FromPatterns(
    const std::vector<std::string>& patterns) {
  DockerIgnore ignore;
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (absl::StripAsciiWhitespace(patterns[i]).empty()) continue;
    absl::StatusOr<std::pair<Glob, bool>> rule =
        CompileRule(patterns[i], absl::StrCat("dockerignore pattern ", i + 1));
    if (!rule.ok()) return rule.status();
    ignore.rules_.push_back(Rule{std::move(rule->first), rule->second});
  }
  return ignore;
}

bool DockerIgnore::Excludes(absl::string_view path) const {
  if (rules_.empty()) return false;
  const std::string file = CleanPath(path);
  // The parent directories, shortest first: "a", "a/b" for "a/b/c".
  std::vector<absl::string_view> parents;
  for (size_t i = 0; i < file.size(); ++i) {
    if (file[i] == '/' && i > 0) parents.push_back(absl::string_view(file).substr(0, i));
  }
  bool excluded = false;
  for (const Rule& rule : rules_) {
    // A rule can only flip the outcome: skip exclusions once excluded and
    // exceptions while included.
    if (rule.exception != excluded) continue;
    bool match = rule.glob.Matches(file);
    for (size_t i = 0; !match && i < parents.size(); ++i) match = rule.glob.Matches(parents[i]);
    if (match) excluded = !rule.exception;
  }
  return excluded;
}

bool DockerIgnore::CanSkipDirectory(absl::string_view dir) const {
  if (!Excludes(dir)) return false;
  const std::string clean = CleanPath(dir);
  for (const Rule& rule : rules_) {
    if (!rule.exception) continue;
    const std::string& prefix = rule.glob.literal_prefix();
    // An exception rooted inside `dir`, or above it with wildcards that could
    // reach into it, may re-include something below.
    if (prefix.empty() || IsInside(clean, prefix) || IsInside(prefix, clean)) return false;
  }
  return true;
}

std::vector<std::string> DockerIgnore::patterns() const {
  std::vector<std::string> out;
  out.reserve(rules_.size());
  for (const Rule& r : rules_) {
    // Written so that FromPatterns reads the same rule back: parsing trims
    // whitespace and takes a leading '!' as an exception, so a glob that starts
    // with either gets "./" and one that ends in whitespace gets "/" (cleaning
    // removes both).
    std::string p = r.glob.pattern();
    if (!p.empty() && (p.front() == '!' || absl::ascii_isspace(p.front()))) p.insert(0, "./");
    if (!p.empty() && absl::ascii_isspace(p.back())) p.push_back('/');
    out.push_back(r.exception ? absl::StrCat("!", p) : std::move(p));
  }
  return out;
}

}  // namespace devloop::domain
