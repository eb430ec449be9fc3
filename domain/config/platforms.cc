#include "domain/config/platforms.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace devloop::config {
namespace {

bool ValidPart(absl::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Show(const std::vector<std::string>& list) {
  return absl::StrCat("[", absl::StrJoin(list, ","), "]");
}

}  // namespace

absl::StatusOr<std::string> ParsePlatform(absl::string_view text) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::AsciiStrToLower(absl::StripAsciiWhitespace(text)), '/');
  if (parts.size() < 2 || parts.size() > 3 ||
      !std::all_of(parts.begin(), parts.end(), [](const std::string& p) { return ValidPart(p); })) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is not a platform: expected os/arch[/variant], such as linux/amd64, "
                     "linux/arm64 or linux/arm/v7"));
  }
  std::string os = parts[0];
  std::string arch = parts[1];
  std::string variant = parts.size() == 3 ? parts[2] : "";
  if (os == "macos") os = "darwin";
  if (arch == "i386") {
    arch = "386";
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant = "";
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8") variant = "";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty()) variant = "v7";
    if (variant == "5" || variant == "6" || variant == "7" || variant == "8") {
      variant = absl::StrCat("v", variant);
    }
  }
  return variant.empty() ? absl::StrCat(os, "/", arch) : absl::StrCat(os, "/", arch, "/", variant);
}

absl::StatusOr<std::vector<std::string>> ParsePlatformList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    absl::StatusOr<std::string> p = ParsePlatform(item);
    if (!p.ok()) return p.status();
    if (!Contains(out, *p)) out.push_back(*std::move(p));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ArtifactPlatforms(const PlatformSources& sources) {
  const bool from_cli = !sources.cli.empty();
  const std::vector<std::string>& targets = from_cli ? sources.cli : sources.pipeline;
  if (targets.empty()) return sources.artifact;
  if (sources.artifact.empty()) return targets;
  std::vector<std::string> out;
  for (const std::string& p : targets) {
    if (Contains(sources.artifact, p) && !Contains(out, p)) out.push_back(p);
  }
  if (out.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the target platforms ", Show(targets), from_cli ? " (--platform)" : " (build.platforms)",
        " include none of the artifact's platforms ", Show(sources.artifact),
        "; target one of them, or add the target to the artifact's platforms"));
  }
  return out;
}

}  // namespace devloop::config
