// Load and soak harness for the API. On loopback, for a bounded time, clients
// that mix
//   * GET /v1/state (keep-alive) and gRPC GetState;
//   * Events subscriptions over HTTP and gRPC: some stay for the whole run, others
//     come and go (each reads for a random while, then hangs up);
//   * Execute and auto-trigger toggles over both transports;
// run against one of two servers:
//
// In-process (the default): the hub, the gRPC server and the HTTP server of this
// process, while a publisher stands in for the dev loop: build, sync ("files
// changed") and deploy entries at a fixed rate, appended to the hub as the loop
// appends them. This measures the API under load. Publisher entries carry
// "seq=N", and a subscriber must see 0, 1, 2, ... with no gap, duplicate or
// reordering for as long as it is connected; one that stayed to the end must
// have every streamed entry.
//
// The real loop (--devloop=BINARY --project=DIR): `devloop dev` on a prepared
// copy of DIR (testing/examples/sync or a copy of it; see real_loop.h), started
// and run to the end of iteration 0 first, while an editor saves the synced
// www/index.html every --edit_every seconds (and every --rebuild_every-th time
// appends a comment to the Dockerfile, so devloop rebuilds and redeploys, then
// waits until that save is served). A trigger the control calls turn off is
// turned on again at once, so the loop stays automatic. Its entries carry no
// sequence number, so after the run, once the editor stopped
// and the loop is idle, one full read of /v1/events is the reference: every
// subscriber that stayed must hold exactly its entries in its order, and every
// one that came and went a prefix of it (log_check.h); the log's FileSyncEvent
// "Succeeded" entries must be at least the syncs devloop's console reported, no
// phase may fail, and the container must serve the last edit. Then devloop gets
// SIGINT and must exit 0 leaving nothing of its run behind; it is stopped and
// its objects removed on every failure path too.
//
// Every second (or --report_every) a line gives RSS (this process's, and
// devloop's), the log's size, deliveries, errors and GetState latency
// percentiles; the exit code is non-zero on any lost or reordered entry, failed
// call, failed check or (real loop) devloop dying.
//
//   bazel build -c opt //tools/bench/soak:api_soak //apps:devloop
//   bazel-bin/tools/bench/soak/api_soak --seconds=600 --report_every=30
//   bazel-bin/tools/bench/soak/api_soak --devloop=bazel-bin/apps/devloop
//       --project=testing/examples/sync --seconds=600 --report_every=30   # one command
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/json.h"
#include "api/skaffold.grpc.pb.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/control/control.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"
#include "testing/transport/http_client.h"
#include "tools/bench/soak/log_check.h"
#include "tools/bench/soak/real_loop.h"

namespace devloop::soak {
namespace {

namespace d = ::devloop::domain;
using ::devloop::testing::RawHttpClient;

struct Flags {
  double seconds = 10;
  double report_every = 1;
  int rate = 200;               // publisher entries per second (in-process)
  int http_watchers = 20;       // /v1/events subscribers for the whole run
  int grpc_watchers = 5;        // Events subscribers for the whole run
  int churners = 4;             // threads whose subscriptions come and go
  int state_clients = 4;        // GET /v1/state loops (half over gRPC GetState)
  int control_per_second = 10;  // Execute / toggle calls per second
  // The real loop instead of the in-process hub and publisher.
  std::string devloop;      // the devloop binary
  std::string project;      // testing/examples/sync or a copy of it
  double edit_every = 0.5;  // seconds between saves of www/index.html
  int rebuild_every = 10;   // every Nth save also edits the Dockerfile; 0: never
  // "drop_entry": the first HTTP watcher drops its third entry as if it were
  // lost, so a run shows its checks fail (and, with --devloop, still cleans up).
  std::string fault;
};

// Latency histogram in microseconds, 10 us buckets to 1 s.
class Histogram {
 public:
  void Add(absl::Duration d) {
    const int64_t us = absl::ToInt64Microseconds(d);
    const size_t i = std::min<size_t>(std::max<int64_t>(us, 0) / 10, kBuckets - 1);
    absl::MutexLock lock(&mu_);
    ++buckets_[i];
    ++count_;
  }
  // Returns {count, p50 ms, p99 ms} and starts a new interval.
  std::tuple<int64_t, double, double> TakeInterval() {
    absl::MutexLock lock(&mu_);
    auto at = [&](double p) {
      const int64_t want = static_cast<int64_t>(p * count_);
      int64_t seen = 0;
      for (size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen > want) return i * 10 / 1000.0;
      }
      return kBuckets * 10 / 1000.0;
    };
    auto result = std::make_tuple(count_, count_ ? at(0.5) : 0, count_ ? at(0.99) : 0);
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
    return result;
  }

 private:
  static constexpr size_t kBuckets = 100'000;
  absl::Mutex mu_;
  std::vector<int64_t> buckets_ = std::vector<int64_t>(kBuckets);
  int64_t count_ = 0;
};

struct Totals {
  std::atomic<int64_t> deliveries{0};
  std::atomic<int64_t> lost_or_reordered{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> subscriptions{0};
  std::atomic<int64_t> control_calls{0};
  Histogram state_latency;
  Histogram delivery_latency;
  absl::Mutex mu;
  std::vector<std::string> first_errors ABSL_GUARDED_BY(mu);
  // Real loop: (entries, chain hash) of each subscription that came and went.
  std::vector<std::pair<int64_t, uint64_t>> churned ABSL_GUARDED_BY(mu);

  void Error(std::string what) {
    errors.fetch_add(1);
    absl::MutexLock lock(&mu);
    if (first_errors.size() < 10) first_errors.push_back(std::move(what));
  }
};

// How subscribers check what they read.
enum class Check {
  kSequence,  // in-process: publisher entries "seq=N t=MICROS" come as 0, 1, 2, ...
  kSameLog,   // real loop: chained, for comparison with the final log
};

// What a subscriber that stays for the whole run has read (kSameLog), for the
// final comparison while it is still connected. Thread-safe.
class WatcherLog {
 public:
  void Add(absl::string_view json) {
    absl::MutexLock lock(&mu_);
    chain_.Add(json);
  }
  int64_t size() const {
    absl::MutexLock lock(&mu_);
    return chain_.size();
  }
  EntryChain chain() const {
    absl::MutexLock lock(&mu_);
    return chain_;
  }

 private:
  mutable absl::Mutex mu_;
  EntryChain chain_ ABSL_GUARDED_BY(mu_);
};

// Extracts the "entry" field of a /v1/events line (JSON-escaped; our marks
// contain nothing that needs escaping).
absl::string_view EntryText(absl::string_view line) {
  const size_t at = line.rfind("\"entry\":\"");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = line.substr(at + 9);
  return rest.substr(0, rest.find('"'));
}

// Returns the "timestamp" of an entry's JSON (RFC 3339), or InfinitePast.
absl::Time JsonTimestamp(absl::string_view json) {
  const size_t at = json.find("\"timestamp\":\"");
  if (at == absl::string_view::npos) return absl::InfinitePast();
  absl::string_view rest = json.substr(at + 13);
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, rest.substr(0, rest.find('"')), &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

// Checks one subscription's entries as `check` says; counts deliveries.
class Checker {
 public:
  // `timed`: record publish-to-receive latency (for subscribers that read live;
  // one that joins later replays old entries first). `log`: where a watcher
  // keeps what it read (kSameLog), or null.
  Checker(Totals* totals, std::string name, bool timed, Check check, WatcherLog* log)
      : totals_(totals),
        name_(std::move(name)),
        timed_(timed),
        check_(check),
        log_(log),
        connected_(absl::Now()) {}

  // An HTTP /v1/events line ({"result":...}\n).
  void SeeLine(absl::string_view line) {
    if (check_ == Check::kSequence) return SeeSequenced(EntryText(line));
    const absl::string_view json = EventsLinePayload(line);
    SeeJson(json, timed_ ? JsonTimestamp(json) : absl::InfinitePast());
  }
  // A gRPC Events message.
  void SeeEntry(const proto::LogEntry& entry) {
    if (check_ == Check::kSequence) return SeeSequenced(entry.entry());
    SeeJson(api::ToJson(entry), absl::FromUnixSeconds(entry.timestamp().seconds()) +
                                    absl::Nanoseconds(entry.timestamp().nanos()));
  }
  int64_t entries() const { return entries_; }
  // The chain hash of what a subscription without a WatcherLog read.
  uint64_t chain() const { return chain_; }

 private:
  void SeeSequenced(absl::string_view text) {
    ++entries_;
    totals_->deliveries.fetch_add(1, std::memory_order_relaxed);
    const size_t s = text.find("seq=");
    if (s == absl::string_view::npos) return;  // a control call's entry
    const size_t sp = text.find(' ', s);
    const size_t t = text.find("t=", s);
    int64_t seq = -1, micros = 0;
    if (sp == absl::string_view::npos || t == absl::string_view::npos ||
        !absl::SimpleAtoi(text.substr(s + 4, sp - s - 4), &seq)) {
      return;
    }
    size_t end = t + 2;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (timed_ && absl::SimpleAtoi(text.substr(t + 2, end - t - 2), &micros)) {
      totals_->delivery_latency.Add(absl::Now() - absl::FromUnixMicros(micros));
    }
    if (seq != next_seq_) {
      totals_->lost_or_reordered.fetch_add(1);
      totals_->Error(absl::StrCat(name_, ": expected seq ", next_seq_, ", got ", seq));
    }
    next_seq_ = seq + 1;
  }

  void SeeJson(absl::string_view json, absl::Time stamped) {
    ++entries_;
    totals_->deliveries.fetch_add(1, std::memory_order_relaxed);
    // Entries logged before this subscriber connected are history, not latency.
    if (timed_ && stamped >= connected_) totals_->delivery_latency.Add(absl::Now() - stamped);
    if (log_ != nullptr) {
      log_->Add(json);
    } else {
      chain_ = ChainHash(chain_, json);
    }
  }

  Totals* const totals_;
  const std::string name_;
  const bool timed_;
  const Check check_;
  WatcherLog* const log_;
  const absl::Time connected_;
  int64_t next_seq_ = 0;
  int64_t entries_ = 0;
  uint64_t chain_ = 0;
};

// One Events subscription, as a watcher or a churner makes it.
struct Subscription {
  std::string name;
  absl::Time until = absl::InfiniteFuture();  // hang up then (watchers: never)
  bool timed = false;
  WatcherLog* log = nullptr;  // a watcher's, with Check::kSameLog
  bool drop_third = false;    // --fault=drop_entry
};

// The clients of the soak, the same mix for either server, each on a thread of
// its own. Start, Stop, Ending and the joins are called from one thread (the
// soak's); watcher_logs() may be read while the watchers run.
class ClientMix {
 public:
  // `watch_timeout_seconds`: how long a watcher's HTTP read may wait for the next
  // entry (the real loop is silent while it builds).
  ClientMix(const Flags& flags, Check check, int http_port, std::string grpc_target,
            int watch_timeout_seconds, Totals* totals)
      : flags_(flags),
        check_(check),
        http_port_(http_port),
        grpc_target_(std::move(grpc_target)),
        watch_timeout_seconds_(watch_timeout_seconds),
        totals_(totals) {}

  // Starts every client: watchers, churners (whose subscriptions end by `end`
  // at the latest), GetState loops and the control calls.
  void Start(absl::Time end);
  // Tells the churners, the GetState loops and the control calls to finish.
  void Stop() { stop_ = true; }
  // Waits for them. With Check::kSameLog the control thread first turns every
  // auto trigger it left off back on, so the loop ends as it started.
  void JoinCalls() {
    for (auto& t : calls_) t.join();
    calls_.clear();
  }
  // From now on a stream or call the server cuts is no error (it is stopping).
  void Ending() { ending_ = true; }
  // Waits for the watchers, whose streams end with the server's.
  void JoinWatchers() {
    for (auto& t : watchers_) t.join();
    watchers_.clear();
  }
  // Per watcher, HTTP ones first: entries read (-1 after an error).
  const std::vector<int64_t>& watcher_entries() const { return watcher_entries_; }
  // Per watcher, HTTP ones first (Check::kSameLog).
  const std::vector<std::unique_ptr<WatcherLog>>& watcher_logs() const { return watcher_logs_; }

 private:
  std::unique_ptr<proto::SkaffoldService::Stub> NewStub() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return proto::SkaffoldService::NewStub(
        grpc::CreateCustomChannel(grpc_target_, grpc::InsecureChannelCredentials(), args));
  }
  void Error(std::string what) {
    if (!ending_.load()) totals_->Error(std::move(what));
  }
  void Done(const Subscription& sub, const Checker& checker) {
    if (check_ != Check::kSameLog || sub.log != nullptr) return;
    absl::MutexLock lock(&totals_->mu);
    totals_->churned.emplace_back(checker.entries(), checker.chain());
  }
  int64_t WatchHttp(const Subscription& sub);
  int64_t WatchGrpc(proto::SkaffoldService::Stub* stub, const Subscription& sub);
  void Churn(int i, absl::Time end);
  void AskState(int i);
  void Control();

  const Flags& flags_;
  const Check check_;
  const int http_port_;
  const std::string grpc_target_;
  const int watch_timeout_seconds_;
  Totals* const totals_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ending_{false};
  std::vector<std::thread> watchers_;
  std::vector<std::thread> calls_;
  std::vector<int64_t> watcher_entries_;
  std::vector<std::unique_ptr<WatcherLog>> watcher_logs_;
  std::vector<std::unique_ptr<proto::SkaffoldService::Stub>> watcher_stubs_;
};

// Reads /v1/events until the stream ends or `sub.until`; returns the entries
// read, or -1 on an error.
int64_t ClientMix::WatchHttp(const Subscription& sub) {
  // A churner's read gives up just after its time is up, so a loop with
  // nothing to say cannot hold it.
  const int read_timeout = sub.until == absl::InfiniteFuture()
                               ? watch_timeout_seconds_
                               : 1 + static_cast<int>(std::ceil(std::max(
                                         0.0, absl::ToDoubleSeconds(sub.until - absl::Now()))));
  auto c = RawHttpClient::Connect(http_port_, read_timeout);
  if (!c.ok() || !(*c)->Send("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok()) {
    Error(absl::StrCat(sub.name, ": connect failed"));
    return -1;
  }
  auto head = (*c)->ReadHead();
  if (!head.ok() || head->status != 200) {
    Error(absl::StrCat(sub.name, ": bad response head"));
    return -1;
  }
  totals_->subscriptions.fetch_add(1);
  Checker checker(totals_, sub.name, sub.timed, check_, sub.log);
  int64_t lines = 0;
  while (absl::Now() < sub.until) {
    absl::StatusOr<std::string> line = (*c)->ReadLine();
    if (!line.ok()) {
      if (line.status().code() == absl::StatusCode::kNotFound) break;  // stream ended
      if (absl::Now() >= sub.until) break;  // its time was up while it waited
      Error(absl::StrCat(sub.name, ": ", line.status().ToString()));
      return -1;
    }
    if (sub.drop_third && ++lines == 3) continue;
    checker.SeeLine(*line);
  }
  Done(sub, checker);
  return checker.entries();
}

int64_t ClientMix::WatchGrpc(proto::SkaffoldService::Stub* stub, const Subscription& sub) {
  grpc::ClientContext ctx;
  // A churner's stream ends when its time is up, even if the loop says nothing.
  ctx.set_deadline(absl::ToChronoTime(sub.until));
  auto reader = stub->Events(&ctx, google::protobuf::Empty());
  totals_->subscriptions.fetch_add(1);
  Checker checker(totals_, sub.name, sub.timed, check_, sub.log);
  proto::LogEntry entry;
  bool cancelled = false;
  while (reader->Read(&entry)) {
    checker.SeeEntry(entry);
    if (absl::Now() >= sub.until) {
      ctx.TryCancel();
      cancelled = true;
      break;
    }
  }
  grpc::Status status = reader->Finish();
  // gRPC's deadline timer may fire a hair before our clock says `until`.
  const bool time_up = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                       absl::Now() >= sub.until - absl::Milliseconds(100);
  if (!cancelled && !time_up && !status.ok()) {
    Error(absl::StrCat(sub.name, ": ", status.error_message()));
    return -1;
  }
  Done(sub, checker);
  return checker.entries();
}

void ClientMix::Start(absl::Time end) {
  const int watchers = flags_.http_watchers + flags_.grpc_watchers;
  watcher_entries_.assign(watchers, 0);
  for (int i = 0; i < watchers; ++i) {
    watcher_logs_.push_back(check_ == Check::kSameLog ? std::make_unique<WatcherLog>() : nullptr);
  }
  // Subscribers for the whole run: they read until the server ends their stream.
  for (int i = 0; i < flags_.http_watchers; ++i) {
    watchers_.emplace_back([this, i] {
      watcher_entries_[i] = WatchHttp({.name = absl::StrCat("http watcher ", i),
                                       .timed = true,
                                       .log = watcher_logs_[i].get(),
                                       .drop_third = flags_.fault == "drop_entry" && i == 0});
    });
  }
  for (int i = 0; i < flags_.grpc_watchers; ++i) watcher_stubs_.push_back(NewStub());
  for (int i = 0; i < flags_.grpc_watchers; ++i) {
    const int w = flags_.http_watchers + i;
    watchers_.emplace_back([this, i, w] {
      watcher_entries_[w] = WatchGrpc(
          watcher_stubs_[i].get(),
          {.name = absl::StrCat("grpc watcher ", i), .timed = true, .log = watcher_logs_[w].get()});
    });
  }
  for (int i = 0; i < flags_.churners; ++i) calls_.emplace_back([this, i, end] { Churn(i, end); });
  for (int i = 0; i < flags_.state_clients; ++i) calls_.emplace_back([this, i] { AskState(i); });
  calls_.emplace_back([this] { Control(); });
}

// Subscriptions that come and go: each reads for 0.1-2 s, then hangs up.
void ClientMix::Churn(int i, absl::Time end) {
  std::mt19937 rng(i);
  auto stub = NewStub();
  for (int n = 0; !stop_.load(); ++n) {
    Subscription sub{.name = absl::StrCat("churner ", i, "/", n),
                     .until = std::min(end, absl::Now() + absl::Milliseconds(100 + rng() % 1900))};
    if (n % 2 == 0) {
      WatchHttp(sub);
    } else {
      WatchGrpc(stub.get(), sub);
    }
  }
}

// GetState over keep-alive HTTP and over gRPC.
void ClientMix::AskState(int i) {
  if (i % 2 == 1) {
    auto stub = NewStub();
    while (!stop_.load()) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      proto::State state;
      const absl::Time t0 = absl::Now();
      grpc::Status s = stub->GetState(&ctx, google::protobuf::Empty(), &state);
      totals_->state_latency.Add(absl::Now() - t0);
      if (!s.ok()) Error(absl::StrCat("GetState: ", s.error_message()));
    }
    return;
  }
  auto c = RawHttpClient::Connect(http_port_, 10);
  if (!c.ok()) return Error("state client: connect failed");
  while (!stop_.load()) {
    const absl::Time t0 = absl::Now();
    absl::Status sent = (*c)->Send("GET /v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    auto r = sent.ok() ? (*c)->ReadResponse() : absl::StatusOr<RawHttpClient::Response>(sent);
    totals_->state_latency.Add(absl::Now() - t0);
    if (!r.ok() || r->status != 200 || r->body.find("buildState") == std::string::npos) {
      Error(absl::StrCat("GET /v1/state: ",
                         r.ok() ? absl::StrCat(r->status) : r.status().ToString()));
      c = RawHttpClient::Connect(http_port_, 10);
      if (!c.ok()) return Error("state client: reconnect failed");
    }
  }
}

// Execute and auto-trigger toggles, alternating transports. A toggle always
// flips its phase (setting the value it has is refused, 409 / ALREADY_EXISTS).
// Against the real loop a phase turned off is turned on again at once, over
// the other transport: a loop whose deploys wait half the time for a trigger
// rebuilds instead of syncing (a change to a built but undeployed artifact
// needs a build), and the soak is about a loop that syncs.
void ClientMix::Control() {
  auto stub = NewStub();
  const absl::Duration period = absl::Seconds(1) / std::max(1, flags_.control_per_second);
  bool automatic[3] = {true, true, true};  // build, sync, deploy: on at the start
  const char* kToggle[3] = {"/v1/build/auto_execute", "/v1/sync/auto_execute",
                            "/v1/deploy/auto_execute"};
  // Sets `phase`'s trigger to `on`; returns "" or what failed.
  auto toggle = [&](int phase, bool on, bool over_http) -> std::string {
    if (over_http) {
      auto r = RawHttpClient::Fetch(http_port_, "PUT", kToggle[phase],
                                    absl::StrCat(R"({"enabled":)", on ? "true" : "false", "}"));
      if (r.ok() && r->status == 200) return "";
      return r.ok() ? absl::StrCat(r->status, " ", r->body) : r.status().ToString();
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    google::protobuf::Empty out;
    proto::TriggerRequest request;
    request.mutable_state()->set_enabled(on);
    grpc::Status s = phase == 0   ? stub->AutoBuild(&ctx, request, &out)
                     : phase == 1 ? stub->AutoSync(&ctx, request, &out)
                                  : stub->AutoDeploy(&ctx, request, &out);
    return s.ok() ? "" : s.error_message();
  };
  for (int n = 0; !stop_.load(); ++n) {
    const int what = n % 8;  // 0-3 over HTTP, 4-7 over gRPC; 0 and 4 are Execute
    const int phase = (what % 4) - 1;
    const bool on = phase >= 0 && !automatic[phase];
    std::string failure;
    if (what == 0) {
      auto r =
          RawHttpClient::Fetch(http_port_, "POST", "/v1/execute", R"({"intent":{"build":true}})");
      if (!r.ok() || r->status != 200) {
        failure = r.ok() ? absl::StrCat(r->status, " ", r->body) : r.status().ToString();
      }
    } else if (what == 4) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      google::protobuf::Empty out;
      proto::UserIntentRequest req;
      req.mutable_intent()->set_sync(true);
      grpc::Status s = stub->Execute(&ctx, req, &out);
      if (!s.ok()) failure = s.error_message();
    } else {
      failure = toggle(phase, on, /*over_http=*/what < 4);
      if (failure.empty()) automatic[phase] = on;
      if (failure.empty() && !on && check_ == Check::kSameLog) {
        totals_->control_calls.fetch_add(1);
        failure = toggle(phase, true, /*over_http=*/what >= 4);
        if (failure.empty()) automatic[phase] = true;
      }
    }
    // A call still in flight when the soak ends may meet the hub closing
    // ("devloop is shutting down"): that is the right answer then.
    if (!failure.empty() && !stop_.load()) {
      Error(absl::StrCat("control call ", what, ": ", failure));
    }
    totals_->control_calls.fetch_add(1);
    absl::SleepFor(period);
  }
  if (check_ != Check::kSameLog) return;
  // The real loop must end as it started, every phase automatic: the final
  // edit has to sync, and the final log to settle.
  for (int phase = 0; phase < 3; ++phase) {
    if (automatic[phase]) continue;
    totals_->control_calls.fetch_add(1);
    std::string failure = toggle(phase, true, /*over_http=*/true);
    if (!failure.empty()) Error(absl::StrCat("turning ", kToggle[phase], " back on: ", failure));
  }
}

// Returns VmRSS of process `pid` ("self": this one) in kB; 0 if unreadable
// (the process is gone).
int64_t RssKb(const std::string& pid = "self") {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kb = 0;
      in >> kb;
      return kb;
    }
    std::getline(in, key);
  }
  return 0;
}

// Returns the 1, 5 and 15 minute load averages, "1.23 0.98 0.50".
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

bool Parse(int argc, char** argv, Flags* f) {
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto num = [&](absl::string_view name, auto* out) {
      if (a.substr(0, name.size()) != name) return false;
      absl::string_view v = a.substr(name.size());
      bool ok;
      if constexpr (std::is_same_v<std::remove_pointer_t<decltype(out)>, double>) {
        ok = absl::SimpleAtod(v, out);
      } else {
        ok = absl::SimpleAtoi(v, out);
      }
      if (!ok) std::fprintf(stderr, "api_soak: %s is not a number\n", argv[i]);
      if (ok) given.insert(std::string(name));
      return ok;
    };
    auto text = [&](absl::string_view name, std::string* out) {
      if (a.substr(0, name.size()) != name) return false;
      *out = std::string(a.substr(name.size()));
      given.insert(std::string(name));
      return true;
    };
    if (!(num("--seconds=", &f->seconds) || num("--report_every=", &f->report_every) ||
          num("--rate=", &f->rate) || num("--http_watchers=", &f->http_watchers) ||
          num("--grpc_watchers=", &f->grpc_watchers) || num("--churners=", &f->churners) ||
          num("--state_clients=", &f->state_clients) ||
          num("--control_per_second=", &f->control_per_second) || text("--devloop=", &f->devloop) ||
          text("--project=", &f->project) || num("--edit_every=", &f->edit_every) ||
          num("--rebuild_every=", &f->rebuild_every) || text("--fault=", &f->fault))) {
      std::fprintf(stderr, "api_soak: unknown or bad argument %s\n", argv[i]);
      return false;
    }
  }
  if (f->seconds <= 0 || f->seconds > 3600 || f->rate <= 0 || f->report_every <= 0) {
    std::fprintf(stderr, "api_soak: need 0 < --seconds <= 3600, --rate > 0, --report_every > 0\n");
    return false;
  }
  if (f->http_watchers < 0 || f->grpc_watchers < 0 || f->churners < 0 || f->state_clients < 0 ||
      f->control_per_second < 0) {
    std::fprintf(stderr, "api_soak: client counts and --control_per_second must be >= 0\n");
    return false;
  }
  if (!f->fault.empty() && f->fault != "drop_entry") {
    std::fprintf(stderr, "api_soak: --fault=%s is unknown; the one fault is drop_entry\n",
                 f->fault.c_str());
    return false;
  }
  if (f->fault == "drop_entry" && f->http_watchers == 0) {
    std::fprintf(stderr,
                 "api_soak: --fault=drop_entry needs an HTTP watcher (--http_watchers >= 1)\n");
    return false;
  }
  const bool real = given.count("--devloop=") || given.count("--project=");
  if (real && (f->devloop.empty() || f->project.empty())) {
    std::fprintf(stderr,
                 "api_soak: --devloop=BINARY and --project=DIR go together (e.g. "
                 "--devloop=bazel-bin/apps/devloop --project=testing/examples/sync)\n");
    return false;
  }
  if (real && given.count("--rate=")) {
    std::fprintf(stderr,
                 "api_soak: --rate sets the in-process publisher, which does not run with "
                 "--devloop (the real loop logs what it does; --edit_every paces the edits)\n");
    return false;
  }
  if (!real && (given.count("--edit_every=") || given.count("--rebuild_every="))) {
    std::fprintf(stderr,
                 "api_soak: --edit_every and --rebuild_every need --devloop and --project\n");
    return false;
  }
  if (f->edit_every < 0.05 || f->edit_every > 60 || f->rebuild_every < 0) {
    std::fprintf(stderr, "api_soak: need 0.05 <= --edit_every <= 60 and --rebuild_every >= 0\n");
    return false;
  }
  return true;
}

int RunInProcess(const Flags& flags) {
  hub::Hub hub;
  hub.Append(d::PipelineStarted{{"web", "worker"}});
  control::HubControl control(&hub);
  auto grpc_server = rpc::GrpcServer::Start({.port = 0}, &hub, &control);
  auto http_server = http::HttpServer::Start({.port = 0}, &hub, &control);
  if (!grpc_server.ok() || !http_server.ok()) {
    std::fprintf(stderr, "api_soak: servers did not start\n");
    return 1;
  }
  const int http_port = (*http_server)->port();
  const std::string grpc_target = absl::StrCat("127.0.0.1:", (*grpc_server)->port());

  Totals totals;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(flags.seconds);
  ClientMix clients(flags, Check::kSequence, http_port, grpc_target,
                    /*watch_timeout_seconds=*/30, &totals);
  clients.Start(end);

  // The stand-in for the dev loop: builds, file syncs and deploys at `rate`.
  std::thread publisher([&] {
    int64_t seq = 0;
    while (absl::Now() < end) {
      const int64_t due =
          static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * flags.rate);
      for (; seq < due; ++seq) {
        std::string text = absl::StrCat("seq=", seq, " t=", absl::ToUnixMicros(absl::Now()));
        const absl::Time now = absl::Now();
        switch (seq % 4) {
          case 0:
            hub.Append(d::LogEntry{now, d::BuildEvent{"web", "In Progress"}, std::move(text)});
            break;
          case 1:
            hub.Append(
                d::LogEntry{now, d::FileSyncEvent{3, "web", "In Progress"}, std::move(text)});
            break;
          case 2:
            hub.Append(d::LogEntry{now, d::FileSyncEvent{3, "web", "Succeeded"}, std::move(text)});
            break;
          default:
            hub.Append(d::LogEntry{now, d::DeployEvent{"Complete"}, std::move(text)});
            break;
        }
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  });

  std::printf(
      "servers: HTTP 127.0.0.1:%d, gRPC %s (e.g. wrk -t2 -c64 http://127.0.0.1:%d/v1/state)\n",
      http_port, grpc_target.c_str(), http_port);
  std::printf("%8s %8s %10s %12s %8s %8s %14s %14s\n", "t(s)", "rss(MB)", "entries", "deliveries",
              "subs", "errors", "state p50/p99", "event p50/p99");
  const int64_t rss_start = RssKb();
  int64_t rss_max = rss_start;
  std::vector<int64_t> rss_samples;
  for (absl::Time next = start + absl::Seconds(flags.report_every);
       next <= end + absl::Milliseconds(1); next += absl::Seconds(flags.report_every)) {
    absl::SleepFor(next - absl::Now());
    const int64_t rss = RssKb();
    rss_max = std::max(rss_max, rss);
    rss_samples.push_back(rss);
    auto [n_state, s50, s99] = totals.state_latency.TakeInterval();
    auto [n_event, e50, e99] = totals.delivery_latency.TakeInterval();
    std::printf("%8.0f %8.1f %10lld %12lld %8lld %8lld %6.2f/%-7.2f %6.2f/%-7.2f\n",
                absl::ToDoubleSeconds(absl::Now() - start), rss / 1024.0,
                static_cast<long long>(hub.size()),
                static_cast<long long>(totals.deliveries.load()),
                static_cast<long long>(totals.subscriptions.load()),
                static_cast<long long>(totals.errors.load()), s50, s99, e50, e99);
    std::fflush(stdout);
  }
  publisher.join();
  clients.Stop();
  const int64_t streamed = hub.size();
  hub.Close();  // watchers read to the end, then their streams finish
  clients.JoinCalls();
  clients.JoinWatchers();
  (*http_server)->Shutdown(absl::Seconds(5));
  (*grpc_server)->Shutdown(absl::Seconds(5));

  int64_t watcher_short = 0;
  for (size_t i = 0; i < clients.watcher_entries().size(); ++i) {
    if (clients.watcher_entries()[i] != streamed) {
      ++watcher_short;
      totals.Error(absl::StrCat("watcher ", i, " read ", clients.watcher_entries()[i], " of ",
                                streamed, " entries"));
    }
  }
  // RSS over the second half of the run against the first half's peak: the
  // hub's log grows by design (~80 bytes a record); everything else must not.
  const size_t half = rss_samples.size() / 2;
  const int64_t first_half_max =
      half ? *std::max_element(rss_samples.begin(), rss_samples.begin() + half) : rss_start;
  const int64_t second_half_max =
      half ? *std::max_element(rss_samples.begin() + half, rss_samples.end()) : rss_max;
  std::printf(
      "summary: %.0f s, %lld entries streamed, %lld deliveries, %lld subscriptions, "
      "%lld control calls; lost or reordered: %lld; watchers short: %lld; errors: %lld\n"
      "rss: start %.1f MB, max %.1f MB, first-half max %.1f MB, second-half max %.1f MB\n",
      flags.seconds, static_cast<long long>(streamed),
      static_cast<long long>(totals.deliveries.load()),
      static_cast<long long>(totals.subscriptions.load()),
      static_cast<long long>(totals.control_calls.load()),
      static_cast<long long>(totals.lost_or_reordered.load()),
      static_cast<long long>(watcher_short), static_cast<long long>(totals.errors.load()),
      rss_start / 1024.0, rss_max / 1024.0, first_half_max / 1024.0, second_half_max / 1024.0);
  {
    absl::MutexLock lock(&totals.mu);
    for (const auto& e : totals.first_errors) std::printf("error: %s\n", e.c_str());
  }
  const bool ok = totals.errors.load() == 0 && totals.lost_or_reordered.load() == 0;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

// Set by SIGINT or SIGTERM (Ctrl-C, or Bazel's test timeout) during a real-loop
// soak: it stops early, and devloop is still stopped and its objects removed.
std::atomic<bool> stop_signalled{false};

void OnStopSignal(int) { stop_signalled.store(true); }

void CatchStopSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Returns the last `n` lines of devloop's own output, leaving out the app's
// log lines ("[devloop-sync] ..."): the editor's page requests flood them.
std::string DevloopTail(const std::string& output, int n) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "[")) lines.push_back(line);
  }
  if (lines.size() > static_cast<size_t>(n)) lines.erase(lines.begin(), lines.end() - n);
  return absl::StrJoin(lines, "\n");
}

// What the real-loop soak found once the loop was idle.
struct Findings {
  int64_t final_size = -1;      // entries in the final read; -1 if it failed
  int64_t watchers_differ = 0;  // watchers whose entries are not the final log's
  int64_t churned = 0;          // subscriptions that came and went
  int64_t churned_differ = 0;   // ... whose entries are not a prefix of it
  LoopTally tally;
  int console_syncs = 0;
};

// Waits until the container serves the editor's last page and the loop is
// idle, reads the whole log once, and compares every subscriber with it; then
// counts what the loop did. Each failed check is an error in `totals`.
// REQUIRES: the editor and the calls have stopped; the watchers still read.
Findings CheckAgainstFinalLog(const Flags& flags, RealLoop& loop, const ClientMix& clients,
                              const Editor& editor, Totals* totals) {
  Findings f;
  absl::Status served = loop.WaitServed(editor.last_marker(), absl::Minutes(3));
  if (!served.ok()) {
    totals->Error(absl::StrCat("the last edit is not served: ", served.message()));
    if (!loop.Running()) return f;
  }
  absl::StatusOr<FinalLog> final_log = ReadIdleLog(loop.http_port(), absl::Minutes(3));
  if (!final_log.ok()) {
    totals->Error(absl::StrCat("final read of /v1/events: ", final_log.status().message()));
    return f;
  }
  EntryChain final;
  for (const std::string& json : final_log->json) final.Add(json);
  f.final_size = final.size();

  // A watcher is still connected: it must reach the final log and hold
  // exactly it. One that already differs need not be waited for.
  auto compare = [&](const std::string& name, const std::function<EntryChain()>& read) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    EntryChain seen = read();
    while (seen.size() < final.size() && CheckPrefix(final, seen.size(), seen.last()).ok() &&
           absl::Now() < deadline && loop.Running()) {
      absl::SleepFor(absl::Milliseconds(50));
      seen = read();
    }
    if (absl::Status same = CheckSameLog(final, seen); !same.ok()) {
      ++f.watchers_differ;
      totals->lost_or_reordered.fetch_add(1);
      totals->Error(absl::StrCat(name, ": ", same.message()));
    }
  };
  const auto& logs = clients.watcher_logs();
  for (int i = 0; i < static_cast<int>(logs.size()); ++i) {
    const bool http = i < flags.http_watchers;
    compare(
        absl::StrCat(http ? "http watcher " : "grpc watcher ", http ? i : i - flags.http_watchers),
        [&logs, i] { return logs[i]->chain(); });
  }
  // The run's own Events client, there since before iteration 0, is one more.
  compare("the run's Events client", [&loop] {
    EntryChain chain;
    for (const proto::LogEntry& e : loop.SessionEntries()) chain.Add(api::ToJson(e));
    return chain;
  });
  std::vector<std::pair<int64_t, uint64_t>> churned;
  {
    absl::MutexLock lock(&totals->mu);
    churned = totals->churned;
  }
  f.churned = churned.size();
  for (const auto& [count, last] : churned) {
    if (absl::Status prefix = CheckPrefix(final, count, last); !prefix.ok()) {
      ++f.churned_differ;
      totals->lost_or_reordered.fetch_add(1);
      totals->Error(absl::StrCat("a subscription that came and went: ", prefix.message()));
    }
  }

  f.tally = TallyLog(final_log->entries);
  f.console_syncs = CountConsoleSyncs(loop.Output());
  if (f.tally.syncs_succeeded < f.console_syncs) {
    totals->Error(absl::StrCat("the log holds ", f.tally.syncs_succeeded,
                               " FileSyncEvent Succeeded, the console reported ", f.console_syncs,
                               " syncs"));
  }
  if (f.tally.syncs_succeeded != f.tally.syncs_started) {
    totals->Error(absl::StrCat(f.tally.syncs_started, " syncs started, ", f.tally.syncs_succeeded,
                               " succeeded"));
  }
  if (editor.edits() - editor.dockerfile_edits() >= 2 && f.tally.syncs_succeeded == 0) {
    totals->Error(absl::StrCat(editor.edits(), " edits and not one sync"));
  }
  if (f.tally.failures > 0 || f.tally.iterations_failed > 0) {
    totals->Error(absl::StrCat(f.tally.failures, " failed phases, ", f.tally.iterations_failed,
                               " failed iterations; the first: ", f.tally.first_failure));
  }
  return f;
}

// The real-loop soak; see the file comment.
int RunRealLoop(const Flags& flags) {
  if (absl::Status valid =
          RealLoop::CheckOptions({.devloop = flags.devloop, .project = flags.project});
      !valid.ok()) {
    std::fprintf(stderr, "api_soak: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  CatchStopSignals();
  const std::string load_start = LoadAverage();
  std::printf("starting devloop dev on a copy of %s and waiting for iteration 0 ...\n",
              flags.project.c_str());
  std::fflush(stdout);
  absl::StatusOr<std::unique_ptr<RealLoop>> started = RealLoop::Start(
      {.devloop = flags.devloop, .project = flags.project, .cancelled = &stop_signalled});
  if (!started.ok()) {
    std::fprintf(stderr, "api_soak: %s\n", std::string(started.status().message()).c_str());
    std::printf("FAIL\n");
    return 1;
  }
  RealLoop& loop = **started;
  const std::string pid = absl::StrCat(loop.pid());
  std::printf(
      "devloop dev (pid %s) in %s: HTTP 127.0.0.1:%d, gRPC %s, run %s, app on 127.0.0.1:%d\n",
      pid.c_str(), loop.dir().c_str(), loop.http_port(), loop.grpc_target().c_str(),
      loop.run_id().c_str(), loop.app_port());

  Totals totals;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(flags.seconds);
  // A watcher's read waits up to 10 minutes for the next entry: the loop is
  // silent while it builds, and a build on a loaded machine takes a while.
  ClientMix clients(flags, Check::kSameLog, loop.http_port(), loop.grpc_target(),
                    /*watch_timeout_seconds=*/600, &totals);
  const int64_t rss_start = RssKb();
  std::vector<int64_t> devloop_rss = {RssKb(pid)};
  Editor editor({.dir = loop.dir(),
                 .app_port = loop.app_port(),
                 .every = absl::Seconds(flags.edit_every),
                 .rebuild_every = flags.rebuild_every});
  clients.Start(end);

  std::printf("%8s %8s %11s %8s %12s %6s %6s %6s %14s %14s\n", "t(s)", "rss(MB)", "devloop(MB)",
              "entries", "deliveries", "subs", "edits", "errors", "state p50/p99", "event p50/p99");
  int64_t rss_max = rss_start;
  bool cut_short = false;
  std::string cut_short_by;  // why the soak ended early, for the summary
  for (absl::Time next = start + absl::Seconds(flags.report_every);
       next <= end + absl::Milliseconds(1); next += absl::Seconds(flags.report_every)) {
    // In steps, so a signal or devloop's exit ends the soak at once.
    while (absl::Now() < next && !stop_signalled.load() && loop.Running()) {
      absl::SleepFor(std::min(absl::Milliseconds(100), next - absl::Now()));
    }
    if (stop_signalled.load() || !loop.Running()) {
      cut_short_by = absl::StrCat(
          stop_signalled.load() ? "a signal stopped the soak" : "devloop exited during the soak",
          " at ", absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1))));
      totals.Error(cut_short_by);
      cut_short = true;
      break;
    }
    const int64_t rss = RssKb();
    rss_max = std::max(rss_max, rss);
    devloop_rss.push_back(RssKb(pid));
    auto [n_state, s50, s99] = totals.state_latency.TakeInterval();
    auto [n_event, e50, e99] = totals.delivery_latency.TakeInterval();
    std::printf("%8.0f %8.1f %11.1f %8zu %12lld %6lld %6d %6lld %6.2f/%-7.2f %6.2f/%-7.2f\n",
                absl::ToDoubleSeconds(absl::Now() - start), rss / 1024.0,
                devloop_rss.back() / 1024.0, loop.SessionEntryCount(),
                static_cast<long long>(totals.deliveries.load()),
                static_cast<long long>(totals.subscriptions.load()), editor.edits(),
                static_cast<long long>(totals.errors.load()), s50, s99, e50, e99);
    std::fflush(stdout);
  }
  clients.Stop();
  clients.JoinCalls();  // the triggers are all on again
  editor.Stop();
  if (!cut_short && !loop.Running()) {
    cut_short_by = "devloop exited as the soak ended";
    totals.Error(cut_short_by);
    cut_short = true;
  }
  if (!editor.status().ok()) totals.Error(absl::StrCat("editor: ", editor.status().ToString()));
  const Findings found =
      cut_short ? Findings() : CheckAgainstFinalLog(flags, loop, clients, editor, &totals);
  const std::string load_end = LoadAverage();

  // Stop devloop: SIGINT, exit 0, nothing of the run left; on any failure
  // path the sweep stops it however it can and removes the run's objects.
  clients.Ending();
  std::string stopped = absl::StrCat(cut_short_by.empty() ? "did not stop cleanly" : cut_short_by,
                                     "; the run's objects were swept");
  if (!loop.Running()) {
    if (!cut_short) totals.Error(absl::StrCat("devloop (pid ", pid, ") exited before its SIGINT"));
  } else if (!cut_short) {
    absl::Duration took;
    absl::Status clean = loop.StopAndCheckNothingLeft(absl::Seconds(30), &took);
    if (clean.ok()) {
      stopped = absl::StrCat("SIGINT, exit 0 after ", absl::FormatDuration(took),
                             ", nothing of run ", loop.run_id(), " left");
    } else {
      totals.Error(absl::StrCat("stopping devloop: ", clean.message()));
    }
  }
  if (absl::Status swept = loop.Sweep(); !swept.ok()) {
    totals.Error(absl::StrCat("removing the run's objects: ", swept.message()));
  }
  clients.JoinWatchers();

  std::printf(
      "summary: %.0f s against devloop dev; %lld entries in the final log, %lld deliveries, "
      "%lld subscriptions, %lld control calls; lost or reordered: %lld (watchers that differ "
      "from the final log: %lld; subscriptions that came and went and are not a prefix of it: "
      "%lld of %lld); errors: %lld\n",
      flags.seconds, static_cast<long long>(found.final_size),
      static_cast<long long>(totals.deliveries.load()),
      static_cast<long long>(totals.subscriptions.load()),
      static_cast<long long>(totals.control_calls.load()),
      static_cast<long long>(totals.lost_or_reordered.load()),
      static_cast<long long>(found.watchers_differ), static_cast<long long>(found.churned_differ),
      static_cast<long long>(found.churned), static_cast<long long>(totals.errors.load()));
  const std::string slowest_rebuild =
      editor.longest_rebuild() == absl::ZeroDuration()
          ? "-"
          : absl::FormatDuration(absl::Trunc(editor.longest_rebuild(), absl::Milliseconds(100)));
  std::printf(
      "loop: %d edits (%d of the Dockerfile; the slowest rebuild served after: %s); syncs: %d "
      "reported "
      "on the console, %d FileSyncEvent Succeeded of %d started; %d builds, %d deploys, %d "
      "iterations succeeded, %d failed phases\n",
      editor.edits(), editor.dockerfile_edits(), slowest_rebuild.c_str(), found.console_syncs,
      found.tally.syncs_succeeded, found.tally.syncs_started, found.tally.builds_complete,
      found.tally.deploys_complete, found.tally.iterations_succeeded, found.tally.failures);
  std::printf(
      "rss: harness start %.1f MB, max %.1f MB; devloop start %.1f MB, middle %.1f MB, end %.1f "
      "MB, max %.1f MB\n",
      rss_start / 1024.0, rss_max / 1024.0, devloop_rss.front() / 1024.0,
      devloop_rss[devloop_rss.size() / 2] / 1024.0, devloop_rss.back() / 1024.0,
      *std::max_element(devloop_rss.begin(), devloop_rss.end()) / 1024.0);
  std::printf("load average: %s at the start, %s at the end\n", load_start.c_str(),
              load_end.c_str());
  std::printf("devloop: %s\n", stopped.c_str());
  {
    absl::MutexLock lock(&totals.mu);
    for (const auto& e : totals.first_errors) std::printf("error: %s\n", e.c_str());
  }
  const bool ok = totals.errors.load() == 0 && totals.lost_or_reordered.load() == 0;
  if (!ok) {
    std::printf("devloop's output (all of it in %s), the last lines without the app's:\n%s\n",
                loop.KeepOutput().c_str(), DevloopTail(loop.Output(), 40).c_str());
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

int Run(int argc, char** argv) {
  // As apps/devloop_main.cc runs: without Abseil's lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  if (!Parse(argc, argv, &flags)) return 2;
  return flags.devloop.empty() ? RunInProcess(flags) : RunRealLoop(flags);
}

}  // namespace
}  // namespace devloop::soak

int main(int argc, char** argv) { return devloop::soak::Run(argc, argv); }
