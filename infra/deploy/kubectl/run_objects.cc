#include "infra/deploy/kubectl/run_objects.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "infra/deploy/labels.h"

namespace devloop::deploy::kubectl {

std::string RunSelector(const std::string& run_id) {
  return absl::StrCat(kRunIdLabel, "=", run_id);
}

absl::StatusOr<int> DeleteRunObjects(const KubectlCli& kubectl, const std::string& run_id) {
  absl::StatusOr<std::string> kinds =
      kubectl.Run(Phase::kCleanup, "listing the cluster's kinds",
                  {"api-resources", "--verbs=list,delete", "-o", "name"}, std::nullopt,
                  absl::Seconds(30));
  if (!kinds.ok()) return kinds.status();
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(*kinds, '\n', absl::SkipWhitespace())) {
    names.emplace_back(absl::StripAsciiWhitespace(line));
  }
  if (names.empty()) return 0;
  absl::StatusOr<std::string> deleted = kubectl.Run(
      Phase::kCleanup, "deleting what an earlier run left",
      {"delete", absl::StrJoin(names, ","), "--all-namespaces", "-l",
       RunSelector(run_id), "--ignore-not-found", "--wait=false", "-o", "name"},
      std::nullopt, absl::Minutes(2));
  if (!deleted.ok()) return deleted.status();
  // One "kind/name" line an object deleted; with none, kubectl says "No
  // resources found" on stdout.
  int count = 0;
  for (absl::string_view line : absl::StrSplit(*deleted, '\n', absl::SkipWhitespace())) {
    if (absl::StrContains(line, '/')) ++count;
  }
  return count;
}

}  // namespace devloop::deploy::kubectl
