// Gateway::Routes() is the google.api.http annotations of the .proto files,
// written out: this keeps the two the same.
#include "infra/http/gateway.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/google/api/annotations.pb.h"
#include "api/skaffold.pb.h"
#include "api/skaffold_v2.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace devloop::http {
namespace {

// "VERB PATH RPC BODY REQUEST", one line a route.
std::string Line(absl::string_view verb, absl::string_view path, absl::string_view rpc,
                 absl::string_view body, absl::string_view request) {
  return absl::StrCat(verb, " ", path, " ", rpc, " body=", body, " ", request);
}

std::vector<std::string> Annotated(const google::protobuf::ServiceDescriptor* service) {
  std::vector<std::string> lines;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service->method(i);
    if (!method->options().HasExtension(google::api::http)) continue;
    const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
    absl::string_view verb, path;
    switch (rule.pattern_case()) {
      case google::api::HttpRule::kGet:
        verb = "GET", path = rule.get();
        break;
      case google::api::HttpRule::kPut:
        verb = "PUT", path = rule.put();
        break;
      case google::api::HttpRule::kPost:
        verb = "POST", path = rule.post();
        break;
      default:
        ADD_FAILURE() << method->full_name() << " has a pattern the gateway does not serve";
        continue;
    }
    lines.push_back(
        Line(verb, path, method->name(), rule.body(), method->input_type()->full_name()));
  }
  return lines;
}

TEST(GatewayRoutesTest, AreTheProtosHttpAnnotationsInOrder) {
  std::vector<std::string> want =
      Annotated(proto::State::descriptor()->file()->FindServiceByName("SkaffoldService"));
  ASSERT_EQ(want.size(), 8u);
  for (const std::string& line :
       Annotated(proto::v2::Event::descriptor()->file()->FindServiceByName("SkaffoldV2Service"))) {
    if (absl::StrContains(line, " ApplicationLogs ")) want.push_back(line);
  }
  std::vector<std::string> got;
  for (const Gateway::Route& r : Gateway::Routes()) {
    got.push_back(Line(r.verb, r.path, r.rpc, r.body, r.request));
  }
  EXPECT_THAT(got, ::testing::ElementsAreArray(want));
}

}  // namespace
}  // namespace devloop::http
