#include "infra/deploy/kubectl/auto_forwards.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "infra/deploy/kubectl/cluster_state.h"

namespace devloop::deploy::kubectl {
namespace {

// The item of `cluster` that is `kind` `ns`/`name`, or null.
const json::Json* Find(const json::Json& cluster, const std::string& kind, const std::string& ns,
                       const std::string& name) {
  for (const json::Json& item : cluster["items"].elements()) {
    if (item["kind"].AsString() == kind && item["metadata"]["name"].AsString() == name &&
        item["metadata"]["namespace"].AsString() == ns) {
      return &item;
    }
  }
  return nullptr;
}

// TCP is the default; the forwarders carry nothing else.
bool IsTcp(const json::Json& port) {
  return port["protocol"].is_null() || port["protocol"].AsString() == "TCP";
}

bool UserForwards(const std::vector<PortForwardSpec>& user, const std::string& type,
                  const std::string& ns, const std::string& name, int port) {
  for (const PortForwardSpec& u : user) {
    if (u.resource_type == type && u.namespace_name == ns && u.resource_name == name &&
        u.port == port) {
      return true;
    }
  }
  return false;
}

PortForwardSpec Spec(const std::string& type, const std::string& name, const std::string& ns,
                     int port) {
  return {.resource_type = type,
          .resource_name = name,
          .namespace_name = ns,
          .port = port,
          .local_port = port,
          .address = "127.0.0.1"};
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const AutoForward& f) {
  return os << "{" << f.key << " " << f.spec.resource_type << "/" << f.spec.namespace_name << "/"
            << f.spec.resource_name << ":" << f.spec.port << " local " << f.spec.address << ":"
            << f.spec.local_port << (f.report_as_pod ? " as pod" : "") << "}";
}

std::vector<AutoForward> AutoForwards(const AutoForwardModes& modes,
                                      const std::vector<ObjectRef>& applied,
                                      const json::Json& cluster,
                                      const std::vector<PortForwardSpec>& user) {
  std::vector<AutoForward> out;
  std::set<std::string> keys;
  auto add = [&](AutoForward f) {
    if (keys.insert(f.key).second) out.push_back(std::move(f));
  };
  for (const ObjectRef& object : applied) {
    if (!modes.services || object.kind != "Service" || object.api_version != "v1") continue;
    const json::Json* service = Find(cluster, "Service", object.namespace_name, object.name);
    if (service == nullptr) continue;
    const json::Json& spec = (*service)["spec"];
    // Nothing behind it to forward to.
    if (spec["type"].AsString() == "ExternalName" || spec["selector"].members().empty()) continue;
    for (const json::Json& p : spec["ports"].elements()) {
      const int port = static_cast<int>(p["port"].AsInt());
      if (port <= 0 || port > 65535 || !IsTcp(p)) continue;
      if (UserForwards(user, "service", object.namespace_name, object.name, port)) continue;
      add({.key = absl::StrCat("service/", object.namespace_name, "/", object.name, ":", port),
           .spec = Spec("service", object.name, object.namespace_name, port)});
    }
  }
  if (!modes.pods) return out;
  // Namespaces are filled in: the default one is never used.
  for (const Workload& w : CheckedWorkloads(applied, "")) {
    const json::Json* found = Find(cluster, w.kind, w.namespace_name, w.name);
    if (found == nullptr) continue;
    const json::Json& pod_spec =
        w.kind == "Pod" ? (*found)["spec"] : (*found)["spec"]["template"]["spec"];
    const std::string type = absl::AsciiStrToLower(w.kind);
    for (const json::Json& c : pod_spec["containers"].elements()) {
      const std::string& container = c["name"].AsString();
      for (const json::Json& p : c["ports"].elements()) {
        const int port = static_cast<int>(p["containerPort"].AsInt());
        if (port <= 0 || port > 65535 || !IsTcp(p)) continue;
        if (UserForwards(user, type, w.namespace_name, w.name, port)) continue;
        add({.key = absl::StrCat(type, "/", w.namespace_name, "/", w.name, "/", container, ":",
                                 port),
             .spec = Spec(type, w.name, w.namespace_name, port),
             .report_as_pod = true});
      }
    }
  }
  return out;
}

}  // namespace devloop::deploy::kubectl
