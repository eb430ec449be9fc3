// Glob patterns over slash-separated relative paths, as skaffold.yaml (sync
// `src`, COPY sources for sync.infer) and .dockerignore files write them. One
// matcher serves both; they differ only in how they spell '**' (GlobSyntax).
//
//   *       any run of characters except '/'
//   ?       one character except '/'
//   [a-z]   one character of the class; [^a-z] or [!a-z] negates; never '/'
//   **      any number of directories: "a/**/b" matches "a/b" and "a/x/y/b";
//           "**/*.js" matches "x.js" and "d/x.js"; a trailing "a/**" matches
//           everything below "a" (see GlobSyntax for the differences)
//   \c      the character c itself
//
//   DEVLOOP_ASSIGN_OR_RETURN(Glob glob, Glob::Compile("static/**/*.css"));
//   if (glob.Matches("static/css/site.css")) ...
//   GlobMatch("*.go", "main.go");  // one-off; false for a malformed pattern
//   HasGlobMeta("src/*.js");       // true: a pattern, not a literal path
//
// Glob is an immutable value: thread-safe.
#ifndef DEVLOOP_DOMAIN_PATHS_GLOB_H_
#define DEVLOOP_DOMAIN_PATHS_GLOB_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::domain {

// How a pattern spells '**'; everything else is the same in both.
enum class GlobSyntax : uint8_t {
  // Skaffold's: Go's filepath.Match plus doublestar's '**', which Skaffold uses
  // for sync rules. '**' is special only as a whole path element ("**/x",
  // "a/**/b", "a/**", "**"); anywhere else it is one '*' ("**.go" is "*.go").
  // A trailing "a/**" also matches "a" itself, which may be a directory.
  kSkaffold,
  // The Docker Engine's .dockerignore: '**' anywhere is "any run of whole
  // directories" ("**.go" matches ".go" and "x/.go", not "main.go"), and a
  // trailing '**' is anything at all; "a/**" does not match "a".
  kDockerIgnore,
};

class Glob {
 public:
  // Parses `pattern`; InvalidArgument (naming the pattern and the offset) for an
  // unterminated character class, an empty class or a trailing backslash.
  static absl::StatusOr<Glob> Compile(absl::string_view pattern,
                                      GlobSyntax syntax = GlobSyntax::kSkaffold);

  // Returns whether the whole of `path` matches. `path` is used as given (clean
  // it first if it may hold "./" or "//").
  bool Matches(absl::string_view path) const;

  // Returns the leading directories of the pattern that hold no wildcard
  // ("static/css/*.css" -> "static/css", "*.go" -> ""): nothing outside them
  // can match, which lets a walker skip whole trees.
  const std::string& literal_prefix() const { return literal_prefix_; }

  const std::string& pattern() const { return pattern_; }
  GlobSyntax syntax() const { return syntax_; }
  bool operator==(const Glob& other) const {
    return pattern_ == other.pattern_ && syntax_ == other.syntax_;
  }

 private:
  enum class Kind : uint8_t { kChar, kStar, kAny, kClass, kAnyPath, kAnyDirs, kAnySubpath };
  struct Token {
    Kind kind;
    char c = 0;               // kChar
    bool negated = false;     // kClass
    std::string ranges;       // kClass: pairs lo,hi
  };

  Glob() = default;
  bool MatchClass(const Token& t, char c) const;

  std::string pattern_;
  GlobSyntax syntax_ = GlobSyntax::kSkaffold;
  std::string literal_prefix_;
  std::vector<Token> tokens_;
};

std::ostream& operator<<(std::ostream& os, const Glob& glob);

// Returns whether `path` matches `pattern`; false when the pattern is malformed
// (use Glob::Compile to learn why).
bool GlobMatch(absl::string_view pattern, absl::string_view path,
               GlobSyntax syntax = GlobSyntax::kSkaffold);

// Returns whether `s` holds '*', '?' or '[', that is whether Docker's COPY and
// Skaffold treat it as a pattern rather than as a literal path.
bool HasGlobMeta(absl::string_view s);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PATHS_GLOB_H_
