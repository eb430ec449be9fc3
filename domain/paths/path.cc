#include "domain/paths/path.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::domain {

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<absl::string_view> out;
  size_t climbs = 0;  // leading ".." elements kept in `out` (relative paths only)
  for (absl::string_view element : absl::StrSplit(path, '/')) {
    if (element.empty() || element == ".") continue;
    if (element == "..") {
      if (out.size() > climbs) {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(element);
        ++climbs;
      }
      continue;
    }
    out.push_back(element);
  }
  std::string joined = absl::StrJoin(out, "/");
  if (rooted) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return CleanPath(b);
  if (b.empty()) return CleanPath(a);
  return CleanPath(absl::StrCat(a, "/", b));
}

std::string ResolvePath(absl::string_view base, absl::string_view path) {
  if (base.empty() || (!path.empty() && path.front() == '/')) return CleanPath(path);
  return CleanPath(absl::StrCat(base, "/", path));
}

bool EscapesRoot(absl::string_view path) {
  std::string clean = CleanPath(path);
  return clean == ".." || absl::StartsWith(clean, "../");
}

bool IsInside(absl::string_view dir, absl::string_view path) {
  std::string d = CleanPath(dir);
  std::string p = CleanPath(path);
  if (d == ".") return !p.empty() && p.front() != '/' && !EscapesRoot(p);
  if (p == d) return true;
  if (d == "/") return p.front() == '/';
  return p.size() > d.size() && absl::StartsWith(p, d) && p[d.size()] == '/';
}

absl::StatusOr<std::string> RelativeTo(absl::string_view dir, absl::string_view path) {
  if (!IsInside(dir, path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path, "\" is not inside directory \"", dir, "\""));
  }
  std::string d = CleanPath(dir);
  std::string p = CleanPath(path);
  if (p == d) return std::string(".");
  if (d == ".") return p;
  if (d == "/") return p.substr(1);
  return p.substr(d.size() + 1);
}

std::vector<std::string> SplitPath(absl::string_view path) {
  std::string clean = CleanPath(path);
  std::vector<std::string> out;
  if (clean == ".") return out;
  for (absl::string_view e : absl::StrSplit(clean, '/', absl::SkipEmpty())) {
    out.emplace_back(e);
  }
  return out;
}

std::string DirName(absl::string_view path) {
  std::string clean = CleanPath(path);
  size_t slash = clean.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return clean.substr(0, slash);
}

std::string BaseName(absl::string_view path) {
  std::string clean = CleanPath(path);
  if (clean == "/") return "/";
  size_t slash = clean.rfind('/');
  return slash == std::string::npos ? clean : clean.substr(slash + 1);
}

}  // namespace devloop::domain
