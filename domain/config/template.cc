#include "domain/config/template.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/base/status_macros.h"

namespace devloop::config {
namespace {

using Operand = Template::Operand;
using Command = Template::Command;

// The number of arguments each function takes, the piped value included.
std::optional<int> Arity(absl::string_view function) {
  if (function == "default") return 2;
  if (function == "upper" || function == "lower" || function == "trim") return 1;
  return std::nullopt;
}

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

absl::Status ErrorAt(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " at offset ", offset));
}

// Parses the inside of one action, which starts at `base` in the whole text.
class ActionParser {
 public:
  ActionParser(absl::string_view action, size_t base) : s_(action), base_(base) {}

  absl::StatusOr<std::vector<Command>> Parse() {
    std::vector<Command> pipeline;
    while (true) {
      DEVLOOP_ASSIGN_OR_RETURN(Command command, ParseCommand(!pipeline.empty()));
      pipeline.push_back(std::move(command));
      SkipSpace();
      if (i_ == s_.size()) break;
      if (s_[i_] != '|') return ErrorAt(base_ + i_, "expected \"|\" or \"}}\"");
      ++i_;
    }
    return pipeline;
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && absl::ascii_isspace(s_[i_])) ++i_;
  }

  absl::StatusOr<Command> ParseCommand(bool piped) {
    Command command;
    const size_t start = i_;
    SkipSpace();
    if (i_ < s_.size() && IsIdentStart(s_[i_])) {
      const size_t name_at = i_;
      while (i_ < s_.size() && IsIdentChar(s_[i_])) ++i_;
      command.function = std::string(s_.substr(name_at, i_ - name_at));
      if (!Arity(command.function)) {
        return ErrorAt(base_ + name_at,
                       absl::StrCat("unknown function \"", command.function,
                                    "\" (supported: default, upper, lower, trim)"));
      }
    }
    while (true) {
      SkipSpace();
      if (i_ == s_.size() || s_[i_] == '|') break;
      DEVLOOP_ASSIGN_OR_RETURN(Operand operand, ParseOperand());
      command.args.push_back(std::move(operand));
    }
    if (command.function.empty() && command.args.empty()) {
      return ErrorAt(base_ + start, "empty command");
    }
    if (piped) command.args.push_back(Operand{Operand::Kind::kPipedValue, ""});
    if (command.function.empty()) {
      if (command.args.size() > 1) {
        return ErrorAt(base_ + start, "expected one value or a function call");
      }
    } else if (static_cast<int>(command.args.size()) != *Arity(command.function)) {
      return ErrorAt(base_ + start,
                     absl::StrCat("function \"", command.function, "\" takes ",
                                  *Arity(command.function), " argument(s), got ",
                                  command.args.size()));
    }
    return command;
  }

  absl::StatusOr<Operand> ParseOperand() {
    const char c = s_[i_];
    if (c == '.') {
      const size_t at = i_++;
      const size_t name_at = i_;
      while (i_ < s_.size() && IsIdentChar(s_[i_])) ++i_;
      if (name_at == i_ || !IsIdentStart(s_[name_at])) {
        return ErrorAt(base_ + at, "expected a variable name after \".\"");
      }
      return Operand{Operand::Kind::kVariable, std::string(s_.substr(name_at, i_ - name_at))};
    }
    if (c == '"') return ParseQuoted();
    if (c == '`') {
      const size_t end = s_.find('`', i_ + 1);
      if (end == absl::string_view::npos) return ErrorAt(base_ + i_, "unterminated raw string");
      Operand literal{Operand::Kind::kLiteral, std::string(s_.substr(i_ + 1, end - i_ - 1))};
      i_ = end + 1;
      return literal;
    }
    return ErrorAt(base_ + i_, absl::StrCat("unexpected \"", s_.substr(i_, 1),
                                            "\" (expected .NAME, a \"string\" or a function)"));
  }

  absl::StatusOr<Operand> ParseQuoted() {
    const size_t at = i_++;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ == s_.size()) break;
        const char e = s_[i_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case '"': c = '"'; break;
          case '\\': c = '\\'; break;
          default:
            return ErrorAt(base_ + i_ - 2, absl::StrCat("unknown escape \"\\", std::string(1, e), "\""));
        }
      }
      out.push_back(c);
    }
    if (i_ == s_.size()) return ErrorAt(base_ + at, "unterminated string");
    ++i_;  // closing quote
    return Operand{Operand::Kind::kLiteral, std::move(out)};
  }

  absl::string_view s_;
  size_t base_;
  size_t i_ = 0;
};

struct Value {
  std::string text;
  bool missing = false;
};

Value Resolve(const Operand& operand, const Value& piped,
              const std::map<std::string, std::string>& vars) {
  switch (operand.kind) {
    case Operand::Kind::kLiteral:
      return Value{operand.text, false};
    case Operand::Kind::kPipedValue:
      return piped;
    case Operand::Kind::kVariable: {
      auto it = vars.find(operand.text);
      if (it == vars.end()) return Value{"", true};
      return Value{it->second, false};
    }
  }
  return Value{};
}

}  // namespace

absl::StatusOr<Template> ParseTemplate(absl::string_view text) {
  Template t;
  size_t i = 0;
  std::string pending;  // literal text not yet stored
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == absl::string_view::npos) {
      absl::StrAppend(&pending, text.substr(i));
      break;
    }
    absl::StrAppend(&pending, text.substr(i, open - i));
    size_t inner = open + 2;
    if (inner < text.size() && text[inner] == '-' && inner + 1 < text.size() &&
        absl::ascii_isspace(text[inner + 1])) {
      // "{{- " trims the whitespace before the action.
      while (!pending.empty() && absl::ascii_isspace(pending.back())) pending.pop_back();
      ++inner;
    }
    // The action ends at the first "}}" outside a string literal.
    size_t close = absl::string_view::npos;
    char quote = 0;
    for (size_t k = inner; k + 1 < text.size(); ++k) {
      const char c = text[k];
      if (quote) {
        if (c == '\\' && quote == '"') {
          ++k;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '`') {
        quote = c;
      } else if (c == '}' && text[k + 1] == '}') {
        close = k;
        break;
      }
    }
    if (close == absl::string_view::npos) return ErrorAt(open, "unclosed action \"{{\"");
    size_t inner_end = close;
    bool trim_after = false;
    if (inner_end > inner && text[inner_end - 1] == '-' && inner_end - 1 > inner &&
        absl::ascii_isspace(text[inner_end - 2])) {
      --inner_end;
      trim_after = true;
    }
    ActionParser parser(text.substr(inner, inner_end - inner), inner);
    DEVLOOP_ASSIGN_OR_RETURN(std::vector<Command> pipeline, parser.Parse());
    if (!pending.empty()) t.pieces_.push_back(Template::Piece{std::move(pending), {}});
    pending.clear();
    t.pieces_.push_back(Template::Piece{"", std::move(pipeline)});
    i = close + 2;
    if (trim_after) {
      while (i < text.size() && absl::ascii_isspace(text[i])) ++i;
    }
  }
  if (!pending.empty()) t.pieces_.push_back(Template::Piece{std::move(pending), {}});
  return t;
}

absl::StatusOr<std::string> Template::Evaluate(
    const std::map<std::string, std::string>& vars) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (piece.pipeline.empty()) {
      out.append(piece.text);
      continue;
    }
    Value value;
    for (const Command& command : piece.pipeline) {
      std::vector<Value> args;
      args.reserve(command.args.size());
      for (const Operand& operand : command.args) args.push_back(Resolve(operand, value, vars));
      if (command.function.empty()) {
        value = args.at(0);
      } else if (command.function == "default" && args.size() == 2) {
        value = args[1].text.empty() ? args[0] : args[1];
      } else if (command.function == "upper" && args.size() == 1) {
        value = Value{absl::AsciiStrToUpper(args[0].text), args[0].missing};
      } else if (command.function == "lower" && args.size() == 1) {
        value = Value{absl::AsciiStrToLower(args[0].text), args[0].missing};
      } else if (command.function == "trim" && args.size() == 1) {
        value = Value{std::string(absl::StripAsciiWhitespace(args[0].text)), args[0].missing};
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("function \"", command.function, "\" got ", args.size(), " arguments"));
      }
    }
    out.append(value.missing ? std::string(kNoValue) : value.text);
  }
  return out;
}

std::vector<std::string> Template::Variables() const {
  std::vector<std::string> names;
  for (const Piece& piece : pieces_) {
    for (const Command& command : piece.pipeline) {
      for (const Operand& operand : command.args) {
        if (operand.kind != Operand::Kind::kVariable) continue;
        bool seen = false;
        for (const std::string& n : names) seen = seen || n == operand.text;
        if (!seen) names.push_back(operand.text);
      }
    }
  }
  return names;
}

bool Template::IsLiteral() const {
  for (const Piece& piece : pieces_) {
    if (!piece.pipeline.empty()) return false;
  }
  return true;
}

absl::StatusOr<std::string> ExpandTemplate(absl::string_view text,
                                           const std::map<std::string, std::string>& vars) {
  DEVLOOP_ASSIGN_OR_RETURN(Template t, ParseTemplate(text));
  return t.Evaluate(vars);
}

}  // namespace devloop::config
