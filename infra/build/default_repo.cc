#include "infra/build/default_repo.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace devloop::build {
namespace {

constexpr size_t kMaxNameLength = 255;

// The longest Google Cloud project id `segment` starts with: a lowercase
// letter, 4 to 28 of [a-z0-9-], then a lowercase letter or digit. 0 if none.
size_t ProjectIdLength(absl::string_view segment) {
  auto inner = [](char c) { return (c >= 'a' && c <= 'z') || absl::ascii_isdigit(c) || c == '-'; };
  auto last = [](char c) { return (c >= 'a' && c <= 'z') || absl::ascii_isdigit(c); };
  if (segment.empty() || !(segment[0] >= 'a' && segment[0] <= 'z')) return 0;
  size_t run = 1;
  while (run < segment.size() && run < 30 && inner(segment[run])) ++run;
  // The id is segment[0, n): n-1 >= 5 characters after the first, the last one
  // not a '-'; the longest such n within the run.
  for (size_t n = run; n >= 6; --n) {
    if (last(segment[n - 1])) return n;
  }
  return 0;
}

// "host/project/" (or "host/project" at the end of `name`): the prefix that
// Skaffold compares between a name and a nested-path repository. "" if `name`
// does not start that way.
std::string HostProjectPrefix(absl::string_view name) {
  size_t slash = name.find('/');
  if (slash == absl::string_view::npos || !IsRegistryHost(name.substr(0, slash))) return "";
  absl::string_view rest = name.substr(slash + 1);
  size_t n = ProjectIdLength(rest);
  if (n == 0) return "";
  if (n < rest.size() && rest[n] == '/') ++n;
  return std::string(name.substr(0, slash + 1 + n));
}

bool SupportsNestedPaths(absl::string_view prefix) {
  return absl::StrContains(prefix, "gcr.io") || absl::StrContains(prefix, "-docker.pkg.dev");
}

std::string Truncate(std::string name) {
  if (name.size() > kMaxNameLength) name.resize(kMaxNameLength);
  return name;
}

}  // namespace

bool IsRegistryHost(absl::string_view part) {
  if (const size_t colon = part.rfind(':');
      colon != absl::string_view::npos && (part.front() != '[' || part[colon - 1] == ']')) {
    const absl::string_view port = part.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) return false;
    part = part.substr(0, colon);
  }
  if (part.empty()) return false;
  if (part.front() == '[') {
    return part.size() > 2 && part.back() == ']' &&
           std::all_of(part.begin() + 1, part.end() - 1,
                       [](char c) { return absl::ascii_isxdigit(c) || c == ':'; });
  }
  for (absl::string_view label : absl::StrSplit(part, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

std::string ImageUnderRepo(absl::string_view default_repo, absl::string_view image) {
  if (default_repo.empty()) return std::string(image);
  // Split off "@digest", then a ":tag" after the last '/' (a ':' before it is a port).
  absl::string_view base = image;
  absl::string_view digest, tag;
  if (size_t at = base.find('@'); at != absl::string_view::npos) {
    digest = base.substr(at);
    base = base.substr(0, at);
  }
  const size_t last_slash = base.rfind('/');
  if (size_t colon = base.rfind(':');
      colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    tag = base.substr(colon);
    base = base.substr(0, colon);
  }
  std::string rewritten;
  if (absl::StartsWith(base, default_repo)) {
    rewritten = std::string(base);
  } else if (const std::string repo_prefix = HostProjectPrefix(default_repo);
             SupportsNestedPaths(repo_prefix)) {
    const std::string image_prefix = HostProjectPrefix(base);
    rewritten = image_prefix == repo_prefix
                    ? absl::StrCat(default_repo, "/", base.substr(image_prefix.size()))
                    : Truncate(absl::StrCat(default_repo, "/", base));
  } else {
    std::string escaped(base);
    for (char& c : escaped) {
      if (c == '/' || c == '.' || c == '_' || c == ':' || c == '@') c = '_';
    }
    rewritten = Truncate(absl::StrCat(default_repo, "/", escaped));
  }
  return absl::StrCat(rewritten, tag, digest);
}

}  // namespace devloop::build
