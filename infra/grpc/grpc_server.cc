#include "infra/grpc/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/skaffold.grpc.pb.h"
#include "api/skaffold_v2.grpc.pb.h"
#include "infra/apimap/apimap.h"
#include "infra/control/listen_port.h"
#include "infra/log/log.h"

namespace devloop::rpc {
namespace {

using hub::Hub;

// The service with Events and EventLog taking raw bytes (the hub's pre-serialized
// entries) and every other method typed.
using Base = proto::SkaffoldService::WithCallbackMethod_GetState<
    proto::SkaffoldService::WithRawCallbackMethod_EventLog<
        proto::SkaffoldService::WithRawCallbackMethod_Events<
            proto::SkaffoldService::WithCallbackMethod_Execute<
                proto::SkaffoldService::WithCallbackMethod_AutoBuild<
                    proto::SkaffoldService::WithCallbackMethod_AutoSync<
                        proto::SkaffoldService::WithCallbackMethod_AutoDeploy<
                            proto::SkaffoldService::WithCallbackMethod_Handle<
                                proto::SkaffoldService::Service>>>>>>>>;

// The v2 service, of which only ApplicationLogs is served (raw bytes: the
// application logs' pre-serialized lines); its other calls are UNIMPLEMENTED.
using V2Base = proto::v2::SkaffoldV2Service::WithRawCallbackMethod_ApplicationLogs<
    proto::v2::SkaffoldV2Service::Service>;

// Opens a reader on a stream source: the hub's log or the application logs.
using Subscribe =
    std::function<std::shared_ptr<hub::StreamSource>(std::function<void()> on_ready)>;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Wraps an entry's bytes in a slice that keeps the entry alive: no copy.
grpc::ByteBuffer ToByteBuffer(const hub::StreamEntryPtr& entry) {
  if (entry->proto_bytes.empty()) return grpc::ByteBuffer();
  auto* holder = new hub::StreamEntryPtr(entry);
  grpc::Slice slice(
      const_cast<char*>((*holder)->proto_bytes.data()), (*holder)->proto_bytes.size(),
      [](void* p) { delete static_cast<hub::StreamEntryPtr*>(p); }, holder);
  return grpc::ByteBuffer(&slice, 1);
}

// What the pump thread knows of an open stream.
class Stream {
 public:
  virtual ~Stream() = default;
  // Starts the next write or finishes the stream, if it is time to.
  virtual void Pump() = 0;
  // Cancels the stream if a write has been pending since before `now - timeout`.
  virtual void CancelIfStalled(absl::Time now, absl::Duration timeout) = 0;
};

// The open streams, and the one thread that runs their hub-triggered work.
//
// Why a thread: the hub calls a subscriber's on_ready from the appending thread,
// with the subscriber's callback lock held. gRPC may run reactions (OnWriteDone,
// OnDone) inline at the end of a StartWrite/Finish made from a thread outside
// gRPC, so calling gRPC there could re-enter the stream and delete it under
// that lock. on_ready only queues the stream; the pump thread, holding no
// lock, makes the gRPC call. The same thread checks for stalled streams.
//
// A stream is "pinned" while the pump thread works on it; OnDone (Remove) waits
// until it is not pinned by another thread, so the thread never touches a
// deleted stream. Writes started from OnWriteDone run on gRPC's threads.
class Registry {
 public:
  explicit Registry(absl::Duration stall_timeout) : stall_timeout_(stall_timeout) {
    thread_ = std::thread([this] { Run(); });
  }

  ~Registry() { Stop(); }

  void Add(Stream* s) {
    absl::MutexLock lock(&mu_);
    streams_.insert(s);
  }

  // Queues `s` for a Pump on the pump thread. Cheap, never calls gRPC.
  void MarkReady(Stream* s) {
    absl::MutexLock lock(&mu_);
    if (streams_.contains(s) && queued_.insert(s).second) ready_.push_back(s);
  }

  // Forgets `s`; returns once the pump thread is not working on it.
  void Remove(Stream* s) {
    absl::MutexLock lock(&mu_);
    streams_.erase(s);
    queued_.erase(s);  // its entry in ready_ is skipped as stale
    if (std::this_thread::get_id() != thread_.get_id()) {
      auto not_pinned = [this, s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pinned_ != s; };
      mu_.Await(absl::Condition(&not_pinned));
    }
  }

  // Blocks until every stream has finished (OnDone ran).
  void AwaitEmpty() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](absl::flat_hash_set<Stream*>* s) { return s->empty(); }, &streams_));
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  // Runs `fn(s)` with `s` pinned, if `s` is still open. Called with mu_ held.
  template <typename Fn>
  void WithPinned(Stream* s, Fn fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!streams_.contains(s)) return;
    pinned_ = s;
    mu_.Unlock();
    fn(s);
    mu_.Lock();
    pinned_ = nullptr;
  }

  void Run() {
    const absl::Duration period = std::min(absl::Seconds(1), stall_timeout_ / 2);
    absl::Time next_check = absl::Now() + period;
    absl::MutexLock lock(&mu_);
    while (true) {
      auto wake = [this] { return stopping_ || !ready_.empty(); };
      mu_.AwaitWithDeadline(absl::Condition(&wake), next_check);
      if (stopping_) return;
      while (!ready_.empty()) {
        Stream* s = ready_.front();
        ready_.pop_front();
        if (queued_.erase(s) == 0) continue;  // removed since it was queued
        WithPinned(s, [](Stream* st) { st->Pump(); });
      }
      const absl::Time now = absl::Now();
      if (now >= next_check) {
        next_check = now + period;
        std::vector<Stream*> all(streams_.begin(), streams_.end());
        for (Stream* s : all) {
          WithPinned(s, [&](Stream* st) { st->CancelIfStalled(now, stall_timeout_); });
        }
      }
    }
  }

  const absl::Duration stall_timeout_;
  absl::Mutex mu_;
  absl::flat_hash_set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  std::deque<Stream*> ready_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Stream*> queued_ ABSL_GUARDED_BY(mu_);
  Stream* pinned_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Streams the hub's log (or the application logs) to one client. `Reactor` is
// ServerWriteReactor (Events, ApplicationLogs) or ServerBidiReactor (EventLog,
// whose incoming messages are ignored, as Skaffold ignores them). One write is in
// flight at a time; the next entry is read from the source when it completes, so
// the source's cursor is the only backlog.
//
// gRPC calls (StartWrite, Finish, TryCancel) are made without mu_ held and as the
// last thing a method does: gRPC may run OnWriteDone or OnDone -- which deletes
// this object -- inline before the call returns.
template <typename Reactor>
class LogStream final : public Reactor, public Stream {
 public:
  LogStream(grpc::CallbackServerContext* context, const Subscribe& subscribe, Registry* registry)
      : context_(context), registry_(registry), peer_(context->peer()) {
    registry_->Add(this);
    subscriber_ = subscribe([this] { registry_->MarkReady(this); });
    Pump();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // the client went away or the call was cancelled
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "events stream broken"),
                 /*was_writing=*/true);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
    }
    Pump();
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      finish = !writing_ && !finished_;
      if (finish) finished_ = true;
    }
    if (finish) this->Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    subscriber_->Detach();  // no MarkReady after this
    registry_->Remove(this);
    delete this;
  }

  void Pump() override {
    enum { kNothing, kWrite, kFinishOk, kFinishCancelled } action = kNothing;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (cancelled_) {
        action = kFinishCancelled;
      } else {
        if (next_ >= batch_.size()) {
          batch_.clear();
          next_ = 0;
          switch (subscriber_->Read(kBatch, &batch_)) {
            case hub::ReadResult::kData:
              break;
            case hub::ReadResult::kWait:
              return;  // the hub calls on_ready when there is more
            case hub::ReadResult::kEnd:
              action = kFinishOk;
              break;
          }
        }
        if (action == kNothing) {
          buffer_ = ToByteBuffer(batch_[next_]);
          batch_[next_].reset();
          ++next_;
          writing_ = true;
          write_started_ = absl::Now();
          action = kWrite;
        }
      }
      if (action != kWrite) finished_ = true;
    }
    switch (action) {
      case kWrite:
        this->StartWrite(&buffer_);
        return;
      case kFinishOk:
        this->Finish(grpc::Status::OK);
        return;
      case kFinishCancelled:
        this->Finish(grpc::Status::CANCELLED);
        return;
      case kNothing:
        return;
    }
  }

  void CancelIfStalled(absl::Time now, absl::Duration timeout) override {
    {
      absl::MutexLock lock(&mu_);
      if (!writing_ || finished_ || cancelled_ || now - write_started_ <= timeout) return;
      DEVLOOP_LOG(WARNING) << "events subscriber " << peer_ << " read nothing for " << timeout
                           << " (" << subscriber_->cursor()
                           << " entries taken from the log): cancelling its stream";
    }
    context_->TryCancel();
  }

 private:
  void FinishOnce(const grpc::Status& status, bool was_writing) {
    {
      absl::MutexLock lock(&mu_);
      if (was_writing) writing_ = false;
      if (finished_) return;
      finished_ = true;
    }
    this->Finish(status);
  }

  static constexpr size_t kBatch = 64;

  grpc::CallbackServerContext* const context_;
  Registry* const registry_;
  const std::string peer_;
  std::shared_ptr<hub::StreamSource> subscriber_;
  absl::Mutex mu_;
  std::vector<hub::StreamEntryPtr> batch_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer buffer_;  // written only while no write is in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
};

// Control calls waiting for the control port's answer. Each call is finished
// exactly once, by whichever comes first: the answer, its deadline
// (UNAVAILABLE: the dev loop is busy or stuck), or the server's shutdown
// (UNAVAILABLE "devloop is shutting down"). No thread waits for an answer: the
// Done handed to the control port finishes the call on whatever thread runs it.
//
// A Done holds only shared state (the call's "finished" flag, a weak pointer to
// the table), so an answer that arrives after its call was finished -- or after
// the server is gone -- does nothing. One thread finishes calls whose deadline
// passed; gRPC calls are made without the table's lock held.
class PendingCalls {
 public:
  explicit PendingCalls(absl::Duration timeout)
      : timeout_(timeout), state_(std::make_shared<State>()) {
    thread_ = std::thread([this] { Run(); });
  }

  ~PendingCalls() { FinishAll(); }

  // Returns the Done that finishes `reactor`'s call with the answer. After
  // FinishAll, finishes the call at once with Unavailable.
  control::Control::Done Track(grpc::ServerUnaryReactor* reactor) {
    auto call = std::make_shared<Call>(reactor);
    uint64_t id = 0;
    {
      absl::MutexLock lock(&state_->mu);
      if (!state_->stopping) {
        id = ++state_->next_id;
        state_->open.emplace(id, Open{absl::Now() + timeout_, call});
      }
    }
    if (id == 0) {
      call->FinishOnce(absl::UnavailableError("devloop is shutting down"));
      return [](absl::Status) {};
    }
    return [call, weak = std::weak_ptr<State>(state_), id](absl::Status status) {
      if (!call->Claim()) return;  // finished already: timed out or shut down
      if (std::shared_ptr<State> state = weak.lock()) {
        absl::MutexLock lock(&state->mu);
        state->open.erase(id);
      }
      call->reactor->Finish(ToGrpc(status));
    };
  }

  // Blocks until no call is waiting for its answer, or until `deadline`.
  void AwaitNoneOpen(absl::Time deadline) {
    absl::MutexLock lock(&state_->mu);
    state_->mu.AwaitWithDeadline(absl::Condition(
                                     +[](State* s) { return s->open.empty(); }, state_.get()),
                                 deadline);
  }

  // Finishes every open call with Unavailable "devloop is shutting down" (gRPC's
  // Shutdown waits for every call to finish), and every later call at once.
  // Idempotent.
  void FinishAll() {
    std::map<uint64_t, Open> open;
    {
      absl::MutexLock lock(&state_->mu);
      state_->stopping = true;
      open.swap(state_->open);
    }
    for (auto& [id, o] : open) {
      o.call->FinishOnce(absl::UnavailableError("devloop is shutting down"));
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Call {
    explicit Call(grpc::ServerUnaryReactor* r) : reactor(r) {}
    // Returns true to the one caller that may finish the call.
    bool Claim() { return !finished.exchange(true); }
    void FinishOnce(const absl::Status& status) {
      if (Claim()) reactor->Finish(ToGrpc(status));
    }
    grpc::ServerUnaryReactor* const reactor;  // never touched once finished
    std::atomic<bool> finished{false};
  };
  struct Open {
    absl::Time deadline;
    std::shared_ptr<Call> call;
  };
  struct State {
    absl::Mutex mu;
    // By id, which is also deadline order (every call gets the same timeout).
    std::map<uint64_t, Open> open ABSL_GUARDED_BY(mu);
    uint64_t next_id ABSL_GUARDED_BY(mu) = 0;
    bool stopping ABSL_GUARDED_BY(mu) = false;
  };

  void Run() {
    State& s = *state_;
    absl::MutexLock lock(&s.mu);
    while (!s.stopping) {
      const bool was_empty = s.open.empty();
      const absl::Time next = was_empty ? absl::InfiniteFuture() : s.open.begin()->second.deadline;
      auto wake = [&s, was_empty] { return s.stopping || (was_empty && !s.open.empty()); };
      s.mu.AwaitWithDeadline(absl::Condition(&wake), next);
      if (s.stopping) return;
      std::vector<std::shared_ptr<Call>> expired;
      const absl::Time now = absl::Now();
      while (!s.open.empty() && s.open.begin()->second.deadline <= now) {
        expired.push_back(std::move(s.open.begin()->second.call));
        s.open.erase(s.open.begin());
      }
      if (expired.empty()) continue;
      s.mu.Unlock();
      for (const auto& call : expired) {
        call->FinishOnce(absl::UnavailableError(
            absl::StrCat("the dev loop did not answer within ", absl::FormatDuration(timeout_),
                         ": it may be busy or stuck; try again")));
      }
      s.mu.Lock();
    }
  }

  const absl::Duration timeout_;
  const std::shared_ptr<State> state_;
  std::thread thread_;
};

class Service final : public Base {
 public:
  Service(Hub* hub, control::Control* control, Registry* registry, PendingCalls* pending)
      : hub_(hub), control_(control), registry_(registry), pending_(pending) {}

  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* context,
                                     const google::protobuf::Empty*,
                                     proto::State* response) override {
    *response = hub_->State()->message;
    return Done(context, absl::OkStatus());
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Events(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer*) override {
    return new LogStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>(context, SubscribeHub(),
                                                                     registry_);
  }

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* EventLog(
      grpc::CallbackServerContext* context) override {
    return new LogStream<grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>>(
        context, SubscribeHub(), registry_);
  }

  // The control calls return their reactor at once; the control port's answer
  // finishes it later, on whichever thread gives it (see PendingCalls).
  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* context,
                                    const proto::UserIntentRequest* request,
                                    google::protobuf::Empty*) override {
    const proto::Intent& i = request->intent();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    control_->Execute(control::Intent{i.build(), i.sync(), i.deploy()}, pending_->Track(reactor));
    return reactor;
  }

  grpc::ServerUnaryReactor* AutoBuild(grpc::CallbackServerContext* context,
                                      const proto::TriggerRequest* request,
                                      google::protobuf::Empty*) override {
    return Trigger(context, domain::Phase::kBuild, *request);
  }
  grpc::ServerUnaryReactor* AutoSync(grpc::CallbackServerContext* context,
                                     const proto::TriggerRequest* request,
                                     google::protobuf::Empty*) override {
    return Trigger(context, domain::Phase::kSync, *request);
  }
  grpc::ServerUnaryReactor* AutoDeploy(grpc::CallbackServerContext* context,
                                       const proto::TriggerRequest* request,
                                       google::protobuf::Empty*) override {
    return Trigger(context, domain::Phase::kDeploy, *request);
  }

  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context,
                                   const proto::Event* request,
                                   google::protobuf::Empty*) override {
    absl::StatusOr<domain::Event> event = apimap::FromProto(*request);
    if (!event.ok()) return Done(context, event.status());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    control_->Handle(*event, pending_->Track(reactor));
    return reactor;
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context,
                                        const absl::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpc(status));
    return reactor;
  }

  grpc::ServerUnaryReactor* Trigger(grpc::CallbackServerContext* context, domain::Phase phase,
                                    const proto::TriggerRequest& request) {
    if (request.state().val_case() != proto::TriggerState::kEnabled) {
      return Done(context,
                  absl::InvalidArgumentError("missing required boolean parameter 'enabled'"));
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    control_->SetAutoTrigger(phase, request.state().enabled(), pending_->Track(reactor));
    return reactor;
  }

  Subscribe SubscribeHub() const {
    return [hub = hub_](std::function<void()> on_ready) {
      return std::shared_ptr<hub::StreamSource>(hub->Subscribe(std::move(on_ready)));
    };
  }

  Hub* const hub_;
  control::Control* const control_;
  Registry* const registry_;
  PendingCalls* const pending_;
};

class V2Service final : public V2Base {
 public:
  V2Service(hub::AppLogs* logs, Registry* registry) : logs_(logs), registry_(registry) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* ApplicationLogs(grpc::CallbackServerContext* context,
                                                              const grpc::ByteBuffer*) override {
    return new LogStream<grpc::ServerWriteReactor<grpc::ByteBuffer>>(
        context,
        [logs = logs_](std::function<void()> on_ready) {
          return std::shared_ptr<hub::StreamSource>(logs->Subscribe(std::move(on_ready)));
        },
        registry_);
  }

 private:
  hub::AppLogs* const logs_;
  Registry* const registry_;
};

}  // namespace

constexpr int kWriteBufferBytes = 256 * 1024;

class GrpcServer::Impl {
 public:
  Impl(Hub* hub, control::Control* control, hub::AppLogs* app_logs,
       absl::Duration stall_timeout, absl::Duration control_timeout)
      : registry_(stall_timeout),
        pending_(control_timeout),
        service_(hub, control, &registry_, &pending_) {
    if (app_logs != nullptr) v2_service_ = std::make_unique<V2Service>(app_logs, &registry_);
  }

  ~Impl() { Shutdown(absl::ZeroDuration()); }

  absl::Status Start(const std::string& address, int port) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    // Without this, gRPC's SO_REUSEPORT would let two servers share a port
    // instead of moving to the next free one.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    // Lets a stream's write complete once it is buffered in the transport, so
    // the next entry's write starts without waiting for the socket, and many
    // small LogEntry messages leave in one syscall.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, kWriteBufferBytes);
    builder.AddListeningPort(control::HostPort(address, port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    if (v2_service_) builder.RegisterService(v2_service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      server_.reset();
      return absl::UnavailableError(absl::StrCat(
          "gRPC server could not listen on ", control::HostPort(address, port),
          ": the port may have been taken just now; try another --rpc-port"));
    }
    return absl::OkStatus();
  }

  void Shutdown(absl::Duration deadline) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    // gRPC's Shutdown waits for every call to finish: control calls still
    // waiting for their answer at the deadline are finished here, UNAVAILABLE.
    const absl::Time end = absl::Now() + deadline;
    pending_.AwaitNoneOpen(end);
    pending_.FinishAll();
    if (server_ != nullptr) {
      server_->Shutdown(absl::ToChronoTime(end));
      server_->Wait();
    }
    registry_.AwaitEmpty();
    registry_.Stop();
  }

  int port() const { return port_; }

 private:
  Registry registry_;
  PendingCalls pending_;
  Service service_;
  std::unique_ptr<V2Service> v2_service_;  // with application logs only
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const Options& options,
                                                              hub::Hub* hub,
                                                              control::Control* control) {
  absl::StatusOr<int> port =
      control::PickServerPort(options.address, options.port, "gRPC server");
  if (!port.ok()) return port.status();
  auto impl = std::make_unique<Impl>(hub, control, options.application_logs,
                                     options.stall_timeout, options.control_timeout);
  absl::Status started = impl->Start(options.address, *port);
  if (!started.ok()) return started;
  DEVLOOP_LOG(INFO) << "gRPC server listening on "
                    << control::HostPort(options.address, impl->port());
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcServer::~GrpcServer() = default;
void GrpcServer::Shutdown(absl::Duration deadline) { impl_->Shutdown(deadline); }
int GrpcServer::port() const { return impl_->port(); }

}  // namespace devloop::rpc
