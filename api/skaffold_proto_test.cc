// The API contract, checked through the generated code's descriptors and the
// JSON mapping: what clients written for Skaffold rely on.
#include <string>

#include "api/json.h"
#include "api/skaffold.grpc.pb.h"
#include "api/skaffold.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

struct FieldFact {
  const char* message;
  const char* field;
  int number;
  FieldDescriptor::Type type;
  const char* type_name;  // message or enum full name, "" for scalars
  bool repeated;
};

class FieldNumbersTest : public ::testing::TestWithParam<FieldFact> {};

TEST_P(FieldNumbersTest, MatchesTheContract) {
  const FieldFact& f = GetParam();
  const Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          std::string("proto.") + f.message);
  ASSERT_NE(d, nullptr) << f.message;
  const FieldDescriptor* field = d->FindFieldByName(f.field);
  ASSERT_NE(field, nullptr) << f.message << "." << f.field;
  EXPECT_EQ(field->number(), f.number) << f.message << "." << f.field;
  EXPECT_EQ(field->type(), f.type) << f.message << "." << f.field;
  EXPECT_EQ(field->is_repeated(), f.repeated) << f.message << "." << f.field;
  EXPECT_EQ(field->json_name(), f.field) << "JSON name must equal the proto name";
  if (f.type_name[0] != '\0') {
    const std::string actual = field->message_type() != nullptr
                                   ? field->message_type()->full_name()
                                   : field->enum_type()->full_name();
    EXPECT_EQ(actual, f.type_name) << f.message << "." << f.field;
  }
}

constexpr auto kMsg = FieldDescriptor::TYPE_MESSAGE;
constexpr auto kStr = FieldDescriptor::TYPE_STRING;
constexpr auto kI32 = FieldDescriptor::TYPE_INT32;
constexpr auto kU32 = FieldDescriptor::TYPE_UINT32;
constexpr auto kBool = FieldDescriptor::TYPE_BOOL;
constexpr auto kEnum = FieldDescriptor::TYPE_ENUM;

// Every field of the contract (shared/api/skaffold-v1-contract.md).
INSTANTIATE_TEST_SUITE_P(
    Contract, FieldNumbersTest,
    ::testing::Values(
        FieldFact{"StateResponse", "state", 1, kMsg, "proto.State", false},
        FieldFact{"Response", "msg", 1, kStr, "", false},
        FieldFact{"Request", "name", 1, kStr, "", false},
        FieldFact{"State", "buildState", 1, kMsg, "proto.BuildState", false},
        FieldFact{"State", "deployState", 2, kMsg, "proto.DeployState", false},
        FieldFact{"State", "forwardedPorts", 4, kMsg, "proto.State.ForwardedPortsEntry", true},
        FieldFact{"State", "statusCheckState", 5, kMsg, "proto.StatusCheckState", false},
        FieldFact{"State", "fileSyncState", 6, kMsg, "proto.FileSyncState", false},
        FieldFact{"State", "debuggingContainers", 7, kMsg, "proto.DebuggingContainerEvent", true},
        FieldFact{"State", "metadata", 8, kMsg, "proto.Metadata", false},
        FieldFact{"State", "testState", 9, kMsg, "proto.TestState", false},
        FieldFact{"Metadata", "build", 1, kMsg, "proto.BuildMetadata", false},
        FieldFact{"Metadata", "deploy", 2, kMsg, "proto.DeployMetadata", false},
        FieldFact{"Metadata", "test", 3, kMsg, "proto.TestMetadata", false},
        FieldFact{"Metadata", "additional", 99, kMsg, "proto.Metadata.AdditionalEntry", true},
        FieldFact{"BuildMetadata", "numberOfArtifacts", 1, kI32, "", false},
        FieldFact{"BuildMetadata", "builders", 2, kMsg, "proto.BuildMetadata.ImageBuilder", true},
        FieldFact{"BuildMetadata", "type", 3, kEnum, "proto.BuildType", false},
        FieldFact{"BuildMetadata", "additional", 99, kMsg, "proto.BuildMetadata.AdditionalEntry", true},
        FieldFact{"BuildMetadata.ImageBuilder", "type", 1, kEnum, "proto.BuilderType", false},
        FieldFact{"BuildMetadata.ImageBuilder", "count", 2, kI32, "", false},
        FieldFact{"TestMetadata", "Testers", 1, kMsg, "proto.TestMetadata.Tester", true},
        FieldFact{"TestMetadata.Tester", "type", 1, kEnum, "proto.TesterType", false},
        FieldFact{"TestMetadata.Tester", "count", 2, kI32, "", false},
        FieldFact{"DeployMetadata", "deployers", 1, kMsg, "proto.DeployMetadata.Deployer", true},
        FieldFact{"DeployMetadata", "cluster", 2, kEnum, "proto.ClusterType", false},
        FieldFact{"DeployMetadata.Deployer", "type", 1, kEnum, "proto.DeployerType", false},
        FieldFact{"DeployMetadata.Deployer", "count", 2, kI32, "", false},
        FieldFact{"BuildState", "artifacts", 1, kMsg, "proto.BuildState.ArtifactsEntry", true},
        FieldFact{"BuildState", "autoTrigger", 2, kBool, "", false},
        FieldFact{"BuildState", "statusCode", 3, kEnum, "proto.StatusCode", false},
        FieldFact{"TestState", "status", 1, kStr, "", false},
        FieldFact{"TestState", "statusCode", 2, kEnum, "proto.StatusCode", false},
        FieldFact{"DeployState", "status", 1, kStr, "", false},
        FieldFact{"DeployState", "autoTrigger", 2, kBool, "", false},
        FieldFact{"DeployState", "statusCode", 3, kEnum, "proto.StatusCode", false},
        FieldFact{"StatusCheckState", "status", 1, kStr, "", false},
        FieldFact{"StatusCheckState", "resources", 2, kMsg, "proto.StatusCheckState.ResourcesEntry", true},
        FieldFact{"StatusCheckState", "statusCode", 3, kEnum, "proto.StatusCode", false},
        FieldFact{"FileSyncState", "status", 1, kStr, "", false},
        FieldFact{"FileSyncState", "autoTrigger", 2, kBool, "", false},
        FieldFact{"Event", "metaEvent", 1, kMsg, "proto.MetaEvent", false},
        FieldFact{"Event", "buildEvent", 2, kMsg, "proto.BuildEvent", false},
        FieldFact{"Event", "deployEvent", 3, kMsg, "proto.DeployEvent", false},
        FieldFact{"Event", "portEvent", 4, kMsg, "proto.PortEvent", false},
        FieldFact{"Event", "statusCheckEvent", 5, kMsg, "proto.StatusCheckEvent", false},
        FieldFact{"Event", "resourceStatusCheckEvent", 6, kMsg, "proto.ResourceStatusCheckEvent", false},
        FieldFact{"Event", "fileSyncEvent", 7, kMsg, "proto.FileSyncEvent", false},
        FieldFact{"Event", "debuggingContainerEvent", 8, kMsg, "proto.DebuggingContainerEvent", false},
        FieldFact{"Event", "devLoopEvent", 9, kMsg, "proto.DevLoopEvent", false},
        FieldFact{"Event", "terminationEvent", 10, kMsg, "proto.TerminationEvent", false},
        FieldFact{"Event", "TestEvent", 11, kMsg, "proto.TestEvent", false},
        FieldFact{"TerminationEvent", "status", 1, kStr, "", false},
        FieldFact{"TerminationEvent", "err", 2, kMsg, "proto.ActionableErr", false},
        FieldFact{"DevLoopEvent", "iteration", 1, kI32, "", false},
        FieldFact{"DevLoopEvent", "status", 2, kStr, "", false},
        FieldFact{"DevLoopEvent", "err", 3, kMsg, "proto.ActionableErr", false},
        FieldFact{"ActionableErr", "errCode", 1, kEnum, "proto.StatusCode", false},
        FieldFact{"ActionableErr", "message", 2, kStr, "", false},
        FieldFact{"ActionableErr", "suggestions", 3, kMsg, "proto.Suggestion", true},
        FieldFact{"MetaEvent", "entry", 1, kStr, "", false},
        FieldFact{"MetaEvent", "metadata", 2, kMsg, "proto.Metadata", false},
        FieldFact{"BuildEvent", "artifact", 1, kStr, "", false},
        FieldFact{"BuildEvent", "status", 2, kStr, "", false},
        FieldFact{"BuildEvent", "err", 3, kStr, "", false},
        FieldFact{"BuildEvent", "errCode", 4, kEnum, "proto.StatusCode", false},
        FieldFact{"BuildEvent", "actionableErr", 5, kMsg, "proto.ActionableErr", false},
        FieldFact{"TestEvent", "status", 1, kStr, "", false},
        FieldFact{"TestEvent", "actionableErr", 2, kMsg, "proto.ActionableErr", false},
        FieldFact{"DeployEvent", "status", 1, kStr, "", false},
        FieldFact{"DeployEvent", "err", 2, kStr, "", false},
        FieldFact{"DeployEvent", "errCode", 3, kEnum, "proto.StatusCode", false},
        FieldFact{"DeployEvent", "actionableErr", 4, kMsg, "proto.ActionableErr", false},
        FieldFact{"StatusCheckEvent", "status", 1, kStr, "", false},
        FieldFact{"StatusCheckEvent", "message", 2, kStr, "", false},
        FieldFact{"StatusCheckEvent", "err", 3, kStr, "", false},
        FieldFact{"StatusCheckEvent", "errCode", 4, kEnum, "proto.StatusCode", false},
        FieldFact{"StatusCheckEvent", "actionableErr", 5, kMsg, "proto.ActionableErr", false},
        FieldFact{"ResourceStatusCheckEvent", "resource", 1, kStr, "", false},
        FieldFact{"ResourceStatusCheckEvent", "status", 2, kStr, "", false},
        FieldFact{"ResourceStatusCheckEvent", "message", 3, kStr, "", false},
        FieldFact{"ResourceStatusCheckEvent", "err", 4, kStr, "", false},
        FieldFact{"ResourceStatusCheckEvent", "statusCode", 5, kEnum, "proto.StatusCode", false},
        FieldFact{"ResourceStatusCheckEvent", "actionableErr", 6, kMsg, "proto.ActionableErr", false},
        FieldFact{"PortEvent", "localPort", 1, kI32, "", false},
        FieldFact{"PortEvent", "remotePort", 2, kI32, "", false},
        FieldFact{"PortEvent", "podName", 3, kStr, "", false},
        FieldFact{"PortEvent", "containerName", 4, kStr, "", false},
        FieldFact{"PortEvent", "namespace", 5, kStr, "", false},
        FieldFact{"PortEvent", "portName", 6, kStr, "", false},
        FieldFact{"PortEvent", "resourceType", 7, kStr, "", false},
        FieldFact{"PortEvent", "resourceName", 8, kStr, "", false},
        FieldFact{"PortEvent", "address", 9, kStr, "", false},
        FieldFact{"PortEvent", "targetPort", 10, kMsg, "proto.IntOrString", false},
        FieldFact{"FileSyncEvent", "fileCount", 1, kI32, "", false},
        FieldFact{"FileSyncEvent", "image", 2, kStr, "", false},
        FieldFact{"FileSyncEvent", "status", 3, kStr, "", false},
        FieldFact{"FileSyncEvent", "err", 4, kStr, "", false},
        FieldFact{"FileSyncEvent", "errCode", 5, kEnum, "proto.StatusCode", false},
        FieldFact{"FileSyncEvent", "actionableErr", 6, kMsg, "proto.ActionableErr", false},
        FieldFact{"DebuggingContainerEvent", "status", 1, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "podName", 2, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "containerName", 3, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "namespace", 4, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "artifact", 5, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "runtime", 6, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "workingDir", 7, kStr, "", false},
        FieldFact{"DebuggingContainerEvent", "debugPorts", 8, kMsg, "proto.DebuggingContainerEvent.DebugPortsEntry", true},
        FieldFact{"LogEntry", "timestamp", 1, kMsg, "google.protobuf.Timestamp", false},
        FieldFact{"LogEntry", "event", 2, kMsg, "proto.Event", false},
        FieldFact{"LogEntry", "entry", 3, kStr, "", false},
        FieldFact{"UserIntentRequest", "intent", 1, kMsg, "proto.Intent", false},
        FieldFact{"TriggerRequest", "state", 1, kMsg, "proto.TriggerState", false},
        FieldFact{"TriggerState", "enabled", 1, kBool, "", false},
        FieldFact{"Intent", "build", 1, kBool, "", false},
        FieldFact{"Intent", "sync", 2, kBool, "", false},
        FieldFact{"Intent", "deploy", 3, kBool, "", false},
        FieldFact{"Suggestion", "suggestionCode", 1, kEnum, "proto.SuggestionCode", false},
        FieldFact{"Suggestion", "action", 2, kStr, "", false},
        FieldFact{"IntOrString", "type", 1, kI32, "", false},
        FieldFact{"IntOrString", "intVal", 2, kI32, "", false},
        FieldFact{"IntOrString", "strVal", 3, kStr, "", false}));

TEST(ContractTest, StateReservesFieldThree) {
  const Descriptor* d = proto::State::descriptor();
  EXPECT_EQ(d->FindFieldByNumber(3), nullptr);
  ASSERT_EQ(d->reserved_range_count(), 1);
  EXPECT_EQ(d->reserved_range(0)->start, 3);
}

TEST(ContractTest, OneofsHaveTheirWireNames) {
  ASSERT_NE(proto::Event::descriptor()->FindOneofByName("event_type"), nullptr);
  EXPECT_EQ(proto::Event::descriptor()->FindOneofByName("event_type")->field_count(), 11);
  ASSERT_NE(proto::TriggerState::descriptor()->FindOneofByName("val"), nullptr);
}

TEST(ContractTest, ServiceMethodsAndStreaming) {
  const auto* service = proto::SkaffoldService::service_full_name();
  EXPECT_STREQ(service, "proto.SkaffoldService");
  const auto* d = proto::State::descriptor()->file()->FindServiceByName("SkaffoldService");
  ASSERT_NE(d, nullptr);
  struct M {
    const char* name;
    const char* in;
    const char* out;
    bool client_streaming;
    bool server_streaming;
  };
  const M methods[] = {
      {"GetState", "google.protobuf.Empty", "proto.State", false, false},
      {"EventLog", "proto.LogEntry", "proto.LogEntry", true, true},
      {"Events", "google.protobuf.Empty", "proto.LogEntry", false, true},
      {"Execute", "proto.UserIntentRequest", "google.protobuf.Empty", false, false},
      {"AutoBuild", "proto.TriggerRequest", "google.protobuf.Empty", false, false},
      {"AutoSync", "proto.TriggerRequest", "google.protobuf.Empty", false, false},
      {"AutoDeploy", "proto.TriggerRequest", "google.protobuf.Empty", false, false},
      {"Handle", "proto.Event", "google.protobuf.Empty", false, false},
  };
  EXPECT_EQ(d->method_count(), 8);
  for (const M& m : methods) {
    const auto* method = d->FindMethodByName(m.name);
    ASSERT_NE(method, nullptr) << m.name;
    EXPECT_EQ(method->input_type()->full_name(), m.in) << m.name;
    EXPECT_EQ(method->output_type()->full_name(), m.out) << m.name;
    EXPECT_EQ(method->client_streaming(), m.client_streaming) << m.name;
    EXPECT_EQ(method->server_streaming(), m.server_streaming) << m.name;
  }
}

TEST(ContractTest, StatusCodeNumbers) {
  const auto* e = proto::StatusCode_descriptor();
  const std::pair<const char*, int> facts[] = {
      {"OK", 0},
      {"STATUSCHECK_SUCCESS", 200},
      {"BUILD_SUCCESS", 201},
      {"DEPLOY_SUCCESS", 202},
      {"BUILD_USER_ERROR", 104},
      {"BUILD_DOCKER_DAEMON_NOT_RUNNING", 103},
      {"BUILD_DOCKERFILE_NOT_FOUND", 115},
      {"STATUSCHECK_CONTAINER_TERMINATED", 303},
      {"STATUSCHECK_UNHEALTHY", 357},
      {"SYNC_UNKNOWN", 505},
      {"STATUSCHECK_DEADLINE_EXCEEDED", 801},
      {"BUILD_CANCELLED", 802},
      {"DEPLOY_KUBECTL_VERSION_ERR", 1109},
  };
  for (const auto& [name, number] : facts) {
    const auto* v = e->FindValueByName(name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ(v->number(), number) << name;
  }
}

TEST(ContractTest, HttpRoutesAreAnnotated) {
  const auto* d = proto::State::descriptor()->file()->FindServiceByName("SkaffoldService");
  const auto route = [&](const char* method) {
    const auto& rule = d->FindMethodByName(method)->options().GetExtension(google::api::http);
    return std::make_tuple(rule.get(), rule.put(), rule.post(), rule.body());
  };
  EXPECT_EQ(route("GetState"), std::make_tuple("/v1/state", "", "", ""));
  EXPECT_EQ(route("Events"), std::make_tuple("/v1/events", "", "", ""));
  EXPECT_EQ(route("EventLog"), std::make_tuple("/v1/event_log", "", "", ""));
  EXPECT_EQ(route("Execute"), std::make_tuple("", "", "/v1/execute", "intent"));
  EXPECT_EQ(route("AutoBuild"), std::make_tuple("", "/v1/build/auto_execute", "", "state"));
  EXPECT_EQ(route("AutoSync"), std::make_tuple("", "/v1/sync/auto_execute", "", "state"));
  EXPECT_EQ(route("AutoDeploy"), std::make_tuple("", "/v1/deploy/auto_execute", "", "state"));
  EXPECT_EQ(route("Handle"), std::make_tuple("", "", "/v1/events/handle", "*"));
}

proto::LogEntry SampleEntry() {
  proto::LogEntry entry;
  *entry.mutable_timestamp() = TimeUtil::NanosecondsToTimestamp(1795216814577791139);
  auto* build = entry.mutable_event()->mutable_buildevent();
  build->set_artifact("leeroy-web");
  build->set_status("Failed");
  build->set_err("exit status 1");
  build->set_errcode(proto::BUILD_USER_ERROR);
  build->mutable_actionableerr()->set_errcode(proto::BUILD_USER_ERROR);
  auto* s = build->mutable_actionableerr()->add_suggestions();
  s->set_suggestioncode(proto::FIX_USER_BUILD_ERR);
  s->set_action("Fix the Dockerfile");
  entry.set_entry("Build failed for artifact leeroy-web");
  return entry;
}

TEST(RoundTripTest, BinaryPreservesEveryField) {
  proto::State state;
  state.mutable_buildstate()->mutable_artifacts()->insert({"app", "Complete"});
  (*state.mutable_forwardedports())[9000].set_remoteport(8080);
  state.mutable_metadata()->mutable_additional()->insert({"k", "v"});
  proto::State back;
  ASSERT_TRUE(back.ParseFromString(state.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(state, back));

  proto::LogEntry entry = SampleEntry();
  proto::LogEntry entry_back;
  ASSERT_TRUE(entry_back.ParseFromString(entry.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(entry, entry_back));
}

TEST(RoundTripTest, JsonPreservesEveryField) {
  proto::LogEntry entry = SampleEntry();
  proto::LogEntry back;
  ASSERT_TRUE(FromJson(ToJson(entry), &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(entry, back)) << back.DebugString();

  proto::State state;
  (*state.mutable_forwardedports())[9000].set_localport(9000);
  (*state.mutable_forwardedports())[50055].set_localport(50055);
  state.mutable_statuscheckstate()->mutable_resources()->insert({"container/web", "Pending"});
  proto::State state_back;
  ASSERT_TRUE(FromJson(ToJson(state), &state_back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(state, state_back)) << state_back.DebugString();
}

TEST(JsonTest, ForwardedPortsAreKeyedByLocalPortAsAString) {
  proto::State state;
  proto::PortEvent& port = (*state.mutable_forwardedports())[9000];
  port.set_localport(9000);
  port.set_remoteport(8080);
  port.set_resourcetype("container");
  port.set_resourcename("web");
  port.set_address("127.0.0.1");
  EXPECT_THAT(ToJson(state),
              HasSubstr("\"forwardedPorts\":{\"9000\":{\"localPort\":9000,\"remotePort\":8080,"
                        "\"podName\":\"\",\"containerName\":\"\",\"namespace\":\"\","
                        "\"portName\":\"\",\"resourceType\":\"container\","
                        "\"resourceName\":\"web\",\"address\":\"127.0.0.1\","
                        "\"targetPort\":null}}"));
}

TEST(JsonTest, EmptyStateHasEveryFieldWithItsDefault) {
  EXPECT_EQ(ToJson(proto::State()),
            "{\"buildState\":null,\"deployState\":null,\"forwardedPorts\":{},"
            "\"statusCheckState\":null,\"fileSyncState\":null,\"debuggingContainers\":[],"
            "\"metadata\":null,\"testState\":null}");
  proto::BuildState build;
  EXPECT_EQ(ToJson(build), "{\"artifacts\":{},\"autoTrigger\":false,\"statusCode\":\"OK\"}");
}

TEST(JsonTest, TimestampIsRfc3339UtcWithZ) {
  proto::LogEntry entry;
  *entry.mutable_timestamp() = TimeUtil::NanosecondsToTimestamp(1795216814577791139);
  EXPECT_THAT(ToJson(entry), HasSubstr("\"timestamp\":\"2026-11-20T23:20:14.577791139Z\""));
  *entry.mutable_timestamp() = TimeUtil::SecondsToTimestamp(1795216814);
  EXPECT_THAT(ToJson(entry), HasSubstr("\"timestamp\":\"2026-11-20T23:20:14Z\""));
}

TEST(JsonTest, LogEntryMatchesTheGatewayShape) {
  EXPECT_EQ(ToJson(SampleEntry()),
            "{\"timestamp\":\"2026-11-20T23:20:14.577791139Z\",\"event\":{\"buildEvent\":{"
            "\"artifact\":\"leeroy-web\",\"status\":\"Failed\",\"err\":\"exit status 1\","
            "\"errCode\":\"BUILD_USER_ERROR\",\"actionableErr\":{\"errCode\":\"BUILD_USER_ERROR\","
            "\"message\":\"\",\"suggestions\":[{\"suggestionCode\":\"FIX_USER_BUILD_ERR\","
            "\"action\":\"Fix the Dockerfile\"}]}}},"
            "\"entry\":\"Build failed for artifact leeroy-web\"}");
}

TEST(JsonTest, TriggerStateOneofRendersOnlyWhenSet) {
  proto::TriggerState state;
  EXPECT_EQ(ToJson(state), "{}");
  state.set_enabled(true);
  EXPECT_EQ(ToJson(state), "{\"enabled\":true}");
  state.set_enabled(false);
  EXPECT_EQ(ToJson(state), "{\"enabled\":false}");
}

TEST(JsonTest, StringsAreEscaped) {
  proto::Response r;
  r.set_msg("a\"b\\c\n\x01");
  EXPECT_EQ(ToJson(r), "{\"msg\":\"a\\\"b\\\\c\\n\\u0001\"}");
}

TEST(JsonParseTest, AcceptsEmptyBodyAndUnknownFields) {
  proto::Intent intent;
  EXPECT_TRUE(FromJson("", &intent).ok());
  EXPECT_TRUE(FromJson("  \n", &intent).ok());
  EXPECT_TRUE(FromJson("{}", &intent).ok());
  ASSERT_TRUE(FromJson("{\"build\": true, \"extra\": 1}", &intent).ok());
  EXPECT_TRUE(intent.build());
  EXPECT_FALSE(intent.deploy());
}

TEST(JsonParseTest, TriggerStateKnowsWhetherEnabledWasGiven) {
  proto::TriggerState state;
  ASSERT_TRUE(FromJson("{}", &state).ok());
  EXPECT_FALSE(state.has_enabled());
  ASSERT_TRUE(FromJson("{\"enabled\": false}", &state).ok());
  EXPECT_TRUE(state.has_enabled());
  EXPECT_FALSE(state.enabled());
}

TEST(JsonParseTest, RejectsMalformedAndWronglyTypedJson) {
  proto::Intent intent;
  for (const char* bad : {"{", "{\"build\": tru}", "[1]", "{\"build\": \"yes\"}",
                          "{\"build\": {}}", "nope", "{\"build\": 1}", "\"x\""}) {
    absl::Status s = FromJson(bad, &intent);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("Intent")) << bad;
  }
}

TEST(JsonParseTest, EnumsByName) {
  proto::Event event;
  ASSERT_TRUE(
      FromJson("{\"buildEvent\":{\"artifact\":\"a\",\"errCode\":\"BUILD_USER_ERROR\"}}", &event)
          .ok());
  EXPECT_EQ(event.buildevent().errcode(), proto::BUILD_USER_ERROR);
}

}  // namespace
}  // namespace devloop::api
