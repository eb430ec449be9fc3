// Event fan-out benchmark: N HTTP /v1/events subscribers and M gRPC Events
// subscribers on loopback while a publisher appends entries to the hub at a fixed
// rate. Checks that every subscriber receives every entry exactly once and in
// order, and reports publish-to-receive latency percentiles.
//
//   bazel run -c opt //tools/bench/transport:fanout_bench -- --http=1000 --grpc=100 --rate=20000 --seconds=5
//
// Each entry's `entry` text carries its sequence number and publish time, so a
// subscriber reads latency straight off the line. HTTP subscribers are raw
// sockets on one epoll thread (the cheapest possible client); gRPC subscribers
// are callback-API readers spread over 10 connections.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
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

namespace devloop::bench {
namespace {

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// CPU seconds (user + system) this process has used, servers and clients alike:
// on a shared machine, the figure that does not depend on what else runs.
double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Latency histogram in microseconds: 1 us buckets below 1 ms, 100 us above, to 10 s.
class Histogram {
 public:
  void Add(int64_t us) {
    if (us < 0) us = 0;
    size_t i = us < 1000 ? static_cast<size_t>(us) : 1000 + static_cast<size_t>(us / 100);
    i = std::min(i, kBuckets - 1);
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  int64_t Percentile(double p) const {
    const uint64_t total = count_.load();
    if (total == 0) return 0;
    const uint64_t want = static_cast<uint64_t>(p * static_cast<double>(total));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i].load();
      if (seen > want) return i < 1000 ? static_cast<int64_t>(i) : (static_cast<int64_t>(i) - 1000) * 100;
    }
    return 10'000'000;
  }
  uint64_t count() const { return count_.load(); }

 private:
  static constexpr size_t kBuckets = 1000 + 100'000;
  std::vector<std::atomic<uint64_t>> buckets_ = std::vector<std::atomic<uint64_t>>(kBuckets);
  std::atomic<uint64_t> count_{0};
};

struct Totals {
  Histogram latency;
  std::atomic<int64_t> received{0};
  std::atomic<int64_t> out_of_order{0};
  std::atomic<int> finished{0};  // subscribers that saw the last entry
};

// Parses "seq=N t=T" out of a line or entry text; returns false if absent.
bool ParseMark(absl::string_view text, int64_t* seq, int64_t* t) {
  size_t s = text.find("seq=");
  if (s == absl::string_view::npos) return false;
  size_t sp = text.find(' ', s);
  size_t tt = text.find("t=", s);
  if (sp == absl::string_view::npos || tt == absl::string_view::npos) return false;
  size_t end = tt + 2;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  return absl::SimpleAtoi(text.substr(s + 4, sp - s - 4), seq) &&
         absl::SimpleAtoi(text.substr(tt + 2, end - tt - 2), t);
}

struct Subscriber {
  int64_t next_seq = 0;
  void See(int64_t seq, int64_t t, int64_t total, Totals* totals) {
    totals->latency.Add(NowMicros() - t);
    totals->received.fetch_add(1, std::memory_order_relaxed);
    if (seq != next_seq) totals->out_of_order.fetch_add(1, std::memory_order_relaxed);
    next_seq = seq + 1;
    if (seq == total - 1) totals->finished.fetch_add(1);
  }
};

// ---------------------------------------------------------------- HTTP side

struct HttpConn {
  int fd = -1;
  std::string in;
  bool head_done = false;
  size_t chunk_left = 0;  // data bytes left in the current chunk
  bool in_chunk = false;
  std::string line;
  Subscriber sub;
};

void ProcessHttp(HttpConn* c, int64_t total, Totals* totals) {
  size_t pos = 0;
  if (!c->head_done) {
    size_t end = c->in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    c->head_done = true;
    pos = end + 4;
  }
  while (pos < c->in.size()) {
    if (!c->in_chunk) {
      size_t eol = c->in.find("\r\n", pos);
      if (eol == std::string::npos) break;
      if (eol == pos) {  // CRLF after a chunk's data
        pos += 2;
        continue;
      }
      size_t size = 0;
      absl::SimpleHexAtoi(absl::string_view(c->in).substr(pos, eol - pos), &size);
      pos = eol + 2;
      c->chunk_left = size;
      c->in_chunk = size > 0;
      continue;
    }
    size_t take = std::min(c->chunk_left, c->in.size() - pos);
    absl::string_view data(c->in.data() + pos, take);
    size_t start = 0;
    while (true) {
      size_t nl = data.find('\n', start);
      if (nl == absl::string_view::npos) {
        c->line.append(data.data() + start, data.size() - start);
        break;
      }
      absl::string_view whole;
      if (c->line.empty()) {
        whole = data.substr(start, nl - start);
      } else {
        c->line.append(data.data() + start, nl - start);
        whole = c->line;
      }
      int64_t seq, t;
      if (ParseMark(whole, &seq, &t)) c->sub.See(seq, t, total, totals);
      c->line.clear();
      start = nl + 1;
    }
    pos += take;
    c->chunk_left -= take;
    if (c->chunk_left == 0) c->in_chunk = false;
  }
  c->in.erase(0, pos);
}

int ConnectHttp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const char kRequest[] = "GET /v1/events HTTP/1.1\r\nHost: bench\r\n\r\n";
  ::send(fd, kRequest, sizeof(kRequest) - 1, MSG_NOSIGNAL);
  return fd;
}

// ---------------------------------------------------------------- gRPC side

class GrpcReader : public grpc::ClientReadReactor<proto::LogEntry> {
 public:
  GrpcReader(proto::SkaffoldService::Stub* stub, int64_t total, Totals* totals)
      : total_(total), totals_(totals) {
    stub->async()->Events(&context_, &request_, this);
    StartRead(&entry_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    int64_t seq, t;
    if (ParseMark(entry_.entry(), &seq, &t)) sub_.See(seq, t, total_, totals_);
    StartRead(&entry_);
  }
  void OnDone(const grpc::Status&) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  void Cancel() { context_.TryCancel(); }
  void AwaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

 private:
  const int64_t total_;
  Totals* const totals_;
  grpc::ClientContext context_;
  google::protobuf::Empty request_;
  proto::LogEntry entry_;
  Subscriber sub_;
  absl::Mutex mu_;
  bool done_ = false;
};

int Run(int argc, char** argv) {
  // As apps/devloop_main.cc runs: without Abseil's lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  int http_subscribers = 1000, grpc_subscribers = 100, rate = 20000;
  double seconds = 5;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view name) -> const char* {
      return a.substr(0, name.size()) == name ? argv[i] + name.size() : nullptr;
    };
    if (const char* v = value("--http=")) http_subscribers = std::atoi(v);
    else if (const char* v = value("--grpc=")) grpc_subscribers = std::atoi(v);
    else if (const char* v = value("--rate=")) rate = std::atoi(v);
    else if (const char* v = value("--seconds=")) seconds = std::atof(v);
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  rlimit nofile;
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);

  const int64_t total = static_cast<int64_t>(rate * seconds);
  hub::Hub hub;
  hub.Append(domain::PipelineStarted{});
  control::HubControl control(&hub);
  auto grpc_server = rpc::GrpcServer::Start({.port = 0}, &hub, &control);
  auto http_server = http::HttpServer::Start({.port = 0}, &hub, &control);
  if (!grpc_server.ok() || !http_server.ok()) {
    std::fprintf(stderr, "servers did not start\n");
    return 1;
  }
  Totals totals;

  // Subscribe everyone before publishing.
  std::vector<std::unique_ptr<HttpConn>> conns;
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < http_subscribers; ++i) {
    auto c = std::make_unique<HttpConn>();
    c->fd = ConnectHttp((*http_server)->port());
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    conns.push_back(std::move(c));
  }
  std::vector<std::unique_ptr<proto::SkaffoldService::Stub>> stubs;
  for (int i = 0; i < 10; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(proto::SkaffoldService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", (*grpc_server)->port()), grpc::InsecureChannelCredentials(),
        args)));
  }
  std::vector<std::unique_ptr<GrpcReader>> readers;
  for (int i = 0; i < grpc_subscribers; ++i) {
    readers.push_back(std::make_unique<GrpcReader>(stubs[i % stubs.size()].get(), total, &totals));
  }

  std::atomic<bool> stop{false};
  std::thread http_loop([&] {
    std::vector<epoll_event> events(256);
    char buf[65536];
    while (!stop.load()) {
      int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<HttpConn*>(events[i].data.ptr);
        ssize_t got = ::recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (got <= 0) {
          if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            ::epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
          }
          continue;
        }
        c->in.append(buf, static_cast<size_t>(got));
        ProcessHttp(c, total, &totals);
      }
    }
  });

  // Publish at `rate`, in 1 ms slices.
  const double cpu_start = CpuSeconds();
  const absl::Time start = absl::Now();
  int64_t published = 0;
  while (published < total) {
    const int64_t due = std::min<int64_t>(
        total, static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * rate) + 1);
    for (; published < due; ++published) {
      std::string text = absl::StrCat("seq=", published, " t=", NowMicros());
      hub.Append(domain::LogEntry{absl::Now(), domain::DevLoopEvent{1, "In Progress"},
                                  std::move(text)});
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  const absl::Duration publish_time = absl::Now() - start;

  // Wait for everyone to see the last entry (or give up after 120 s).
  const int subscribers = http_subscribers + grpc_subscribers;
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (totals.finished.load() < subscribers && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Duration drain_time = absl::Now() - start;
  const double cpu = CpuSeconds() - cpu_start;
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);

  const int64_t expected = total * subscribers;
  std::printf(
      "subscribers: %d HTTP + %d gRPC; published %lld entries in %.2f s (%.0f/s target %d/s)\n"
      "delivered: %lld of %lld (%s), out of order: %lld, all received after %.2f s\n"
      "publish->receive latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n"
      "deliveries/s: %.0f\n"
      "cpu: %.2f s (%.2f us per delivery), load average %.2f\n",
      http_subscribers, grpc_subscribers, static_cast<long long>(total),
      absl::ToDoubleSeconds(publish_time), total / absl::ToDoubleSeconds(publish_time), rate,
      static_cast<long long>(totals.received.load()), static_cast<long long>(expected),
      totals.received.load() == expected ? "complete" : "INCOMPLETE",
      static_cast<long long>(totals.out_of_order.load()), absl::ToDoubleSeconds(drain_time),
      totals.latency.Percentile(0.50) / 1000.0, totals.latency.Percentile(0.99) / 1000.0,
      totals.latency.Percentile(0.999) / 1000.0,
      totals.received.load() / absl::ToDoubleSeconds(drain_time), cpu,
      cpu * 1e6 / std::max<int64_t>(1, totals.received.load()), load[0]);

  stop = true;
  http_loop.join();
  for (auto& c : conns) ::close(c->fd);
  ::close(epfd);
  hub.Close();
  (*http_server)->Shutdown(absl::Seconds(2));
  for (auto& r : readers) r->AwaitDone();
  (*grpc_server)->Shutdown(absl::Seconds(2));
  const bool ok = totals.received.load() == expected && totals.out_of_order.load() == 0;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace devloop::bench

int main(int argc, char** argv) { return devloop::bench::Run(argc, argv); }
