#include "infra/control/deferred_control.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::control {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace d = ::devloop::domain;

// A target that records what it was asked, in order, and answers inline.
class RecordingControl : public Control {
 public:
  void Execute(const Intent& intent, Done done) override {
    Record(absl::StrCat("execute build=", intent.build));
    done(absl::OkStatus());
  }
  void SetAutoTrigger(d::Phase, bool enabled, Done done) override {
    Record(absl::StrCat("trigger ", enabled));
    done(absl::OkStatus());
  }
  void Handle(const d::Event&, Done done) override {
    Record("handle");
    done(absl::OkStatus());
  }
  void Pending(PendingDone done) override {
    Record("pending");
    done(d::PendingWork{});
  }
  std::vector<std::string> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  void Record(std::string call) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
  }
  absl::Mutex mu_;
  std::vector<std::string> calls_;
};

struct Answers {
  std::vector<absl::Status> got;
  Control::Done Done() {
    return [this](absl::Status s) { got.push_back(std::move(s)); };
  }
};

TEST(DeferredControlTest, CallsBeforeAttachWaitAndReachTheTargetInOrder) {
  DeferredControl deferred;
  RecordingControl target;
  Answers answers;
  deferred.Execute({.build = true}, answers.Done());
  deferred.SetAutoTrigger(d::Phase::kSync, false, answers.Done());
  deferred.Handle(d::Event{}, answers.Done());
  bool pending_answered = false;
  deferred.Pending([&](absl::StatusOr<d::PendingWork> w) { pending_answered = w.ok(); });
  EXPECT_THAT(answers.got, IsEmpty());
  EXPECT_FALSE(pending_answered);

  deferred.Attach(&target);
  EXPECT_THAT(target.calls(), ElementsAre("execute build=1", "trigger 0", "handle", "pending"));
  EXPECT_EQ(answers.got.size(), 3u);
  EXPECT_TRUE(pending_answered);

  deferred.Execute({.build = false}, answers.Done());
  EXPECT_EQ(answers.got.size(), 4u);
  EXPECT_EQ(target.calls().back(), "execute build=0");
}

TEST(DeferredControlTest, FailAnswersWaitingAndLaterCallsAndAttachIsThenIgnored) {
  DeferredControl deferred;
  RecordingControl target;
  Answers answers;
  deferred.Execute({.build = true}, answers.Done());
  deferred.Fail(absl::FailedPreconditionError("skaffold.yaml:3:1: bad"));
  ASSERT_EQ(answers.got.size(), 1u);
  EXPECT_EQ(answers.got[0].code(), absl::StatusCode::kFailedPrecondition);

  absl::Status pending = absl::OkStatus();
  deferred.Pending([&](absl::StatusOr<d::PendingWork> w) { pending = w.status(); });
  EXPECT_EQ(pending.message(), "skaffold.yaml:3:1: bad");

  deferred.Attach(&target);
  deferred.SetAutoTrigger(d::Phase::kBuild, true, answers.Done());
  EXPECT_THAT(target.calls(), IsEmpty());
  ASSERT_EQ(answers.got.size(), 2u);
  EXPECT_EQ(answers.got[1].code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DeferredControlTest, EveryCallIsAnsweredOnceWhenAttachRacesWithCallers) {
  DeferredControl deferred;
  RecordingControl target;
  std::atomic<int> answered{0};
  std::vector<std::thread> callers;
  constexpr int kThreads = 4;
  constexpr int kCalls = 200;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        deferred.Execute({}, [&](absl::Status s) {
          if (s.ok()) answered.fetch_add(1);
        });
      }
    });
  }
  deferred.Attach(&target);
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(answered.load(), kThreads * kCalls);
  EXPECT_EQ(target.calls().size(), static_cast<size_t>(kThreads * kCalls));
}

}  // namespace
}  // namespace devloop::control
