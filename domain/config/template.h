// A small evaluator for the Go-template subset Skaffold allows in config values
// (envTemplate tags, image names, buildArgs): text with `{{ ... }}` actions.
//
// An action is a pipeline of commands separated by `|`; each command is a
// variable `.NAME`, a string literal `"text"` (with \" \\ \n \t escapes), or a call
// of a supported function: `default DEFAULT VALUE` (VALUE when it is not empty,
// else DEFAULT), `upper X`, `lower X`, `trim X`. In a pipeline the previous value
// is passed as the last argument, as in Go: `{{.TAG | default "latest"}}`.
// `{{-` and `-}}` trim the whitespace beside the action, as in Go.
//
// Variables come from one map (the environment plus what the caller adds, such
// as IMAGE_NAME). A variable missing from the map prints "<no value>", as Go's
// text/template does for Skaffold, except as an argument of `default`, where it
// counts as empty.
//
//   absl::StatusOr<Template> t = ParseTemplate("{{.IMAGE_NAME}}:{{.USER}}");
//   absl::StatusOr<std::string> tag = t->Evaluate({{"IMAGE_NAME", "web"}, {"USER", "ana"}});
//
// Thread-compatible; Evaluate is const and may run concurrently.
#ifndef DEVLOOP_DOMAIN_CONFIG_TEMPLATE_H_
#define DEVLOOP_DOMAIN_CONFIG_TEMPLATE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::config {

// The text Go prints for a missing map key.
inline constexpr absl::string_view kNoValue = "<no value>";

class Template {
 public:
  // One argument of a command: a variable or a literal.
  struct Operand {
    enum class Kind { kVariable, kLiteral, kPipedValue };
    Kind kind = Kind::kLiteral;
    std::string text;  // variable name (without the dot) or literal value
  };
  // A function call; a lone operand is the call of "" with one argument.
  struct Command {
    std::string function;
    std::vector<Operand> args;
  };
  struct Piece {
    std::string text;               // literal text, when commands is empty
    std::vector<Command> pipeline;  // an action
  };

  // Returns the text with every action evaluated. Fails only on a function given
  // the wrong number of arguments (which ParseTemplate already rejects).
  absl::StatusOr<std::string> Evaluate(const std::map<std::string, std::string>& vars) const;

  // Returns the variable names the template reads, in order of first use.
  std::vector<std::string> Variables() const;

  // Returns true when the template has no action (the text is used as is).
  bool IsLiteral() const;

 private:
  friend absl::StatusOr<Template> ParseTemplate(absl::string_view text);
  std::vector<Piece> pieces_;
};

// Parses `text`. Errors are InvalidArgument and say what was expected and at which
// 0-based byte offset, e.g. `unclosed action "{{" at offset 4`.
absl::StatusOr<Template> ParseTemplate(absl::string_view text);

// Parses and evaluates in one step.
absl::StatusOr<std::string> ExpandTemplate(absl::string_view text,
                                           const std::map<std::string, std::string>& vars);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_TEMPLATE_H_
