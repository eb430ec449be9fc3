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

std::ostream& operator<<(std::ostream& os, const PlatformChoice& choice) {
  os << Show(choice.platforms);
  if (!choice.note.empty()) os << " (" << choice.note << ")";
  return os;
}

absl::StatusOr<PlatformChoice> ArtifactPlatforms(const PlatformSources& sources) {
  PlatformChoice choice;
  std::vector<std::string> targets = !sources.cli.empty() ? sources.cli : sources.pipeline;
  std::string from = !sources.cli.empty() ? "--platform" : "build.platforms";
  if (!sources.cluster.empty()) {
    if (targets.empty()) {
      targets = sources.cluster;
      from = "the cluster's nodes";
    } else {
      std::vector<std::string> shared;
      for (const std::string& p : targets) {
        if (Contains(sources.cluster, p)) shared.push_back(p);
      }
      if (shared.empty()) {
        choice.note = absl::StrCat("the target platforms ", Show(targets), " (", from,
                                   ") match none of the cluster's nodes ", Show(sources.cluster),
                                   "; building for the targets, whose images those nodes may "
                                   "not run");
      } else {
        targets = std::move(shared);
      }
    }
  }
  std::vector<std::string> out;
  if (targets.empty() || sources.artifact.empty()) {
    out = targets.empty() ? sources.artifact : targets;
  } else {
    for (const std::string& p : targets) {
      if (Contains(sources.artifact, p) && !Contains(out, p)) out.push_back(p);
    }
    if (out.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the target platforms ", Show(targets), " (", from,
          ") include none of the artifact's platforms ", Show(sources.artifact),
          "; target one of them, or add the target to the artifact's platforms"));
    }
  }
  const bool mixed_cluster = from == "the cluster's nodes";
  if (out.size() > 1 && (sources.single || (sources.builder_takes_one && mixed_cluster))) {
    const std::string picked = Contains(out, sources.host) ? sources.host : out.front();
    if (!choice.note.empty()) choice.note += "; ";
    absl::StrAppend(
        &choice.note, "building for ", picked, " only, of ", Show(out),
        mixed_cluster ? " (the cluster's nodes)" : "",
        sources.single ? ": dev and debug build one platform "
                         "(--disable-multi-platform-build=false builds them all)"
                       : ": a Docker build makes one platform's image, which pods on the "
                         "other nodes cannot run; a custom buildCommand that reads $PLATFORMS "
                         "can build them all");
    out = {picked};
  }
  choice.platforms = std::move(out);
  return choice;
}

bool AsksClusterPlatforms(bool check_cluster_node_platforms, bool kubernetes_deployer) {
  return check_cluster_node_platforms && kubernetes_deployer;
}

}  // namespace devloop::config
