#include "infra/deploy/kubectl/auto_forwards.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {
namespace {

using json::Json;
using ::testing::IsEmpty;

Json Parse(const std::string& text) {
  absl::StatusOr<Json> doc = Json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status() << "\n" << text;
  return doc.ok() ? *std::move(doc) : Json();
}

// A List as the deployer reads it: two Deployments with their Services in
// "shop", a bare Pod, and a Service of another run's namespace.
const char kCluster[] = R"json({"kind": "List", "items": [
  {"kind": "Deployment", "apiVersion": "apps/v1",
   "metadata": {"name": "web", "namespace": "shop"},
   "spec": {"template": {"spec": {"containers": [
     {"name": "web", "ports": [{"name": "http", "containerPort": 8080},
                               {"containerPort": 9090, "protocol": "TCP"},
                               {"containerPort": 5353, "protocol": "UDP"}]},
     {"name": "sidecar", "ports": [{"containerPort": 15000}]}]}}}},
  {"kind": "Deployment", "apiVersion": "apps/v1",
   "metadata": {"name": "quiet", "namespace": "shop"},
   "spec": {"template": {"spec": {"containers": [{"name": "quiet"}]}}}},
  {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "tool", "namespace": "shop"},
   "spec": {"containers": [{"name": "tool", "ports": [{"containerPort": 7000}]}]}},
  {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "shop"},
   "spec": {"selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                      {"name": "admin", "port": 9090, "targetPort": 9090},
                      {"name": "dns", "port": 53, "protocol": "UDP"}]}},
  {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "headless", "namespace": "shop"},
   "spec": {"ports": [{"port": 5432}]}},
  {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "external", "namespace": "shop"},
   "spec": {"type": "ExternalName", "externalName": "db.example.com", "selector": {"a": "b"},
            "ports": [{"port": 5432}]}},
  {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "other"},
   "spec": {"selector": {"app": "web"}, "ports": [{"port": 81}]}}
]})json";

const std::vector<ObjectRef> kApplied = {
    {"apps/v1", "Deployment", "web", "shop"}, {"v1", "Service", "web", "shop"},
    {"apps/v1", "Deployment", "quiet", "shop"}, {"v1", "Pod", "tool", "shop"},
    {"v1", "Service", "headless", "shop"},  {"v1", "Service", "external", "shop"},
    {"v1", "ConfigMap", "web", "shop"},
};

AutoForward Service(const std::string& name, int port) {
  return {.key = absl::StrCat("service/shop/", name, ":", port),
          .spec = {.resource_type = "service",
                   .resource_name = name,
                   .namespace_name = "shop",
                   .port = port,
                   .local_port = port}};
}

AutoForward Pod(const std::string& kind, const std::string& name, const std::string& container,
                int port) {
  return {.key = absl::StrCat(kind, "/shop/", name, "/", container, ":", port),
          .spec = {.resource_type = kind,
                   .resource_name = name,
                   .namespace_name = "shop",
                   .port = port,
                   .local_port = port},
          .report_as_pod = true};
}

struct Case {
  std::string what;
  AutoForwardModes modes;
  std::vector<ObjectRef> applied;
  std::vector<PortForwardSpec> user;
  std::vector<AutoForward> want;
};

TEST(AutoForwardsTest, Table) {
  const Json cluster = Parse(kCluster);
  const std::vector<Case> cases = {
      {"no mode: nothing", {}, kApplied, {}, {}},
      {"services: every TCP port of the Services that select pods",
       {.services = true},
       kApplied,
       {},
       {Service("web", 80), Service("web", 9090)}},
      {"services: only those this deployment applied",
       {.services = true},
       {{"apps/v1", "Deployment", "web", "shop"}},
       {},
       {}},
      {"services: applied but not (yet) in the cluster's answer",
       {.services = true},
       {{"v1", "Service", "gone", "shop"}},
       {},
       {}},
      {"services: the namespace is the object's",
       {.services = true},
       {{"v1", "Service", "web", "other"}},
       {},
       {{.key = "service/other/web:81",
         .spec = {.resource_type = "service",
                  .resource_name = "web",
                  .namespace_name = "other",
                  .port = 81,
                  .local_port = 81}}}},
      {"services: a port a user entry forwards is left to it",
       {.services = true},
       kApplied,
       {{.resource_type = "service",
         .resource_name = "web",
         .namespace_name = "shop",
         .port = 80,
         .local_port = 9000}},
       {Service("web", 9090)}},
      {"services: a user entry of another namespace or port does not count",
       {.services = true},
       kApplied,
       {{.resource_type = "service", .resource_name = "web", .namespace_name = "other", .port = 80},
        {.resource_type = "service", .resource_name = "web", .namespace_name = "shop", .port = 81},
        {.resource_type = "deployment", .resource_name = "web", .namespace_name = "shop",
         .port = 80}},
       {Service("web", 80), Service("web", 9090)}},
      {"pods: every TCP container port of the followed workloads",
       {.pods = true},
       kApplied,
       {},
       {Pod("deployment", "web", "web", 8080), Pod("deployment", "web", "web", 9090),
        Pod("deployment", "web", "sidecar", 15000), Pod("pod", "tool", "tool", 7000)}},
      {"pods: a user entry on the workload's port is left to it",
       {.pods = true},
       kApplied,
       {{.resource_type = "deployment",
         .resource_name = "web",
         .namespace_name = "shop",
         .port = 8080,
         .local_port = 9000}},
       {Pod("deployment", "web", "web", 9090), Pod("deployment", "web", "sidecar", 15000),
        Pod("pod", "tool", "tool", 7000)}},
      {"services and pods: the Services first",
       {.services = true, .pods = true},
       {{"apps/v1", "Deployment", "web", "shop"}, {"v1", "Service", "web", "shop"}},
       {},
       {Service("web", 80), Service("web", 9090), Pod("deployment", "web", "web", 8080),
        Pod("deployment", "web", "web", 9090), Pod("deployment", "web", "sidecar", 15000)}},
      {"an object applied twice is forwarded once",
       {.services = true},
       {{"v1", "Service", "web", "shop"}, {"v1", "Service", "web", "shop"}},
       {},
       {Service("web", 80), Service("web", 9090)}},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(AutoForwards(c.modes, c.applied, cluster, c.user), ::testing::ContainerEq(c.want))
        << c.what;
  }
}

TEST(AutoForwardsTest, AnEmptyOrOddAnswerForwardsNothing) {
  EXPECT_THAT(AutoForwards({.services = true, .pods = true}, kApplied, Json(), {}), IsEmpty());
  EXPECT_THAT(AutoForwards({.services = true, .pods = true}, kApplied,
                           Parse(R"({"items": [{"kind": "Service", "metadata": {"name": "web",
                                     "namespace": "shop"}, "spec": {"selector": {"a": "b"},
                                     "ports": [{"port": "http"}, {}]}}]})"),
                           {}),
              IsEmpty());
}

}  // namespace
}  // namespace devloop::deploy::kubectl
