// Glob patterns over slash-separated relative paths, as skaffold.yaml sync rules
// (`src`) and .dockerignore files write them.
//
//   *       any run of characters except '/'
//   ?       one character except '/'
//   [a-z]   one character of the class; [^a-z] or [!a-z] negates; never '/'
//   **      any number of directories: "a/**/b" matches "a/b" and "a/x/y/b";
//           "**/*.js" matches "x.js" and "d/x.js"; a trailing "a/**" matches
//           everything below "a"
//   \c      the character c itself
//
//   DEVLOOP_ASSIGN_OR_RETURN(Glob glob, Glob::Compile("static/**/*.css"));
//   if (glob.Matches("static/css/site.css")) ...
//   GlobMatch("*.go", "main.go");  // one-off; false for a malformed pattern
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

class Glob {
 public:
  // Parses `pattern`; InvalidArgument (naming the pattern and the offset) for an
  // unterminated character class, an empty class or a trailing backslash.
  static absl::StatusOr<Glob> Compile(absl::string_view pattern);

  // Returns whether the whole of `path` matches. `path` is used as given (clean
  // it first if it may hold "./" or "//").
  bool Matches(absl::string_view path) const;

  // Returns the leading directories of the pattern that hold no wildcard
  // ("static/css/*.css" -> "static/css", "*.go" -> ""): nothing outside them
  // can match, which lets a walker skip whole trees.
  const std::string& literal_prefix() const { return literal_prefix_; }

  const std::string& pattern() const { return pattern_; }
  bool operator==(const Glob& other) const { return pattern_ == other.pattern_; }

 private:
  enum class Kind : uint8_t { kChar, kStar, kAny, kClass, kAnyPath, kAnyDirs };
  struct Token {
    Kind kind;
    char c = 0;               // kChar
    bool negated = false;     // kClass
    std::string ranges;       // kClass: pairs lo,hi
  };

  Glob() = default;
  bool MatchClass(const Token& t, char c) const;

  std::string pattern_;
  std::string literal_prefix_;
  std::vector<Token> tokens_;
};

std::ostream& operator<<(std::ostream& os, const Glob& glob);

// Returns whether `path` matches `pattern`; false when the pattern is malformed
// (use Glob::Compile to learn why).
bool GlobMatch(absl::string_view pattern, absl::string_view path);

}  // namespace devloop::domain

#endif  // DEVLOOP_DOMAIN_PATHS_GLOB_H_
