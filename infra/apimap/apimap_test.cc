#include "infra/apimap/apimap.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/json.h"
#include "api/skaffold.pb.h"
#include "domain/events/status_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::apimap {
namespace {

namespace d = ::devloop::domain;
using ::testing::HasSubstr;

TEST(StatusCodeTest, EveryDomainCodeEqualsTheProtoEnumByNumberAndName) {
  int count = 0;
  const d::StatusCode* codes = d::AllStatusCodes(&count);
  ASSERT_GT(count, 60);
  for (int i = 0; i < count; ++i) {
    const int number = static_cast<int>(codes[i]);
    SCOPED_TRACE(number);
    ASSERT_TRUE(proto::StatusCode_IsValid(number));
    EXPECT_EQ(proto::StatusCode_Name(static_cast<proto::StatusCode>(number)),
              d::StatusCodeName(codes[i]));
  }
  // And the other way: the proto enum lists nothing the domain lacks.
  const auto* e = proto::StatusCode_descriptor();
  EXPECT_EQ(e->value_count(), count);
}

TEST(SuggestionCodeTest, EveryProtoSuggestionCodeHasTheDomainName) {
  const auto* e = proto::SuggestionCode_descriptor();
  for (int i = 0; i < e->value_count(); ++i) {
    EXPECT_EQ(e->value(i)->name(),
              d::SuggestionCodeName(static_cast<d::SuggestionCode>(e->value(i)->number())));
  }
}

d::ActionableErr SomeErr() {
  return d::ActionableErr{d::StatusCode::kBuildUserError,
                          "build failed",
                          {{d::SuggestionCode::kFixUserBuildErr, "fix the Dockerfile"}}};
}

// One value of every alternative of domain::Event, with every field set.
std::vector<d::Event> EveryEventKind() {
  d::Metadata metadata;
  metadata.build = d::BuildMetadata{2, {{d::BuilderType::kDocker, 2}}, d::BuildType::kLocal,
                                    {{"k", "v"}}};
  metadata.deploy = d::DeployMetadata{{{d::DeployerType::kKubectl, 1}}, d::ClusterType::kOther};
  metadata.test = d::TestMetadata{{{d::TesterType::kUnit, 3}}};
  metadata.additional = {{"a", "b"}};
  return {
      d::NoEvent{},
      d::MetaEvent{"Starting devloop", metadata},
      d::MetaEvent{"no metadata", std::nullopt},
      d::BuildEvent{"web", "Failed", "boom", d::StatusCode::kBuildUserError, SomeErr()},
      d::DeployEvent{"Complete", "", d::StatusCode::kDeploySuccess, std::nullopt},
      d::PortEvent{9000, 8080, "pod", "c", "default", "http", "deployment", "web", "127.0.0.1",
                   d::IntOrString{1, 0, "http"}},
      d::StatusCheckEvent{"Failed", "msg", "err", d::StatusCode::kStatusCheckUnhealthy,
                          SomeErr()},
      d::ResourceStatusCheckEvent{"deployment/web", "Pending", "m", "e",
                                  d::StatusCode::kStatusCheckContainerCreating, std::nullopt},
      d::FileSyncEvent{1, "web:abc", "Succeeded", "", d::StatusCode::kOk, std::nullopt},
      d::DebuggingContainerEvent{"Started", "pod", "c", "ns", "web", "go", "/app",
                                 {{"dlv", 56268}}},
      d::DevLoopEvent{3, "Failed", SomeErr()},
      d::TerminationEvent{"Completed", std::nullopt},
      d::TestEvent{"In Progress", SomeErr()},
  };
}

TEST(EventTest, EveryKindRoundTripsThroughTheWire) {
  for (const d::Event& event : EveryEventKind()) {
    SCOPED_TRACE(d::EventKindName(event));
    proto::Event wire = ToProto(event);
    absl::StatusOr<d::Event> back = FromProto(wire);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, event);
  }
}

TEST(EventTest, EachKindLandsInItsOneofMember) {
  std::vector<d::Event> events = EveryEventKind();
  // NoEvent is index 0 and sets nothing; the others follow the oneof's numbering.
  EXPECT_EQ(ToProto(events[0]).event_type_case(), proto::Event::EVENT_TYPE_NOT_SET);
  for (const d::Event& event : events) {
    if (event.index() == 0) continue;
    EXPECT_EQ(static_cast<int>(ToProto(event).event_type_case()),
              static_cast<int>(event.index()))
        << d::EventKindName(event);
  }
}

TEST(EventTest, UnknownStatusCodeIsAnErrorNamingTheField) {
  proto::Event wire;
  wire.mutable_buildevent()->set_errcode(static_cast<proto::StatusCode>(4242));
  absl::StatusOr<d::Event> back = FromProto(wire);
  ASSERT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("buildEvent.errCode"));
  EXPECT_THAT(back.status().message(), HasSubstr("4242"));
}

TEST(LogEntryTest, TimestampKeepsNanoseconds) {
  d::LogEntry entry{absl::FromUnixNanos(1795389614577791139), d::DeployEvent{"In Progress"},
                    "Deploy started"};
  proto::LogEntry wire = ToProto(entry);
  EXPECT_EQ(wire.timestamp().seconds(), 1795389614);
  EXPECT_EQ(wire.timestamp().nanos(), 577791139);
  EXPECT_EQ(api::ToJson(wire),
            R"({"timestamp":"2026-11-22T23:20:14.577791139Z","event":{"deployEvent":)"
            R"({"status":"In Progress","err":"","errCode":"OK","actionableErr":null}},)"
            R"("entry":"Deploy started"})");
  absl::StatusOr<d::LogEntry> back = FromProto(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, entry);
}

TEST(StateTest, EmptyPipelineRendersEverySubMessage) {
  d::State state;
  d::Apply(d::PipelineStarted{}, &state);
  EXPECT_EQ(
      api::ToJson(ToProto(state)),
      R"({"buildState":{"artifacts":{},"autoTrigger":true,"statusCode":"OK"},)"
      R"("deployState":{"status":"Not Started","autoTrigger":true,"statusCode":"OK"},)"
      R"("forwardedPorts":{},)"
      R"("statusCheckState":{"status":"Not Started","resources":{},"statusCode":"OK"},)"
      R"("fileSyncState":{"status":"Not Started","autoTrigger":true},)"
      R"("debuggingContainers":[],)"
      R"("metadata":{"build":null,"deploy":null,"test":null,"additional":{}},)"
      R"("testState":{"status":"Not Started","statusCode":"OK"}})");
}

TEST(StateTest, PortsArtifactsAndResourcesAreKeyedMaps) {
  d::State state;
  d::Apply(d::PipelineStarted{{"web"}}, &state);
  d::Apply(d::LogEntry{absl::UnixEpoch(), d::BuildEvent{"web", "Complete"}, ""}, &state);
  d::Apply(d::LogEntry{absl::UnixEpoch(), d::PortEvent{9000, 8080}, ""}, &state);
  proto::State wire = ToProto(state);
  EXPECT_EQ(wire.buildstate().artifacts().at("web"), "Complete");
  EXPECT_EQ(wire.buildstate().statuscode(), proto::BUILD_SUCCESS);
  ASSERT_EQ(wire.forwardedports().count(9000), 1u);
  EXPECT_EQ(wire.forwardedports().at(9000).remoteport(), 8080);
  EXPECT_THAT(api::ToJson(wire), HasSubstr(R"("forwardedPorts":{"9000":{"localPort":9000,)"));
}

}  // namespace
}  // namespace devloop::apimap
