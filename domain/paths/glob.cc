#include "domain/paths/glob.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace devloop::domain {
namespace {

bool IsMeta(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

absl::Status BadPattern(absl::string_view pattern, size_t offset, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed glob \"", pattern, "\" at offset ", offset, ": ", why));
}

}  // namespace

absl::StatusOr<Glob> Glob::Compile(absl::string_view pattern, GlobSyntax syntax) {
  Glob glob;
  glob.pattern_ = std::string(pattern);
  glob.syntax_ = syntax;
  const size_t n = pattern.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = pattern[i];
    if (c == '*') {
      const bool doubled = i + 1 < n && pattern[i + 1] == '*';
      // Skaffold (doublestar) honours '**' only as a whole path element.
      const bool whole_element = doubled && (i == 0 || pattern[i - 1] == '/') &&
                                 (i + 2 == n || pattern[i + 2] == '/');
      if (doubled && syntax == GlobSyntax::kDockerIgnore) {
        ++i;
        // "**/" is "**" followed by nothing more to eat: any run of whole
        // directories, possibly none. "**" at the end matches anything at all.
        if (i + 1 < n && pattern[i + 1] == '/') ++i;
        glob.tokens_.push_back({i + 1 == n ? Kind::kAnyPath : Kind::kAnyDirs});
      } else if (doubled && whole_element) {
        if (i + 2 < n) {
          glob.tokens_.push_back({Kind::kAnyDirs});
          i += 2;  // the loop steps past the '/' that ends the element
        } else if (glob.tokens_.size() >= 2 && glob.tokens_.back().kind == Kind::kChar &&
                   glob.tokens_.back().c == '/') {
          // "a/**" takes "a" too: the '/' before "**" becomes optional.
          glob.tokens_.back() = {Kind::kAnySubpath};
          ++i;
        } else {
          glob.tokens_.push_back({Kind::kAnyPath});
          ++i;
        }
      } else {
        while (i + 1 < n && pattern[i + 1] == '*') ++i;  // a run of '*' is one '*'
        glob.tokens_.push_back({Kind::kStar});
      }
    } else if (c == '?') {
      glob.tokens_.push_back({Kind::kAny});
    } else if (c == '\\') {
      if (i + 1 == n) return BadPattern(pattern, i, "trailing backslash escapes nothing");
      glob.tokens_.push_back({Kind::kChar, pattern[++i]});
    } else if (c == '[') {
      Token t{Kind::kClass};
      size_t j = i + 1;
      if (j < n && (pattern[j] == '^' || pattern[j] == '!')) {
        t.negated = true;
        ++j;
      }
      bool closed = false;
      while (j < n) {
        char lo = pattern[j];
        if (lo == ']' && !t.ranges.empty()) {
          closed = true;
          break;
        }
        if (lo == '\\') {
          if (++j == n) break;
          lo = pattern[j];
        }
        char hi = lo;
        if (j + 2 < n && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
          j += 2;
          hi = pattern[j];
          if (hi == '\\') {
            if (++j == n) break;
            hi = pattern[j];
          }
          if (hi < lo) return BadPattern(pattern, j, "character range is reversed");
        }
        t.ranges.push_back(lo);
        t.ranges.push_back(hi);
        ++j;
      }
      if (!closed) return BadPattern(pattern, i, "character class has no closing ']'");
      glob.tokens_.push_back(std::move(t));
      i = j;
    } else {
      glob.tokens_.push_back({Kind::kChar, c});
    }
  }
  // The literal prefix: whole leading directories without any wildcard.
  size_t last_slash = absl::string_view::npos;
  for (size_t i = 0; i < n && !IsMeta(pattern[i]); ++i) {
    if (pattern[i] == '/') last_slash = i;
  }
  bool all_literal = true;
  for (char c : pattern) all_literal = all_literal && !IsMeta(c);
  if (all_literal) {
    glob.literal_prefix_ = std::string(pattern);
  } else if (last_slash != absl::string_view::npos) {
    glob.literal_prefix_ = std::string(pattern.substr(0, last_slash));
  }
  return glob;
}

bool Glob::MatchClass(const Token& t, char c) const {
  if (c == '/') return false;
  bool in = false;
  for (size_t k = 0; k + 1 < t.ranges.size(); k += 2) {
    if (t.ranges[k] <= c && c <= t.ranges[k + 1]) {
      in = true;
      break;
    }
  }
  return in != t.negated;
}

bool Glob::Matches(absl::string_view path) const {
  // A table walk over (token, offset) instead of backtracking: each token
  // maps the set of reachable offsets to the next set in one linear sweep, so
  // matching costs O(tokens * length) whatever the pattern.
  const size_t np = path.size();
  // reach[j]: the tokens so far can consume exactly path[0, j).
  std::vector<char> reach(np + 1, 0), next(np + 1, 0);
  reach[0] = 1;
  for (const Token& tok : tokens_) {
    std::fill(next.begin(), next.end(), 0);
    bool on = false;  // a wildcard run that is still open at offset j
    for (size_t j = 0; j <= np; ++j) {
      const bool at_end = j == np;
      switch (tok.kind) {
        case Kind::kChar:
          if (reach[j] && !at_end && path[j] == tok.c) next[j + 1] = 1;
          break;
        case Kind::kAny:
          if (reach[j] && !at_end && path[j] != '/') next[j + 1] = 1;
          break;
        case Kind::kClass:
          if (reach[j] && !at_end && MatchClass(tok, path[j])) next[j + 1] = 1;
          break;
        case Kind::kStar:  // any run without '/'
          on = on || reach[j];
          if (on) next[j] = 1;
          if (!at_end && path[j] == '/') on = false;
          break;
        case Kind::kAnyPath:  // anything at all
          on = on || reach[j];
          if (on) next[j] = 1;
          break;
        case Kind::kAnyDirs:  // nothing, or any run that ends with '/'
          if (reach[j]) next[j] = 1;
          on = on || reach[j];
          if (on && !at_end && path[j] == '/') next[j + 1] = 1;
          break;
        case Kind::kAnySubpath:  // nothing, or '/' and anything after it
          if (on || reach[j]) next[j] = 1;
          if (reach[j] && !at_end && path[j] == '/') on = true;
          break;
      }
    }
    reach.swap(next);
  }
  return reach[np] != 0;
}

std::ostream& operator<<(std::ostream& os, const Glob& glob) {
  os << "Glob(\"" << glob.pattern() << "\"";
  switch (glob.syntax()) {
    case GlobSyntax::kSkaffold:
      break;
    case GlobSyntax::kDockerIgnore:
      os << ", dockerignore";
      break;
  }
  return os << ")";
}

bool GlobMatch(absl::string_view pattern, absl::string_view path, GlobSyntax syntax) {
  absl::StatusOr<Glob> glob = Glob::Compile(pattern, syntax);
  return glob.ok() && glob->Matches(path);
}

bool HasGlobMeta(absl::string_view s) {
  return s.find_first_of("*?[") != absl::string_view::npos;
}

}  // namespace devloop::domain
