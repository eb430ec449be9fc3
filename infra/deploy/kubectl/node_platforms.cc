#include "infra/deploy/kubectl/node_platforms.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "domain/config/platforms.h"

namespace devloop::deploy::kubectl {
namespace {

// The first of `keys` that `object` holds as a non-empty string, or "".
std::string FirstString(const json::Json& object, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (object[key].is_string() && !object[key].AsString().empty()) return object[key].AsString();
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<std::string>> NodePlatforms(const json::Json& nodes) {
  if (!nodes["items"].is_array()) {
    return absl::InvalidArgumentError(
        "the answer of `kubectl get nodes -o json` has no items list");
  }
  std::vector<std::string> out;
  for (const json::Json& node : nodes["items"].elements()) {
    const json::Json& info = node["status"]["nodeInfo"];
    const json::Json& labels = node["metadata"]["labels"];
    std::string os = FirstString(info, {"operatingSystem"});
    std::string arch = FirstString(info, {"architecture"});
    if (os.empty()) os = FirstString(labels, {"kubernetes.io/os", "beta.kubernetes.io/os"});
    if (arch.empty()) {
      arch = FirstString(labels, {"kubernetes.io/arch", "beta.kubernetes.io/arch"});
    }
    if (os.empty() || arch.empty()) continue;
    absl::StatusOr<std::string> platform = config::ParsePlatform(absl::StrCat(os, "/", arch));
    if (!platform.ok()) continue;
    if (std::find(out.begin(), out.end(), *platform) == out.end()) {
      out.push_back(*std::move(platform));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> ClusterNodePlatforms(const KubectlCli& kubectl,
                                                              absl::Duration timeout) {
  absl::StatusOr<std::string> answer =
      kubectl.Run(Phase::kDeploy, "listing the cluster's nodes for their platforms",
                  {"get", "nodes", "-o", "json"}, std::nullopt, timeout);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<json::Json> nodes = json::Json::Parse(*answer);
  if (!nodes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the answer of `kubectl get nodes -o json` is not JSON: ", nodes.status().message()));
  }
  return NodePlatforms(*nodes);
}

}  // namespace devloop::deploy::kubectl
