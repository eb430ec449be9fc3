#include "testing/e2e/contract.h"

#include <algorithm>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;

proto::LogEntry Entry(std::string text) {
  proto::LogEntry e;
  e.set_entry(std::move(text));
  return e;
}
proto::LogEntry Meta() {
  proto::LogEntry e = Entry("Starting devloop: {Version:v0 ConfigVersion:skaffold/v4beta13}");
  e.mutable_event()->mutable_metaevent()->set_entry(e.entry());
  return e;
}
proto::LogEntry DevLoop(int iteration, const std::string& status) {
  proto::LogEntry e = Entry(status == "In Progress" ? "Update initiated"
                            : status == "Succeeded" ? "Update succeeded"
                                                    : "Update failed");
  e.mutable_event()->mutable_devloopevent()->set_iteration(iteration);
  e.mutable_event()->mutable_devloopevent()->set_status(status);
  return e;
}
proto::LogEntry Build(const std::string& artifact, const std::string& status) {
  proto::LogEntry e = Entry(absl::StrCat(
      status == "In Progress" ? "Build started" : "Build completed", " for artifact ", artifact));
  e.mutable_event()->mutable_buildevent()->set_artifact(artifact);
  e.mutable_event()->mutable_buildevent()->set_status(status);
  return e;
}
proto::LogEntry Deploy(const std::string& status) {
  proto::LogEntry e = Entry(status == "In Progress" ? "Deploy started" : "Deploy completed");
  e.mutable_event()->mutable_deployevent()->set_status(status);
  return e;
}
proto::LogEntry Port(const std::string& container, int port) {
  proto::LogEntry e =
      Entry(absl::StrCat("Forwarding container ", container, " to local port ", port));
  e.mutable_event()->mutable_portevent()->set_containername(container);
  e.mutable_event()->mutable_portevent()->set_localport(port);
  return e;
}
proto::LogEntry Check(const std::string& status) {
  proto::LogEntry e = Entry("Status check");
  e.mutable_event()->mutable_statuscheckevent()->set_status(status);
  return e;
}
proto::LogEntry Resource(const std::string& resource, const std::string& status) {
  proto::LogEntry e = Entry("Resource");
  e.mutable_event()->mutable_resourcestatuscheckevent()->set_resource(resource);
  e.mutable_event()->mutable_resourcestatuscheckevent()->set_status(status);
  return e;
}
proto::LogEntry Sync(const std::string& image, const std::string& status, int files = 1) {
  proto::LogEntry e = Entry(absl::StrCat(
      status == "In Progress" ? "File sync started" : "File sync succeeded", " for ", files,
      " files for ", image));
  e.mutable_event()->mutable_filesyncevent()->set_image(image);
  e.mutable_event()->mutable_filesyncevent()->set_status(status);
  e.mutable_event()->mutable_filesyncevent()->set_filecount(files);
  return e;
}

// What devloop streams for iteration 0 of the microservices example.
std::vector<proto::LogEntry> GoodInitialIteration() {
  return {Meta(),
          DevLoop(0, "In Progress"),
          Build("web", "In Progress"),
          Build("app", "In Progress"),
          Build("app", "Complete"),
          Build("web", "Complete"),
          Deploy("In Progress"),
          Deploy("Complete"),
          Check("In Progress"),
          Resource("container/web", "Pending"),
          Port("web", 9002),
          Resource("container/web", "Succeeded"),
          Resource("container/app", "Succeeded"),
          Check("Succeeded"),
          DevLoop(0, "Succeeded")};
}

const BuildIterationSpec kInitial = {
    .iteration = 0, .artifacts = {"web", "app"}, .ports = {{"web", 9002}}};

TEST(CheckBuildIterationTest, AcceptsTheContractSequence) {
  absl::Status s = CheckBuildIteration(GoodInitialIteration(), kInitial);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(CheckBuildIterationTest, RefusesEachBreakOfTheContract) {
  struct Case {
    std::string name;
    std::function<void(std::vector<proto::LogEntry>&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no metaEvent first", [](auto& v) { v.erase(v.begin()); }, "metaEvent"},
      {"deploy before a build completed",
       [](auto& v) { std::swap(v[5], v[6]); }, "deploy started before every build"},
      {"complete before start", [](auto& v) { std::swap(v[3], v[4]); }, "without starting"},
      {"wrong build text", [](auto& v) { v[2].set_entry("Building web"); }, "wrong entry text"},
      {"port before deploy complete", [](auto& v) { std::swap(v[7], v[10]); }, "portEvent before"},
      {"missing port", [](auto& v) { v.erase(v.begin() + 10); }, "port forwards"},
      {"status check never succeeds", [](auto& v) { v.erase(v.begin() + 13); }, "status check"},
      {"resource ends pending",
       [](auto& v) { v[11] = Resource("container/web", "Pending"); }, "repeated status"},
      {"iteration failed", [](auto& v) { v.back() = DevLoop(0, "Failed"); }, "ended Failed"},
      {"a file sync inside", [](auto& v) { v.insert(v.begin() + 8, Sync("web:1", "In Progress")); },
       "no place"},
      {"an artifact not built", [](auto& v) { v.erase(v.begin() + 3, v.begin() + 5); },
       "before every build completed"},
  };
  for (const Case& c : cases) {
    std::vector<proto::LogEntry> v = GoodInitialIteration();
    c.mutate(v);
    absl::Status s = CheckBuildIteration(v, kInitial);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.want)) << c.name;
  }
}

proto::LogEntry Debugging(const std::string& container) {
  proto::LogEntry e = Entry(absl::StrCat("Debugging container ", container, " (go) on dlv 56268"));
  proto::DebuggingContainerEvent* d = e.mutable_event()->mutable_debuggingcontainerevent();
  d->set_status("Started");
  d->set_podname(container + "-r1-1");
  d->set_containername(container);
  d->set_artifact(container);
  d->set_runtime("go");
  (*d->mutable_debugports())["dlv"] = 56268;
  return e;
}
proto::LogEntry DebugPort(const std::string& container, int port) {
  proto::LogEntry e = Port(container, port);
  e.mutable_event()->mutable_portevent()->set_portname("dlv");
  return e;
}

// The same under `devloop debug`, with app debugged.
std::vector<proto::LogEntry> GoodDebugIteration() {
  std::vector<proto::LogEntry> v = GoodInitialIteration();
  v.insert(v.begin() + 7, Debugging("app"));  // during the deploy
  v.insert(v.begin() + 12, DebugPort("app", 56268));
  return v;
}

TEST(CheckBuildIterationTest, UnderDebugAcceptsTheDebuggingContainersAndTheirForwards) {
  BuildIterationSpec spec = kInitial;
  spec.debugging = {{"app", "go"}};
  absl::Status s = CheckBuildIteration(GoodDebugIteration(), spec);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_FALSE(CheckBuildIteration(GoodDebugIteration(), kInitial).ok())
      << "a debugging container where none is expected";

  struct Case {
    std::string name;
    std::function<void(std::vector<proto::LogEntry>&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"debugging before the deploy", [](auto& v) { std::swap(v[6], v[7]); },
       "before the deploy"},
      {"no debug forward", [](auto& v) { v.erase(v.begin() + 12); }, "debug ports"},
      {"wrong text", [](auto& v) { v[7].set_entry("Debugging app"); }, "wrong entry text"},
      {"no ports",
       [](auto& v) { v[7].mutable_event()->mutable_debuggingcontainerevent()->clear_debugports(); },
       "without podName, artifact or debugPorts"},
      {"terminated", [](auto& v) {
         v[7].mutable_event()->mutable_debuggingcontainerevent()->set_status("Terminated");
       }, "debugging status Terminated"},
  };
  // Forwards that wait for a debugged app may come after the iteration.
  std::vector<proto::LogEntry> late = GoodDebugIteration();
  std::rotate(late.begin() + 11, late.begin() + 13, late.end());  // both ports after the end
  EXPECT_FALSE(CheckBuildIteration(late, spec).ok());
  BuildIterationSpec tolerant = spec;
  tolerant.may_follow = true;
  absl::Status followed = CheckBuildIteration(late, tolerant);
  EXPECT_TRUE(followed.ok()) << followed;
  late.pop_back();  // the debug port's forward never came
  EXPECT_FALSE(CheckBuildIteration(late, tolerant).ok());
  // The debugger listened only after the iteration: Started follows it too.
  std::vector<proto::LogEntry> listened = GoodDebugIteration();
  std::rotate(listened.begin() + 7, listened.begin() + 8, listened.end());
  EXPECT_FALSE(CheckBuildIteration(listened, spec).ok());
  followed = CheckBuildIteration(listened, tolerant);
  EXPECT_TRUE(followed.ok()) << followed;

  for (const Case& c : cases) {
    std::vector<proto::LogEntry> v = GoodDebugIteration();
    c.mutate(v);
    absl::Status bad = CheckBuildIteration(v, spec);
    EXPECT_FALSE(bad.ok()) << c.name;
    EXPECT_THAT(std::string(bad.message()), HasSubstr(c.want)) << c.name;
  }
}

TEST(CheckSyncIterationTest, AcceptsTheContractSequenceAndReturnsTheTag) {
  std::vector<proto::LogEntry> v = GoodInitialIteration();
  for (auto e : {DevLoop(1, "In Progress"), Sync("web:abc", "In Progress"),
                 Sync("web:abc", "Succeeded"), DevLoop(1, "Succeeded")}) {
    v.push_back(e);
  }
  absl::StatusOr<std::string> tag = CheckSyncIteration(v, {.iteration = 1, .image_prefix = "web:"});
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(*tag, "web:abc");
}

TEST(CheckSyncIterationTest, RefusesABuildInsideOrAnotherImage) {
  std::vector<proto::LogEntry> built = {DevLoop(1, "In Progress"), Sync("web:abc", "In Progress"),
                                        Build("web", "In Progress"), Sync("web:abc", "Succeeded"),
                                        DevLoop(1, "Succeeded")};
  EXPECT_FALSE(CheckSyncIteration(built, {.iteration = 1, .image_prefix = "web:"}).ok());
  std::vector<proto::LogEntry> other = {DevLoop(1, "In Progress"), Sync("app:abc", "In Progress"),
                                        Sync("app:abc", "Succeeded"), DevLoop(1, "Succeeded")};
  EXPECT_FALSE(CheckSyncIteration(other, {.iteration = 1, .image_prefix = "web:"}).ok());
  std::vector<proto::LogEntry> two_files = {
      DevLoop(1, "In Progress"), Sync("web:abc", "In Progress", 2),
      Sync("web:abc", "Succeeded", 2), DevLoop(1, "Succeeded")};
  EXPECT_FALSE(CheckSyncIteration(two_files, {.iteration = 1, .image_prefix = "web:"}).ok());
}

TEST(FindIterationTest, NamesWhatIsMissing) {
  std::vector<proto::LogEntry> v = {Meta(), DevLoop(0, "In Progress")};
  absl::StatusOr<IterationSpan> span = FindIteration(v, 0);
  ASSERT_FALSE(span.ok());
  EXPECT_THAT(std::string(span.status().message()), HasSubstr("did not end"));
  span = FindIteration(v, 1);
  ASSERT_FALSE(span.ok());
  EXPECT_THAT(std::string(span.status().message()), HasSubstr("no devLoopEvent 1"));
}

}  // namespace
}  // namespace devloop::e2e
