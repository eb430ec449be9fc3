// Load and soak harness for the API: the hub, the gRPC server and the HTTP
// server of one process, and on loopback, for a bounded time, clients that mix
//   * GET /v1/state (keep-alive) and gRPC GetState;
//   * Events subscriptions over HTTP and gRPC: some stay for the whole run, others
//     come and go (each reads for a random while, then hangs up);
//   * Execute and auto-trigger toggles over both transports;
// while a publisher stands in for the dev loop: build, sync ("files changed") and
// deploy entries at a fixed rate, appended to the hub as the loop appends them.
// The real loop (Docker) does not run here: this measures the API under load.
//
// Every subscriber checks what it reads: publisher entries carry "seq=N", and a
// subscriber must see 0, 1, 2, ... with no gap, duplicate or reordering for as
// long as it is connected; one that stayed to the end must have every streamed
// entry. Every second (or --report_every) a line gives the process's RSS, the
// hub's size, deliveries, errors and GetState latency percentiles; the exit code
// is non-zero on any lost or reordered entry or any failed call.
//
//   bazel build -c opt //tools/bench/soak:api_soak
//   bazel-bin/tools/bench/soak/api_soak --seconds=600 --report_every=30
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/skaffold.grpc.pb.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/control/control.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"
#include "testing/transport/http_client.h"

namespace devloop::soak {
namespace {

namespace d = ::devloop::domain;
using ::devloop::testing::RawHttpClient;

struct Flags {
  double seconds = 10;
  double report_every = 1;
  int rate = 200;              // publisher entries per second
  int http_watchers = 20;      // /v1/events subscribers for the whole run
  int grpc_watchers = 5;       // Events subscribers for the whole run
  int churners = 4;            // threads whose subscriptions come and go
  int state_clients = 4;       // GET /v1/state loops (half over gRPC GetState)
  int control_per_second = 10; // Execute / toggle calls per second
};

// Latency histogram in microseconds, 10 us buckets to 1 s.
class Histogram {
 public:
  void Add(absl::Duration d) {
    const int64_t us = absl::ToInt64Microseconds(d);
    const size_t i = std::min<size_t>(us / 10, kBuckets - 1);
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

  void Error(std::string what) {
    errors.fetch_add(1);
    absl::MutexLock lock(&mu);
    if (first_errors.size() < 10) first_errors.push_back(std::move(what));
  }
};

// Checks one subscription's entries: publisher entries (entry text
// "seq=N t=MICROS") must come as 0, 1, 2, ...
class Checker {
 public:
  // `timed`: record publish-to-receive latency (for subscribers that read live;
  // one that joins later replays old entries first).
  Checker(Totals* totals, std::string name, bool timed)
      : totals_(totals), name_(std::move(name)), timed_(timed) {}
  void See(absl::string_view text) {
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
  int64_t entries() const { return entries_; }

 private:
  Totals* const totals_;
  const std::string name_;
  const bool timed_;
  int64_t next_seq_ = 0;
  int64_t entries_ = 0;
};

// Extracts the "entry" field of a /v1/events line (JSON-escaped; our marks
// contain nothing that needs escaping).
absl::string_view EntryText(absl::string_view line) {
  const size_t at = line.rfind("\"entry\":\"");
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = line.substr(at + 9);
  return rest.substr(0, rest.find('"'));
}

// Reads /v1/events until the stream ends or `until`; returns the entries read,
// or -1 on an error.
int64_t WatchHttp(int port, absl::Time until, Totals* totals, const std::string& name,
                  bool timed) {
  auto c = RawHttpClient::Connect(port, 30);
  if (!c.ok() || !(*c)->Send("GET /v1/events HTTP/1.1\r\nHost: soak\r\n\r\n").ok()) {
    totals->Error(absl::StrCat(name, ": connect failed"));
    return -1;
  }
  auto head = (*c)->ReadHead();
  if (!head.ok() || head->status != 200) {
    totals->Error(absl::StrCat(name, ": bad response head"));
    return -1;
  }
  totals->subscriptions.fetch_add(1);
  Checker checker(totals, name, timed);
  while (absl::Now() < until) {
    absl::StatusOr<std::string> line = (*c)->ReadLine();
    if (!line.ok()) {
      if (line.status().code() == absl::StatusCode::kNotFound) break;  // stream ended
      totals->Error(absl::StrCat(name, ": ", line.status().ToString()));
      return -1;
    }
    checker.See(EntryText(*line));
  }
  return checker.entries();
}

int64_t WatchGrpc(proto::SkaffoldService::Stub* stub, absl::Time until, Totals* totals,
                  const std::string& name, bool timed) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(until + absl::Seconds(30)));
  auto reader = stub->Events(&ctx, google::protobuf::Empty());
  totals->subscriptions.fetch_add(1);
  Checker checker(totals, name, timed);
  proto::LogEntry entry;
  bool cancelled = false;
  while (reader->Read(&entry)) {
    checker.See(entry.entry());
    if (absl::Now() >= until) {
      ctx.TryCancel();
      cancelled = true;
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!cancelled && !status.ok()) {
    totals->Error(absl::StrCat(name, ": ", status.error_message()));
    return -1;
  }
  return checker.entries();
}

int64_t RssKb() {
  std::ifstream in("/proc/self/status");
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

bool Parse(int argc, char** argv, Flags* f) {
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
      return ok;
    };
    if (!(num("--seconds=", &f->seconds) || num("--report_every=", &f->report_every) ||
          num("--rate=", &f->rate) || num("--http_watchers=", &f->http_watchers) ||
          num("--grpc_watchers=", &f->grpc_watchers) || num("--churners=", &f->churners) ||
          num("--state_clients=", &f->state_clients) ||
          num("--control_per_second=", &f->control_per_second))) {
      std::fprintf(stderr, "api_soak: unknown or bad argument %s\n", argv[i]);
      return false;
    }
  }
  if (f->seconds <= 0 || f->seconds > 3600 || f->rate <= 0 || f->report_every <= 0) {
    std::fprintf(stderr, "api_soak: need 0 < --seconds <= 3600, --rate > 0, --report_every > 0\n");
    return false;
  }
  return true;
}

int Run(int argc, char** argv) {
  // As apps/devloop_main.cc runs: without Abseil's lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  if (!Parse(argc, argv, &flags)) return 2;

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
  auto new_stub = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return proto::SkaffoldService::NewStub(
        grpc::CreateCustomChannel(grpc_target, grpc::InsecureChannelCredentials(), args));
  };

  Totals totals;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(flags.seconds);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  // Subscribers for the whole run: they read until the hub closes after `end`.
  std::atomic<int64_t> watcher_short{0};
  std::vector<int64_t> watcher_entries(flags.http_watchers + flags.grpc_watchers, 0);
  for (int i = 0; i < flags.http_watchers; ++i) {
    threads.emplace_back([&, i] {
      watcher_entries[i] = WatchHttp(http_port, absl::InfiniteFuture(), &totals,
                                     absl::StrCat("http watcher ", i), /*timed=*/true);
    });
  }
  std::vector<std::unique_ptr<proto::SkaffoldService::Stub>> watcher_stubs;
  for (int i = 0; i < flags.grpc_watchers; ++i) watcher_stubs.push_back(new_stub());
  for (int i = 0; i < flags.grpc_watchers; ++i) {
    threads.emplace_back([&, i] {
      watcher_entries[flags.http_watchers + i] =
          WatchGrpc(watcher_stubs[i].get(), absl::InfiniteFuture(), &totals,
                    absl::StrCat("grpc watcher ", i), /*timed=*/true);
    });
  }

  // Subscriptions that come and go: each reads for 0.1-2 s, then hangs up.
  for (int i = 0; i < flags.churners; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(i);
      auto stub = new_stub();
      for (int n = 0; !stop.load(); ++n) {
        const absl::Time until =
            std::min(end, absl::Now() + absl::Milliseconds(100 + rng() % 1900));
        const std::string name = absl::StrCat("churner ", i, "/", n);
        if (n % 2 == 0) {
          WatchHttp(http_port, until, &totals, name, /*timed=*/false);
        } else {
          WatchGrpc(stub.get(), until, &totals, name, /*timed=*/false);
        }
      }
    });
  }

  // GetState over keep-alive HTTP and over gRPC.
  for (int i = 0; i < flags.state_clients; ++i) {
    threads.emplace_back([&, i] {
      if (i % 2 == 1) {
        auto stub = new_stub();
        while (!stop.load()) {
          grpc::ClientContext ctx;
          ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
          proto::State state;
          const absl::Time t0 = absl::Now();
          grpc::Status s = stub->GetState(&ctx, google::protobuf::Empty(), &state);
          totals.state_latency.Add(absl::Now() - t0);
          if (!s.ok()) totals.Error(absl::StrCat("GetState: ", s.error_message()));
        }
        return;
      }
      auto c = RawHttpClient::Connect(http_port, 10);
      if (!c.ok()) return totals.Error("state client: connect failed");
      while (!stop.load()) {
        const absl::Time t0 = absl::Now();
        absl::Status sent = (*c)->Send("GET /v1/state HTTP/1.1\r\nHost: soak\r\n\r\n");
        auto r = sent.ok() ? (*c)->ReadResponse() : absl::StatusOr<RawHttpClient::Response>(sent);
        totals.state_latency.Add(absl::Now() - t0);
        if (!r.ok() || r->status != 200 || r->body.find("buildState") == std::string::npos) {
          totals.Error(absl::StrCat("GET /v1/state: ", r.ok() ? absl::StrCat(r->status)
                                                               : r.status().ToString()));
          c = RawHttpClient::Connect(http_port, 10);
          if (!c.ok()) return totals.Error("state client: reconnect failed");
        }
      }
    });
  }

  // Execute and auto-trigger toggles, alternating transports. A toggle always
  // flips its phase (setting the value it has is refused, 409 / FAILED_PRECONDITION).
  threads.emplace_back([&] {
    auto stub = new_stub();
    const absl::Duration period = absl::Seconds(1) / std::max(1, flags.control_per_second);
    bool automatic[3] = {true, true, true};  // build, sync, deploy: on at the start
    const char* kToggle[3] = {"/v1/build/auto_execute", "/v1/sync/auto_execute",
                              "/v1/deploy/auto_execute"};
    for (int n = 0; !stop.load(); ++n) {
      const int what = n % 8;  // 0-3 over HTTP, 4-7 over gRPC; 0 and 4 are Execute
      const int phase = (what % 4) - 1;
      const bool on = phase >= 0 && !automatic[phase];
      bool ok = true;
      std::string failure;
      if (what < 4) {
        auto r = what == 0 ? RawHttpClient::Fetch(http_port, "POST", "/v1/execute",
                                                  R"({"intent":{"build":true}})")
                           : RawHttpClient::Fetch(http_port, "PUT", kToggle[phase],
                                                  absl::StrCat(R"({"enabled":)", on ? "true" : "false", "}"));
        ok = r.ok() && r->status == 200;
        if (!ok) {
          failure = r.ok() ? absl::StrCat(r->status, " ", r->body) : r.status().ToString();
        }
      } else {
        grpc::ClientContext ctx;
        ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
        google::protobuf::Empty out;
        proto::TriggerRequest toggle;
        toggle.mutable_state()->set_enabled(on);
        grpc::Status s;
        if (what == 4) {
          proto::UserIntentRequest req;
          req.mutable_intent()->set_sync(true);
          s = stub->Execute(&ctx, req, &out);
        } else if (phase == 0) {
          s = stub->AutoBuild(&ctx, toggle, &out);
        } else if (phase == 1) {
          s = stub->AutoSync(&ctx, toggle, &out);
        } else {
          s = stub->AutoDeploy(&ctx, toggle, &out);
        }
        ok = s.ok();
        if (!ok) failure = s.error_message();
      }
      if (ok && phase >= 0) automatic[phase] = on;
      // A call still in flight when the soak ends may meet the hub closing
      // ("devloop is shutting down"): that is the right answer then.
      if (!ok && !stop.load()) totals.Error(absl::StrCat("control call ", what, ": ", failure));
      totals.control_calls.fetch_add(1);
      absl::SleepFor(period);
    }
  });

  // The stand-in for the dev loop: builds, file syncs and deploys at `rate`.
  std::thread publisher([&] {
    int64_t seq = 0;
    while (absl::Now() < end) {
      const int64_t due = static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) *
                                               flags.rate);
      for (; seq < due; ++seq) {
        std::string text = absl::StrCat("seq=", seq, " t=", absl::ToUnixMicros(absl::Now()));
        const absl::Time now = absl::Now();
        switch (seq % 4) {
          case 0:
            hub.Append(d::LogEntry{now, d::BuildEvent{"web", "In Progress"}, std::move(text)});
            break;
          case 1:
            hub.Append(d::LogEntry{now, d::FileSyncEvent{3, "web", "In Progress"}, std::move(text)});
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

  std::printf("servers: HTTP 127.0.0.1:%d, gRPC %s (e.g. wrk -t2 -c64 http://127.0.0.1:%d/v1/state)\n",
              http_port, grpc_target.c_str(), http_port);
  std::printf("%8s %8s %10s %12s %8s %8s %14s %14s\n", "t(s)", "rss(MB)", "entries", "deliveries",
              "subs", "errors", "state p50/p99", "event p50/p99");
  const int64_t rss_start = RssKb();
  int64_t rss_max = rss_start;
  std::vector<int64_t> rss_samples;
  for (absl::Time next = start + absl::Seconds(flags.report_every); next <= end + absl::Milliseconds(1);
       next += absl::Seconds(flags.report_every)) {
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
  stop = true;
  const int64_t streamed = hub.size();
  hub.Close();  // watchers read to the end, then their streams finish
  for (auto& t : threads) t.join();
  (*http_server)->Shutdown(absl::Seconds(5));
  (*grpc_server)->Shutdown(absl::Seconds(5));

  for (size_t i = 0; i < watcher_entries.size(); ++i) {
    if (watcher_entries[i] != streamed) {
      watcher_short.fetch_add(1);
      totals.Error(absl::StrCat("watcher ", i, " read ", watcher_entries[i], " of ", streamed,
                                " entries"));
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
      static_cast<long long>(watcher_short.load()), static_cast<long long>(totals.errors.load()),
      rss_start / 1024.0, rss_max / 1024.0, first_half_max / 1024.0, second_half_max / 1024.0);
  {
    absl::MutexLock lock(&totals.mu);
    for (const auto& e : totals.first_errors) std::printf("error: %s\n", e.c_str());
  }
  const bool ok = totals.errors.load() == 0 && totals.lost_or_reordered.load() == 0;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace devloop::soak

int main(int argc, char** argv) { return devloop::soak::Run(argc, argv); }
