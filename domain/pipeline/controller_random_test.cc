// Drives the controller with random interleavings of changes, intents, toggles
// and results (a model of the shell answers the effects it asked for), and
// checks the loop's invariants after every step and after draining. Some
// inputs are deliberately wrong (results that do not fit, unknown artifacts and
// resources, paths outside the context): each must be refused and change nothing.
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/pipeline/controller.h"
#include "domain/state/event_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::domain {
namespace {

class Simulation {
 public:
  explicit Simulation(uint32_t seed) : rng_(seed) {
    ControllerOptions o;
    o.artifacts = {ArtifactSpec{"base"}, ArtifactSpec{"app", {"base"}, {{"static/**", "/srv", "static/"}}},
                   ArtifactSpec{"web", {}, {{"*.css", "/css", ""}}}};
    o.auto_build = Coin();
    o.auto_sync = Coin();
    o.auto_deploy = Coin();
    o.status_check_options.deadline = absl::Seconds(30);
    // Kubernetes-style minReadySeconds on one resource in half the runs.
    min_ready_b_ = Coin() ? absl::Seconds(2) : absl::ZeroDuration();
    // `test` names web in half the runs: its builds are tested before they deploy.
    web_tested_ = Coin();
    o.artifacts[2].tested = web_tested_;
    images_ = {"base", "app", "web"};
    absl::StatusOr<Controller> c = Controller::Make(o);
    EXPECT_TRUE(c.ok());
    c_.emplace(*std::move(c));
    now_ = absl::FromUnixSeconds(1800000000);
  }

  void Run(int steps) {
    Feed(Start{now_});
    for (int i = 0; i < steps && !HasFailure(); ++i) {
      now_ += absl::Milliseconds(rng_() % 3000);
      Step();
      CheckNeverWedged();
    }
  }

  // Turns every trigger on, asks for every phase and answers all work with
  // success until nothing is outstanding.
  void Drain() {
    for (Phase p : {Phase::kBuild, Phase::kSync, Phase::kDeploy}) {
      if (!c_->auto_trigger(p)) Feed(SetAutoTrigger{now_, p, true});
    }
    Feed(ExecuteIntent{now_, true, true, true});
    for (int i = 0; i < 200 && Outstanding(); ++i) {
      now_ += absl::Seconds(1);
      AnswerOne(/*succeed=*/true);
    }
    ASSERT_FALSE(Outstanding()) << "drain did not finish";
  }

  void CheckFinal() {
    EXPECT_EQ(c_->mode(), Controller::Mode::kIdle);
    EXPECT_TRUE(c_->quiescent());
    // No change dropped: the last change of each artifact went into a
    // successful build or sync started after it.
    for (const auto& [image, seq] : last_change_) {
      EXPECT_GE(covered_[image], seq) << "change to " << image << " was dropped";
    }
    // Every started phase ended.
    EXPECT_EQ(iterations_opened_, iterations_closed_);
    const State& s = log_.state();
    for (const auto& [image, status] : s.build_state.artifacts) {
      EXPECT_NE(status, "In Progress") << image;
    }
    EXPECT_NE(s.deploy_state.status, "In Progress");
    EXPECT_NE(s.status_check_state.status, "In Progress");
    EXPECT_NE(s.file_sync_state.status, "In Progress");
    // The live deployment runs the newest build of every artifact.
    for (const std::string& image : images_) {
      EXPECT_EQ(c_->deploy().live_images().at(image), c_->build(image)->tag());
    }
    CheckReplay();
  }

  void CheckReplay() {
    std::vector<Record> stored;
    for (int64_t i = 0; i < log_.size(); ++i) stored.push_back(*log_.At(i));
    EXPECT_EQ(Replay(stored), log_.state());
  }

 private:
  bool Coin() { return rng_() % 2 == 0; }
  static bool HasFailure() { return ::testing::Test::HasFailure(); }

  bool Outstanding() const {
    return !builds_.empty() || deploy_id_ != 0 || !syncs_.empty() || check_id_ != 0 || testing_;
  }

  void Step() {
    switch (rng_() % 12) {
      case 0:
      case 1:
      case 2: {
        const std::string& image = images_[rng_() % images_.size()];
        std::vector<std::string> paths = {"main.go", "static/a.css", "x.css", "static/js/b.js"};
        FileChange change{paths[rng_() % paths.size()], rng_() % 5 == 0};
        last_change_[image] = ++seq_;
        Feed(FilesChanged{now_, image, {change}});
        return;
      }
      case 3:
        Feed(ExecuteIntent{now_, Coin(), Coin(), Coin()});
        return;
      case 4: {
        Phase p = static_cast<Phase>(rng_() % 3);
        Feed(SetAutoTrigger{now_, p, !c_->auto_trigger(p)});
        return;
      }
      case 5:
        Feed(Tick{now_ + absl::Seconds(rng_() % 40)});
        return;
      case 6:
        FeedWrong();
        return;
      case 7:
        // An edit to web's test dependencies: tested again, never rebuilt.
        if (web_tested_) Feed(TestDependenciesChanged{now_, "web"});
        return;
      default:
        if (Outstanding()) AnswerOne(rng_() % 4 != 0);
        return;
    }
  }

  // Feeds an input that does not fit: it must be refused and change nothing.
  void FeedWrong() {
    std::vector<Input> wrong = {
        FilesChanged{now_, "nope", {{"main.go"}}},
        TestDependenciesChanged{now_, "nope"},
        TestDependenciesChanged{now_, "base"},  // no tests
        FilesChanged{now_, images_[rng_() % images_.size()], {{"main.go"}, {"../../etc/passwd"}}},
        DeploySucceeded{now_, deploy_id_ + 100, {"container/a"}},
        DeployFailed{now_, deploy_id_ + 100},
    };
    for (const std::string& image : images_) {
      if (builds_.count(image) == 0) wrong.push_back(BuildSucceeded{now_, image, image + ":x"});
      if (syncs_.count(image) == 0) wrong.push_back(SyncFailed{now_, image});
    }
    if (!builds_.empty()) wrong.push_back(BuildSucceeded{now_, builds_.begin()->first, ""});
    if (!testing_) wrong.push_back(TestsSucceeded{now_});
    if (check_id_ != 0) {
      wrong.push_back(ResourceObserved{now_, check_id_, {.resource = "container/zz"}});
    }
    Feed(wrong[rng_() % wrong.size()], /*must_fail=*/true);
  }

  // One observation of a resource of the running check: ready, not ready,
  // exited (code, log lines) or restarted; exits and restarts often come
  // within the stability window of a ready one.
  ResourceObservation Observation(bool succeed) {
    ResourceObservation obs;
    obs.resource = Coin() ? "container/a" : "container/b";
    if (obs.resource == "container/b") obs.min_ready = min_ready_b_;
    int32_t& restarts = restarts_[obs.resource];
    obs.restart_count = restarts;
    if (succeed) {
      obs.ready_replicas = 1;
      return obs;
    }
    switch (rng_() % 4) {
      case 0:
        break;  // not ready
      case 1:
      case 2:
        obs.terminated = true;
        obs.terminated_reason = "Error";
        obs.exit_code = 1 + static_cast<int32_t>(rng_() % 5);
        obs.last_log_lines = {"starting", absl::StrCat("exiting with ", obs.exit_code)};
        break;
      case 3:  // restarted, and running (ready) again
        obs.ready_replicas = 1;
        obs.restart_count = ++restarts;
        obs.exit_code = 137;
        obs.last_log_lines = {"killed"};
        break;
    }
    return obs;
  }

  // The model of the running check, before the controller sees `obs`:
  // each resource's ready streak, which the controller must respect.
  void ModelObservation(const ResourceObservation& obs) {
    std::optional<absl::Time>& streak = streak_[obs.resource];
    const bool restarted = obs.restart_count > streak_restarts_[obs.resource];
    const bool ready = obs.ready_replicas >= 1 && !obs.terminated;
    if (ready && !(streak.has_value() && restarted)) {
      if (!streak.has_value()) {
        streak = now_;
        streak_restarts_[obs.resource] = obs.restart_count;
      }
    } else {
      streak.reset();
    }
  }

  // Checks the status check's events of one output against the model.
  void CheckStatusEvents(const Input& input, const Output& out) {
    std::map<std::string, ResourceStatusCheckEvent> changed;
    for (const Record& r : out.records) {
      const auto* e = std::get_if<LogEntry>(&r);
      const auto* rs = e ? std::get_if<ResourceStatusCheckEvent>(&e->event) : nullptr;
      if (rs == nullptr) continue;
      changed[rs->resource] = *rs;
      if (rs->status == kStatusSucceeded) {
        // Up only after staying ready for its window, seen by a later observation.
        const auto* in = std::get_if<ResourceObserved>(&input);
        ASSERT_NE(in, nullptr) << "succeeded without an observation: " << input;
        const std::optional<absl::Time>& streak = streak_[rs->resource];
        ASSERT_TRUE(streak.has_value()) << rs->resource << " succeeded without a ready streak";
        const absl::Duration window =
            rs->resource == "container/b" && min_ready_b_ > absl::ZeroDuration() ? min_ready_b_
                                                                                 : absl::Seconds(1);
        ASSERT_GE(in->now - *streak, window) << rs->resource << " succeeded inside its window";
      }
    }
    // An exit or restart of a pending resource before the deadline fails it,
    // with the exit code and the last log lines.
    const auto* in = std::get_if<ResourceObserved>(&input);
    if (in == nullptr || in->deploy_id != check_id_ || check_id_ == 0) return;
    const ResourceObservation& obs = in->observation;
    if (!obs.terminated && obs.last_log_lines.empty()) return;
    if (status_[obs.resource] != kStatusPending || in->now >= deadline_) return;
    const bool restart_in_window = !obs.terminated && had_streak_;
    if (!obs.terminated && !restart_in_window && obs.restart_count < 3) return;
    auto it = changed.find(obs.resource);
    ASSERT_NE(it, changed.end()) << obs.resource << ": an exit went unreported";
    EXPECT_EQ(it->second.status, kStatusFailed);
    EXPECT_THAT(it->second.message,
                ::testing::HasSubstr(absl::StrCat("exit code ", obs.exit_code)));
    EXPECT_THAT(it->second.message, ::testing::HasSubstr(obs.last_log_lines.back()));
    EXPECT_EQ(it->second.status_code, obs.terminated ? StatusCode::kStatusCheckContainerTerminated
                                                     : StatusCode::kStatusCheckContainerRestarting);
  }

  // Answers one outstanding effect, successfully or not.
  void AnswerOne(bool succeed) {
    std::vector<int> kinds;
    if (!builds_.empty()) kinds.push_back(0);
    if (deploy_id_ != 0) kinds.push_back(1);
    if (!syncs_.empty()) kinds.push_back(2);
    if (check_id_ != 0) kinds.push_back(3);
    if (testing_) kinds.push_back(4);
    if (kinds.empty()) return;
    switch (kinds[rng_() % kinds.size()]) {
      case 0: {
        auto it = builds_.begin();
        std::advance(it, rng_() % builds_.size());
        const std::string image = it->first;
        if (succeed) {
          Feed(BuildSucceeded{now_, image, image + ":" + std::to_string(++tag_counter_)});
        } else {
          Feed(BuildFailed{now_, image, StatusCode::kBuildUserError, "boom"});
        }
        return;
      }
      case 1:
        if (succeed) {
          Feed(DeploySucceeded{now_, deploy_id_, {"container/a", "container/b"}});
        } else {
          Feed(DeployFailed{now_, deploy_id_, StatusCode::kDeployUnknown, "boom"});
        }
        return;
      case 2: {
        const std::string image = syncs_.begin()->first;
        if (succeed) {
          Feed(SyncSucceeded{now_, image});
        } else {
          Feed(SyncFailed{now_, image, StatusCode::kSyncUnknown, "boom"});
        }
        return;
      }
      case 3:
        Feed(ResourceObserved{now_, check_id_, Observation(succeed)});
        return;
      case 4:
        testing_ = false;
        if (succeed) {
          for (const auto& [image, tag] : tests_) passed_tags_.insert(tag);
          Feed(TestsSucceeded{now_});
        } else {
          Feed(TestsFailed{now_, tests_.begin()->first, StatusCode::kTestUnknown, "red"});
        }
        return;
    }
  }

  void Feed(const Input& input, bool must_fail = false) {
    const Controller before = *c_;
    had_streak_ = false;
    if (const auto* o = std::get_if<ResourceObserved>(&input)) {
      if (o->deploy_id == check_id_ && check_id_ != 0 && !must_fail) {
        had_streak_ = streak_[o->observation.resource].has_value();
        ModelObservation(o->observation);
      }
    }
    absl::StatusOr<Output> out = c_->Handle(input);
    if (!out.ok()) {
      // Refused: nothing changed, without a copy to roll back to.
      ASSERT_TRUE(*c_ == before) << input << " was refused but changed the controller";
      if (must_fail) return;
      // The model only sends valid results; only a no-op toggle may be refused.
      ASSERT_EQ(out.status().code(), absl::StatusCode::kAlreadyExists) << input << ": " << out.status();
      return;
    }
    ASSERT_FALSE(must_fail) << input << " does not fit but was accepted";
    for (const Record& r : out->records) {
      log_.Append(r);
      if (const auto* e = std::get_if<LogEntry>(&r)) {
        if (const auto* d = std::get_if<DevLoopEvent>(&e->event)) {
          if (d->status == kStatusInProgress) {
            ASSERT_EQ(iterations_opened_, iterations_closed_) << "iterations overlap";
            ASSERT_EQ(d->iteration, iterations_opened_) << "iterations count from 0";
            ++iterations_opened_;
          } else {
            ++iterations_closed_;
          }
        }
      }
    }
    // Results: what the shell model learns from the input it just sent.
    if (const auto* b = std::get_if<BuildSucceeded>(&input)) {
      built_tags_.insert(b->tag);
      covered_[b->image] = build_started_seq_[b->image];
      builds_.erase(b->image);
    } else if (const auto* f = std::get_if<BuildFailed>(&input)) {
      builds_.erase(f->image);
    } else if (std::holds_alternative<DeploySucceeded>(input) ||
               std::holds_alternative<DeployFailed>(input)) {
      deploy_id_ = 0;
    } else if (const auto* s = std::get_if<SyncSucceeded>(&input)) {
      covered_[s->image] = std::max(covered_[s->image], sync_started_seq_[s->image]);
      syncs_.erase(s->image);
    } else if (const auto* sf = std::get_if<SyncFailed>(&input)) {
      syncs_.erase(sf->image);
    }
    for (const Effect& effect : out->effects) Perform(effect);
    CheckStatusEvents(input, *out);
    for (const Record& r : out->records) {
      const auto* e = std::get_if<LogEntry>(&r);
      const auto* rs = e ? std::get_if<ResourceStatusCheckEvent>(&e->event) : nullptr;
      if (rs != nullptr) status_[rs->resource] = rs->status;
    }
    if (c_->mode() != Controller::Mode::kStatusChecking) check_id_ = 0;
    // One iteration runs exactly while the loop is busy.
    ASSERT_EQ(iterations_opened_ > iterations_closed_, c_->mode() != Controller::Mode::kIdle)
        << "mode " << c_->mode() << " after " << input;
  }

  void Perform(const Effect& effect) {
    if (const auto* b = std::get_if<BuildArtifacts>(&effect)) {
      for (const std::string& image : b->images) {
        ASSERT_EQ(builds_.count(image), 0u) << image << " built twice at once";
        builds_.insert({image, true});
        build_started_seq_[image] = seq_;
      }
    } else if (const auto* d = std::get_if<Deploy>(&effect)) {
      // No deploy without completed builds, never beside a build, always newest.
      ASSERT_TRUE(builds_.empty()) << "deploy while a build runs";
      ASSERT_EQ(deploy_id_, 0) << "two deploys at once";
      ASSERT_EQ(d->images.size(), images_.size());
      for (const auto& [image, tag] : d->images) {
        ASSERT_EQ(built_tags_.count(tag), 1u) << "deploying unbuilt " << tag;
        if (web_tested_ && image == "web") {
          // The newest build whose tests passed, never an untested or failed one.
          ASSERT_EQ(passed_tags_.count(tag), 1u) << "deploying untested " << tag;
        } else {
          ASSERT_EQ(tag, c_->build(image)->tag()) << "deploying a stale image of " << image;
        }
      }
      deploy_id_ = d->deploy_id;
    } else if (const auto* t = std::get_if<RunTests>(&effect)) {
      ASSERT_TRUE(web_tested_) << "tests of an artifact `test` does not name";
      ASSERT_TRUE(builds_.empty()) << "tests while a build runs";
      ASSERT_FALSE(testing_) << "two test runs at once";
      ASSERT_EQ(deploy_id_, 0) << "tests beside a deploy";
      for (const auto& [image, tag] : t->images) {
        ASSERT_EQ(image, "web");
        ASSERT_EQ(tag, c_->build(image)->tag()) << "testing a stale image";
      }
      testing_ = true;
      tests_ = t->images;
    } else if (const auto* s = std::get_if<SyncFiles>(&effect)) {
      ASSERT_EQ(syncs_.count(s->image), 0u);
      syncs_.insert({s->image, true});
      sync_started_seq_[s->image] = seq_;
    } else if (const auto* sc = std::get_if<StartStatusCheck>(&effect)) {
      check_id_ = sc->deploy_id;
      deadline_ = sc->deadline;
      streak_.clear();
      streak_restarts_.clear();
      restarts_.clear();
      status_.clear();
      for (const std::string& r : sc->resources) status_[r] = std::string(kStatusPending);
    }
  }

  // Some input always makes progress: a loop that is busy has an answer due,
  // and an idle loop with queued work moves on an Execute intent.
  void CheckNeverWedged() {
    if (HasFailure()) return;
    if (c_->mode() != Controller::Mode::kIdle) {
      ASSERT_TRUE(Outstanding()) << "busy (" << c_->mode() << ") with nothing outstanding";
      return;
    }
    ASSERT_FALSE(Outstanding()) << "idle with work outstanding";
    if (c_->quiescent()) return;
    Controller copy = *c_;
    absl::StatusOr<Output> out = copy.Handle(ExecuteIntent{now_, true, true, true});
    ASSERT_TRUE(out.ok());
    ASSERT_FALSE(out->effects.empty()) << "wedged: work is queued but an intent starts nothing";
  }

  std::mt19937 rng_;
  std::optional<Controller> c_;
  EventLog log_;
  absl::Time now_;
  std::vector<std::string> images_;

  bool web_tested_ = false;
  bool testing_ = false;  // a RunTests in flight
  ImageTags tests_;       // its images
  std::set<std::string> passed_tags_;
  std::map<std::string, bool> builds_;  // in flight
  std::map<std::string, bool> syncs_;   // in flight
  int64_t deploy_id_ = 0;               // in flight
  int64_t check_id_ = 0;                // running check
  absl::Time deadline_;                 // of the running check
  absl::Duration min_ready_b_;
  // The running check, as the model sees it.
  std::map<std::string, int32_t> restarts_;                  // per resource
  std::map<std::string, std::optional<absl::Time>> streak_;  // ready since
  std::map<std::string, int32_t> streak_restarts_;           // restarts when it began
  std::map<std::string, std::string> status_;                // last reported
  bool had_streak_ = false;  // the observed resource was ready before this observation
  int tag_counter_ = 0;
  std::set<std::string> built_tags_;

  int64_t seq_ = 0;
  std::map<std::string, int64_t> last_change_;
  std::map<std::string, int64_t> build_started_seq_;
  std::map<std::string, int64_t> sync_started_seq_;
  std::map<std::string, int64_t> covered_;

  int iterations_opened_ = 0;
  int iterations_closed_ = 0;
};

TEST(ControllerRandomTest, InvariantsHoldUnderRandomInterleavings) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Simulation sim(seed);
    sim.Run(150);
    if (::testing::Test::HasFailure()) return;
    sim.CheckReplay();
    sim.Drain();
    if (::testing::Test::HasFailure()) return;
    sim.CheckFinal();
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace devloop::domain
