// HookedSyncer around a fake syncer and container exec, with real host hook
// processes: order, the variables host hooks see, and failures.
#include "infra/hooks/hooked_syncer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

using Where = config::SyncHook::Where;

// The syncer and the exec: each call becomes an event.
class FakeTarget : public deploy::Syncer, public deploy::ContainerExec {
 public:
  absl::Status Sync(int64_t deploy_id, const std::string& image,
                    const deploy::SyncRequest&) override {
    Note(absl::StrCat("sync ", image, " in ", deploy_id));
    return sync_result;
  }
  absl::Status Exec(int64_t deploy_id, const std::string& image,
                    const std::vector<std::string>& command,
                    const std::function<void(absl::string_view)>& on_output) override {
    Note(absl::StrCat("exec ", image, " in ", deploy_id, ": ", absl::StrJoin(command, " ")));
    on_output("from the container");
    return exec_result;
  }
  void Note(std::string event) {
    absl::MutexLock lock(&mu);
    events.push_back(std::move(event));
  }
  std::vector<std::string> Events() {
    absl::MutexLock lock(&mu);
    return events;
  }

  absl::Status sync_result;
  absl::Status exec_result;
  absl::Mutex mu;
  std::vector<std::string> events;
};

struct Fixture {
  FakeTarget target;
  process::PosixProcessRunner runner;
  HostHooks host_hooks{&runner, {}};

  HookedSyncer Make(ArtifactSyncHooks web) {
    return HookedSyncer(&target, &target, &host_hooks,
                        {.artifacts = {{"web", std::move(web)}},
                         .env = {{"SKAFFOLD_KUBE_CONTEXT", "kind-dev"}},
                         .on_output = [this](absl::string_view line) {
                           target.Note(std::string(line));
                         }});
  }
};

const deploy::SyncRequest kRequest{
    .copies = {{"/src/web/a.html", "/www/a.html"},
               {"/src/web/a.html", "/www/copy/a.html"},
               {"/src/web/b.css", "/www/b.css"}},
    .deletes = {"/www/old.txt"},
    .reference = "web:v1@sha256:ab",
    .deleted_host_paths = {"/src/web/old.txt"}};

TEST(HookedSyncerTest, HooksRunAroundTheSyncInOrderWithSkaffoldsVariables) {
  Fixture f;
  HookedSyncer syncer = f.Make(
      {.before = {{.command = {"sh", "-c",
                               "echo $SKAFFOLD_IMAGE $SKAFFOLD_BUILD_CONTEXT "
                               "$SKAFFOLD_KUBE_CONTEXT"}},
                  {.where = Where::kContainer, .command = {"touch", "/tmp/x"}}},
       .after = {{.command = {"sh", "-c",
                              "echo $SKAFFOLD_FILES_ADDED_OR_MODIFIED $SKAFFOLD_FILES_DELETED"}}},
       .context_dir = "/src/web"});
  ASSERT_TRUE(syncer.Sync(2, "web", kRequest).ok());
  EXPECT_THAT(f.target.Events(),
              ElementsAre("[before-sync hook] web:v1@sha256:ab /src/web kind-dev",
                          "exec web in 2: touch /tmp/x", "[before-sync hook] from the container",
                          "sync web in 2",
                          "[after-sync hook] /src/web/a.html;/src/web/b.css /src/web/old.txt"));
}

TEST(HookedSyncerTest, FailingHostHookFailsTheSyncBeforeItRuns) {
  Fixture f;
  HookedSyncer syncer = f.Make(
      {.before = {{.where = Where::kContainer, .command = {"true"}},
                  {.command = {"sh", "-c", "echo nope; exit 4"}}}});
  absl::Status s = syncer.Sync(2, "web", kRequest);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kSyncUnknown);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("before-sync hook 2 of artifact web"),
                                 HasSubstr("exited with status 4"), HasSubstr("nope")));
  EXPECT_THAT(f.target.Events(), ElementsAre("exec web in 2: true",
                                             "[before-sync hook] from the container",
                                             "[before-sync hook] nope"));
}

TEST(HookedSyncerTest, FailingContainerHookFailsTheSync) {
  Fixture f;
  f.target.exec_result = absl::AbortedError("`ls /nope` exited with status 1");
  HookedSyncer syncer = f.Make({.after = {{.where = Where::kContainer, .command = {"ls", "/nope"}}}});
  absl::Status s = syncer.Sync(3, "web", kRequest);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(domain::AttachedStatusCode(s), domain::StatusCode::kSyncUnknown);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("after-sync hook 1 of artifact web (in its container)"),
                                 HasSubstr("exited with status 1")));
}

TEST(HookedSyncerTest, FailedSyncRunsNoAfterHookAndOtherArtifactsHaveNone) {
  Fixture f;
  f.target.sync_result = absl::FailedPreconditionError("no running container for web");
  HookedSyncer syncer = f.Make({.after = {{.command = {"sh", "-c", "echo after"}}}});
  EXPECT_EQ(syncer.Sync(1, "web", kRequest).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(syncer.Sync(1, "db", kRequest).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(f.target.Events(), ElementsAre("sync web in 1", "sync db in 1"));
}

}  // namespace
}  // namespace devloop::hooks
