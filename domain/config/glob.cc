#include "domain/config/glob.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::config {
namespace {

// Matches one segment (no "/") against one pattern segment.
bool MatchSegment(absl::string_view p, absl::string_view s) {
  size_t pi = 0, si = 0;
  size_t star_p = absl::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      // A class; an unclosed "[" is taken literally.
      const size_t close = p.find(']', pi + 2);
      if (close != absl::string_view::npos) {
        absl::string_view cls = p.substr(pi + 1, close - pi - 1);
        bool negate = !cls.empty() && (cls[0] == '!' || cls[0] == '^');
        if (negate) cls.remove_prefix(1);
        bool hit = false;
        for (size_t k = 0; k < cls.size(); ++k) {
          if (k + 2 < cls.size() && cls[k + 1] == '-') {
            hit = hit || (cls[k] <= s[si] && s[si] <= cls[k + 2]);
            k += 2;
          } else {
            hit = hit || cls[k] == s[si];
          }
        }
        if (hit != negate) {
          pi = close + 1;
          ++si;
          continue;
        }
      } else if (s[si] == '[') {
        ++pi;
        ++si;
        continue;
      }
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
      continue;
    }
    if (star_p == absl::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool MatchSegments(const std::vector<absl::string_view>& p, size_t pi,
                   const std::vector<absl::string_view>& s, size_t si) {
  while (pi < p.size()) {
    if (p[pi] == "**") {
      // Collapse runs of "**", then try every split point.
      while (pi + 1 < p.size() && p[pi + 1] == "**") ++pi;
      if (pi + 1 == p.size()) return true;
      for (size_t k = si; k <= s.size(); ++k) {
        if (MatchSegments(p, pi + 1, s, k)) return true;
      }
      return false;
    }
    if (si == s.size() || !MatchSegment(p[pi], s[si])) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

bool MatchGlob(absl::string_view pattern, absl::string_view path) {
  const std::string p = CleanPath(pattern);
  const std::string s = CleanPath(path);
  std::vector<absl::string_view> ps = absl::StrSplit(p, '/');
  std::vector<absl::string_view> ss = absl::StrSplit(s, '/');
  return MatchSegments(ps, 0, ss, 0);
}

bool HasGlobMeta(absl::string_view s) {
  return s.find_first_of("*?[") != absl::string_view::npos;
}

std::string CleanPath(absl::string_view path) {
  const bool absolute = !path.empty() && path[0] == '/';
  std::vector<absl::string_view> out;
  for (absl::string_view seg : absl::StrSplit(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!absolute) {
        out.push_back(seg);
      }
      continue;
    }
    out.push_back(seg);
  }
  std::string joined = absl::StrJoin(out, "/");
  if (absolute) return "/" + joined;
  return joined.empty() ? "." : joined;
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (!b.empty() && b[0] == '/') return CleanPath(b);
  if (a.empty()) return CleanPath(b);
  return CleanPath(std::string(a) + "/" + std::string(b));
}

}  // namespace devloop::config
