// HookedBuilder around a fake builder, with real hook processes: the order of
// hooks and build, the variables the hooks see, and failures on either side.
#include "infra/hooks/hooked_builder.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "domain/events/status_payload.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "infra/process/posix_process_runner.h"

namespace devloop::hooks {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Notes every build in `events` (shared with the hooks' output) and returns
// `result`; runs the request's hooks as a builder does, around a build but
// not around an image it reuses (`reuse`, the artifact cache's hit).
class FakeBuilder : public build::Builder {
 public:
  FakeBuilder(std::vector<std::string>* events, absl::Mutex* mu) : events_(events), mu_(mu) {}
  absl::StatusOr<std::string> Build(const build::BuildRequest& request) override {
    if (!reuse && request.before_build) {
      if (absl::Status s = request.before_build(); !s.ok()) return s;
    }
    {
      absl::MutexLock lock(mu_);
      events_->push_back((reuse ? "reuse " : "build ") + request.image);
    }
    if (!result.ok()) return result;
    if (!reuse && request.after_build) {
      if (absl::Status s = request.after_build(); !s.ok()) return s;
    }
    return result;
  }
  void Cancel(const std::string& image) override {
    absl::MutexLock lock(mu_);
    events_->push_back("cancel " + image);
  }
  absl::Status Cleanup() override { return absl::OkStatus(); }

  absl::StatusOr<std::string> result = std::string("127.0.0.1:5000/web:v1@sha256:ab");
  bool reuse = false;

 private:
  std::vector<std::string>* events_;
  absl::Mutex* mu_;
};

struct Fixture {
  absl::Mutex mu;
  std::vector<std::string> events;
  process::PosixProcessRunner runner;
  HostHooks host_hooks{&runner, {}};
  FakeBuilder* base = nullptr;

  std::unique_ptr<HookedBuilder> Make(ArtifactBuildHooks web) {
    auto fake = std::make_unique<FakeBuilder>(&events, &mu);
    base = fake.get();
    return std::make_unique<HookedBuilder>(
        std::move(fake), &host_hooks,
        HookedBuilder::Options{
            .artifacts = {{"web", std::move(web)}},
            .planned_reference = [](const std::string& image) -> absl::StatusOr<std::string> {
              return "127.0.0.1:5000/" + image + ":v1";
            },
            .push = true,
            .on_output = [this](absl::string_view line) {
              absl::MutexLock lock(&mu);
              events.emplace_back(line);
            }});
  }
  std::vector<std::string> Events() {
    absl::MutexLock lock(&mu);
    return events;
  }
};

TEST(HookedBuilderTest, BeforeHooksThenTheBuildThenAfterHooksWithSkaffoldsVariables) {
  Fixture f;
  auto builder = f.Make(
      {.before = {{.command = {"sh", "-c",
                               "echo $SKAFFOLD_IMAGE $SKAFFOLD_PUSH_IMAGE $SKAFFOLD_IMAGE_REPO "
                               "$SKAFFOLD_IMAGE_TAG $SKAFFOLD_BUILD_CONTEXT"}}},
       .after = {{.command = {"sh", "-c", "echo done"}}},
       .context_dir = "/src/web"});
  absl::StatusOr<std::string> ref = builder->Build({.image = "web"});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(*ref, "127.0.0.1:5000/web:v1@sha256:ab") << "the base's reference, as it is";
  EXPECT_THAT(f.Events(),
              ElementsAre("[before-build hook] 127.0.0.1:5000/web:v1 true 127.0.0.1:5000/web v1 "
                          "/src/web",
                          "build web", "[after-build hook] done"));
}

TEST(HookedBuilderTest, FailingBeforeHookFailsTheBuildWithoutBuilding) {
  Fixture f;
  auto builder = f.Make({.before = {{.command = {"sh", "-c", "echo no lint; exit 2"}}},
                         .context_dir = "/src/web"});
  absl::StatusOr<std::string> ref = builder->Build({.image = "web"});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(ref.status().message(),
              AllOf(HasSubstr("before-build hook 1 of artifact web"),
                    HasSubstr("exited with status 2"), HasSubstr("no lint")));
  EXPECT_THAT(f.Events(), ElementsAre("[before-build hook] no lint"));
}

TEST(HookedBuilderTest, FailingAfterHookFailsTheBuild) {
  Fixture f;
  auto builder = f.Make({.after = {{.command = {"false"}}}, .context_dir = "/src/web"});
  absl::StatusOr<std::string> ref = builder->Build({.image = "web"});
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(domain::AttachedStatusCode(ref.status()), domain::StatusCode::kBuildUserError);
  EXPECT_THAT(ref.status().message(), HasSubstr("after-build hook 1 of artifact web"));
  EXPECT_THAT(f.Events(), ElementsAre("build web"));
}

TEST(HookedBuilderTest, FailedBuildRunsNoAfterHook) {
  Fixture f;
  auto builder = f.Make({.after = {{.command = {"sh", "-c", "echo after"}}}});
  f.base->result = domain::WithStatusCode(absl::AbortedError("RUN failed"),
                                          domain::StatusCode::kBuildUserError);
  absl::StatusOr<std::string> ref = builder->Build({.image = "web"});
  EXPECT_EQ(ref.status().message(), "RUN failed");
  EXPECT_THAT(f.Events(), ElementsAre("build web"));
}

TEST(HookedBuilderTest, ArtifactsWithoutHooksAndCancelGoStraightToTheBase) {
  Fixture f;
  auto builder = f.Make({.before = {{.command = {"false"}}}});
  EXPECT_TRUE(builder->Build({.image = "db"}).ok());
  builder->Cancel("web");
  EXPECT_THAT(f.Events(), ElementsAre("build db", "cancel web"));
}

TEST(HookedBuilderTest, WithoutASinkHookOutputGoesToTheRequests) {
  absl::Mutex mu;
  std::vector<std::string> events;
  process::PosixProcessRunner runner;
  HostHooks host_hooks(&runner, {});
  HookedBuilder builder(std::make_unique<FakeBuilder>(&events, &mu), &host_hooks,
                        {.artifacts = {{"web", {.before = {{.command = {"echo", "hi"}}}}}}});
  std::vector<std::string> output;
  ASSERT_TRUE(builder
                  .Build({.image = "web",
                          .on_output = [&](absl::string_view line) {
                            absl::MutexLock lock(&mu);
                            output.emplace_back(line);
                          }})
                  .ok());
  EXPECT_THAT(output, ElementsAre("[before-build hook] hi"));
}

TEST(HookedBuilderTest, AnImageTheBuilderReusesRunsNoHooksAndNamesNothing) {
  Fixture f;
  int named = 0;
  auto fake = std::make_unique<FakeBuilder>(&f.events, &f.mu);
  fake->reuse = true;
  HookedBuilder builder(
      std::move(fake), &f.host_hooks,
      {.artifacts = {{"web",
                      {.before = {{.command = {"sh", "-c", "echo before"}}},
                       .after = {{.command = {"sh", "-c", "echo after"}}}}}},
       .planned_reference = [&named](const std::string& image) -> absl::StatusOr<std::string> {
         ++named;
         return image + ":v1";
       },
       .on_output = [&f](absl::string_view line) {
         absl::MutexLock lock(&f.mu);
         f.events.emplace_back(line);
       }});
  ASSERT_TRUE(builder.Build({.image = "web"}).ok());
  EXPECT_THAT(f.Events(), ElementsAre("reuse web"));
  EXPECT_EQ(named, 0) << "the tagger is not asked for a build that does not happen";
}

TEST(HookedBuilderTest, WithBuildHooksLeavesAnArtifactWithoutHooksAlone) {
  process::PosixProcessRunner runner;
  HostHooks host_hooks(&runner, {});
  HookedBuilder::Options options{
      .artifacts = {{"web", {.before = {{.command = {"true"}}}}}, {"db", {}}}};
  EXPECT_FALSE(WithBuildHooks({.image = "db"}, &host_hooks, options).before_build);
  EXPECT_FALSE(WithBuildHooks({.image = "api"}, &host_hooks, options).after_build);
  build::BuildRequest web = WithBuildHooks({.image = "web"}, &host_hooks, options);
  ASSERT_TRUE(web.before_build && web.after_build);
  EXPECT_TRUE(web.before_build().ok());
  EXPECT_TRUE(web.after_build().ok()) << "no after hooks: nothing to fail";
}

}  // namespace
}  // namespace devloop::hooks
