// Drives the controller with random interleavings of changes, intents, toggles
// and results (a model of the shell answers the effects it asked for), and
// checks the loop's invariants after every step and after draining.
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

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
      EXPECT_EQ(c_->deploy().live_images().at(image), c_->build(image).tag());
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
    return !builds_.empty() || deploy_id_ != 0 || !syncs_.empty() || check_id_ != 0;
  }

  void Step() {
    switch (rng_() % 10) {
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
      default:
        if (Outstanding()) AnswerOne(rng_() % 4 != 0);
        return;
    }
  }

  // Answers one outstanding effect, successfully or not.
  void AnswerOne(bool succeed) {
    std::vector<int> kinds;
    if (!builds_.empty()) kinds.push_back(0);
    if (deploy_id_ != 0) kinds.push_back(1);
    if (!syncs_.empty()) kinds.push_back(2);
    if (check_id_ != 0) kinds.push_back(3);
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
      case 3: {
        ResourceObservation obs;
        obs.resource = Coin() ? "container/a" : "container/b";
        obs.ready_replicas = succeed ? 1 : 0;
        if (!succeed && Coin()) obs.terminated = true;
        Feed(ResourceObserved{now_, check_id_, obs});
        return;
      }
    }
  }

  void Feed(const Input& input) {
    absl::StatusOr<Output> out = c_->Handle(input);
    if (!out.ok()) {
      // The model only sends valid results; only a no-op toggle may be refused.
      ASSERT_EQ(out.status().code(), absl::StatusCode::kAlreadyExists) << input << ": " << out.status();
      return;
    }
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
    if (c_->mode() != Controller::Mode::kStatusChecking) check_id_ = 0;
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
        ASSERT_EQ(tag, c_->build(image).tag()) << "deploying a stale image of " << image;
      }
      deploy_id_ = d->deploy_id;
    } else if (const auto* s = std::get_if<SyncFiles>(&effect)) {
      ASSERT_EQ(syncs_.count(s->image), 0u);
      syncs_.insert({s->image, true});
      sync_started_seq_[s->image] = seq_;
    } else if (const auto* sc = std::get_if<StartStatusCheck>(&effect)) {
      check_id_ = sc->deploy_id;
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

  std::map<std::string, bool> builds_;  // in flight
  std::map<std::string, bool> syncs_;   // in flight
  int64_t deploy_id_ = 0;               // in flight
  int64_t check_id_ = 0;                // running check
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
