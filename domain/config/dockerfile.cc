#include "domain/config/dockerfile.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/paths/path.h"

namespace devloop::config {
namespace {

using ::devloop::domain::ResolvePath;

struct Instruction {
  int line = 0;  // 1-based line where it starts
  std::string keyword;  // upper case
  std::string args;
};

// Splits the text into instructions, joining "\"-continued lines and dropping
// comments and blank lines.
std::vector<Instruction> Lex(absl::string_view text) {
  std::vector<Instruction> out;
  std::string current;
  int start_line = 0;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') {
      continue;  // also inside a continuation, as Docker does
    }
    if (current.empty()) start_line = line_no;
    const bool continued = absl::EndsWith(line, "\\");
    if (continued) line.remove_suffix(1);
    absl::StrAppend(&current, current.empty() ? absl::StripLeadingAsciiWhitespace(line) : line,
                    continued ? " " : "");
    if (continued) continue;
    absl::string_view all = current;
    const size_t space = all.find_first_of(" \t");
    Instruction ins;
    ins.line = start_line;
    ins.keyword = absl::AsciiStrToUpper(all.substr(0, space));
    if (space != absl::string_view::npos) {
      ins.args = std::string(absl::StripAsciiWhitespace(all.substr(space)));
    }
    out.push_back(std::move(ins));
    current.clear();
  }
  return out;
}

// Splits COPY/ADD arguments: the JSON array form or whitespace-separated words.
std::vector<std::string> Words(absl::string_view args) {
  std::vector<std::string> words;
  if (absl::StartsWith(args, "[")) {
    size_t i = 1;
    while (i < args.size()) {
      const size_t open = args.find('"', i);
      if (open == absl::string_view::npos) break;
      std::string word;
      size_t k = open + 1;
      for (; k < args.size() && args[k] != '"'; ++k) {
        if (args[k] == '\\' && k + 1 < args.size()) ++k;
        word.push_back(args[k]);
      }
      words.push_back(std::move(word));
      i = k + 1;
    }
    return words;
  }
  for (absl::string_view w : absl::StrSplit(args, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    words.emplace_back(w);
  }
  return words;
}

// Replaces $NAME and ${NAME} in `word` by their values in `vars` ("" if unset).
std::string Substitute(absl::string_view word, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] == '\\' && i + 1 < word.size() && word[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (word[i] != '$' || i + 1 == word.size()) {
      out.push_back(word[i]);
      continue;
    }
    size_t start = i + 1;
    size_t end = start;
    const bool braced = word[start] == '{';
    if (braced) {
      end = word.find('}', start);
      if (end == absl::string_view::npos) {
        out.append(word.data() + i, word.size() - i);
        break;
      }
      ++start;
    } else {
      while (end < word.size() && (absl::ascii_isalnum(word[end]) || word[end] == '_')) ++end;
      if (end == start) {
        out.push_back('$');
        continue;
      }
    }
    auto it = vars.find(std::string(word.substr(start, end - start)));
    if (it != vars.end()) out.append(it->second);
    i = braced ? end : end - 1;
  }
  return out;
}

// A COPY or ADD after its flags: the sources, then the destination.
struct CopyArgs {
  std::vector<std::string> paths;  // at least two
  bool from_elsewhere = false;     // --from: another stage's or image's files
};

absl::StatusOr<CopyArgs> ParseCopyArgs(const Instruction& ins) {
  CopyArgs args;
  for (std::string& w : Words(ins.args)) {
    if (args.paths.empty() && absl::StartsWith(w, "--")) {
      args.from_elsewhere = args.from_elsewhere || absl::StartsWith(w, "--from");
      continue;
    }
    args.paths.push_back(std::move(w));
  }
  if (args.paths.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", ins.line, ": ", ins.keyword, " needs at least a source and a destination"));
  }
  return args;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DockerfileSources(
    absl::string_view text, const std::map<std::string, std::string>& build_args) {
  std::map<std::string, std::string> vars;
  std::vector<std::string> sources;
  bool any_from = false;
  for (const Instruction& ins : Lex(text)) {
    if (ins.keyword == "FROM") {
      any_from = true;
      continue;
    }
    if (ins.keyword == "ARG") {
      for (const std::string& w : Words(ins.args)) {
        const size_t eq = w.find('=');
        const std::string name = w.substr(0, eq);
        auto given = build_args.find(name);
        if (given != build_args.end()) {
          vars[name] = given->second;
        } else if (eq != std::string::npos) {
          vars[name] = Substitute(absl::string_view(w).substr(eq + 1), vars);
        } else {
          vars.emplace(name, "");
        }
      }
      continue;
    }
    if (ins.keyword != "COPY" && ins.keyword != "ADD") continue;
    if (!any_from) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", ins.line, ": expected FROM before ", ins.keyword));
    }
    absl::StatusOr<CopyArgs> copy = ParseCopyArgs(ins);
    if (!copy.ok()) return copy.status();
    if (copy->from_elsewhere) continue;
    std::vector<std::string>& paths = copy->paths;
    paths.pop_back();
    for (const std::string& p : paths) {
      std::string src = Substitute(p, vars);
      if (absl::StrContains(src, "://")) continue;  // ADD of a URL
      if (std::find(sources.begin(), sources.end(), src) == sources.end()) {
        sources.push_back(std::move(src));
      }
    }
  }
  if (!any_from) return absl::InvalidArgumentError("no FROM instruction");
  return sources;
}

absl::StatusOr<DockerfileInfo> ParseDockerfile(absl::string_view text, absl::string_view target) {
  struct Stage {
    std::string name;
    DockerfileInfo info;
  };
  std::vector<Stage> stages;
  for (const Instruction& ins : Lex(text)) {
    if (ins.keyword == "FROM") {
      Stage stage;
      std::vector<std::string> words = Words(ins.args);
      for (size_t k = 0; k + 1 < words.size(); ++k) {
        if (absl::EqualsIgnoreCase(words[k], "as")) stage.name = words[k + 1];
      }
      // A stage built FROM an earlier stage inherits its WORKDIR and files.
      std::string base;
      for (const std::string& w : words) {
        if (!absl::StartsWith(w, "--")) {
          base = w;
          break;
        }
      }
      for (const Stage& s : stages) {
        if (!s.name.empty() && s.name == base) stage.info = s.info;
      }
      stages.push_back(std::move(stage));
      continue;
    }
    if (stages.empty()) {
      if (ins.keyword == "ARG") continue;  // ARGs may precede the first FROM
      return absl::InvalidArgumentError(
          absl::StrCat("line ", ins.line, ": expected FROM before ", ins.keyword));
    }
    DockerfileInfo& info = stages.back().info;
    if (ins.keyword == "WORKDIR") {
      info.workdir = ResolvePath(info.workdir.empty() ? "/" : info.workdir, ins.args);
    } else if (ins.keyword == "COPY" || ins.keyword == "ADD") {
      absl::StatusOr<CopyArgs> args = ParseCopyArgs(ins);
      if (!args.ok()) return args.status();
      if (args->from_elsewhere) continue;
      std::vector<std::string>& paths = args->paths;
      DockerCopy copy;
      copy.dest = paths.back();
      paths.pop_back();
      const bool dir_dest = absl::EndsWith(copy.dest, "/") || copy.dest == "." ||
                            absl::EndsWith(copy.dest, "/.") || paths.size() > 1;
      copy.dest = ResolvePath(info.workdir.empty() ? "/" : info.workdir, copy.dest);
      if (dir_dest && copy.dest != "/") copy.dest += "/";
      copy.srcs = std::move(paths);
      info.copies.push_back(std::move(copy));
    }
  }
  if (stages.empty()) return absl::InvalidArgumentError("no FROM instruction");
  if (target.empty()) return stages.back().info;
  for (const Stage& s : stages) {
    if (s.name == target) return s.info;
  }
  return absl::InvalidArgumentError(absl::StrCat("no stage named \"", target, "\""));
}

}  // namespace devloop::config
