#include "infra/http/http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "infra/control/listen_port.h"
#include "infra/http/gateway.h"
#include "infra/http/internal/request_reading.h"
#include "infra/log/log.h"

namespace devloop::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// Each connection runs on a strand of its own. Naming the strand's type (not
// Asio's type-erased any_io_executor) spares every operation a type-erased
// executor copy and lookup: a sixth of the server's own CPU under wrk.
// blocking.never, as Asio's any_io_executor has it: a completion is always
// queued, never run inside the call that started it, so one busy connection
// cannot keep its io thread from the others.
using IoExecutor = decltype(net::require(std::declval<net::io_context::executor_type>(),
                                         net::execution::blocking.never));
using Strand = net::strand<IoExecutor>;
using Socket = net::basic_stream_socket<tcp, Strand>;
using Stream = beast::basic_stream<tcp, Strand>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Strand>;
using hub::Hub;

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

// Entries per chunk: bounds what one connection holds beyond its cursor (entry
// pointers, not bytes). A chunk is one sendmsg: its head, its lines and its tail
// fit in one iovec array (the kernel takes up to 1024; Asio's own writes split
// anything over 64 buffers into several calls).
constexpr size_t kMaxBatch = 1000;
// Chunks one connection writes in a row before letting the others on its thread
// have a turn.
constexpr int kChunksPerTurn = 4;

class Session;

// The session whose request the gateway is handling on this thread, if any: a
// reply given before Gateway::Handle returns is written at once, not posted.
thread_local const Session* handling_session = nullptr;

// Lets a control answer that arrives from another thread reach its session:
// open while the io_context may take work, closed by Shutdown once its threads
// are joined. A Respond holds this and a weak pointer to its session, nothing
// else (no executor), and locks the session only with the gate open, so an
// answer after its connection (or the server) is gone is harmless.
struct Gate {
  absl::Mutex mu;
  bool open ABSL_GUARDED_BY(mu) = true;
};

// Coalesces the hub's wake-ups of event streams. The hub calls on_ready for every
// parked stream on the appending thread (the dev loop's), once per append that
// finds it parked; posting each stream's pump to its strand from there cost the
// appender an Asio post per subscriber per event (a thousand for a thousand
// watchers). Here on_ready only queues the stream; the first to queue posts one
// drain to the io_context, and the io thread that runs it posts the pumps.
//
// Thread-safe.
class StreamWaker {
 public:
  // REQUIRES: `ioc` outlives every Ready() call that may post, i.e. Stop() is
  // called before it is destroyed.
  explicit StreamWaker(net::io_context* ioc) : ioc_(ioc) {}

  // Queues `session`'s pump. Cheap; called from the hub's on_ready.
  void Ready(std::weak_ptr<Session> session);

  // No post after this returns; wake-ups still queued are dropped.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    ready_.clear();
  }

 private:
  void Drain();

  net::io_context* const ioc_;
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Session>> ready_ ABSL_GUARDED_BY(mu_);
  bool drain_posted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// What sessions share: options, the gateway, the stream waker, and the set of
// live sessions (for shutdown).
struct Shared {
  HttpServer::Options options;
  Hub* hub;
  hub::AppLogs* app_logs;  // null: /v2/applicationLogs is not served
  Gateway gateway;
  StreamWaker* waker;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

  absl::Mutex mu;
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions ABSL_GUARDED_BY(mu);
};

// One client connection: reads requests one at a time (keep-alive), answers
// each through the gateway, or turns into an event stream. The next request is
// read only once the response to the last is written, so responses on a
// keep-alive connection keep the order of the requests, also while a control
// call waits for the dev loop (then the connection holds itself alive, and the
// answer, or the control timeout's 503, is posted back to its strand).
//
// Everything runs on the connection's strand; the hub's wake-up only posts to
// it, so no lock of ours or the hub's is held while we touch the socket.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, Shared* shared)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), shared_(shared) {}

  ~Session() {
    absl::MutexLock lock(&shared_->mu);
    shared_->sessions.erase(this);
  }

  void Start() {
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
  }

  // Closes the connection now (shutdown), or only if it is waiting for a request.
  void PostClose(bool only_if_idle) {
    net::post(stream_.get_executor(), [self = shared_from_this(), only_if_idle] {
      if (only_if_idle &&
          (self->streaming_ || self->writing_ || self->in_request_ || self->answering_)) {
        return;
      }
      if (self->answering_) {  // tell the client rather than drop its request
        self->reply_keep_alive_ = false;
        return self->OnReply(self->answer_id_,
                             Gateway::Error(absl::UnavailableError("devloop is shutting down")));
      }
      self->Close();
    });
  }

  // Drops the reference a session waiting for a control answer holds to itself.
  // REQUIRES: the io_context's threads are joined.
  void ReleaseAfterStop() { self_.reset(); }

 private:
  void ReadRequest() {
    if (closed_) return;
    parser_.emplace();
    internal::LimitParser(shared_->options.max_body_bytes, *parser_);
    timed_out_ = false;
    in_request_ = buffer_.size() > 0;
    Expect(kReading, shared_->options.request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  // Deadlines. One timer per connection, re-armed only when it fires: arming
  // and cancelling a timer for every request and response costs more than the
  // request itself on a keep-alive connection serving /v1/state.
  enum Waiting { kNothing, kReading, kAnswering, kWriting };

  void Expect(Waiting what, absl::Duration timeout) {
    waiting_ = what;
    deadline_ = std::chrono::steady_clock::now() + ToChrono(timeout);
    // A timer due no later than the new deadline re-arms itself when it fires.
    if (timer_armed_ && armed_at_ <= deadline_) return;
    ArmTimer();
  }

  void ArmTimer() {
    timer_armed_ = true;
    armed_at_ = deadline_;
    timer_.expires_at(deadline_);  // a pending wait completes with operation_aborted
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec == net::error::operation_aborted) return;  // re-armed or closed
      if (auto self = weak.lock()) self->OnTimer();
    });
  }

  // Bytes the kernel holds for this socket that the peer has not
  // acknowledged yet; -1 if it cannot tell.
  int64_t SendQueueBytes() {
    int queued = 0;
    if (::ioctl(stream_.socket().native_handle(), SIOCOUTQ, &queued) != 0) return -1;
    return queued;
  }

  void OnTimer() {
    timer_armed_ = false;
    if (closed_ || waiting_ == kNothing) return;
    if (std::chrono::steady_clock::now() < deadline_) return ArmTimer();
    if (waiting_ == kAnswering) {  // the control port did not answer in time
      return OnReply(answer_id_, Gateway::Error(absl::UnavailableError(absl::StrCat(
                                     "the dev loop did not answer within ",
                                     absl::FormatDuration(shared_->options.control_timeout),
                                     ": it may be busy or stuck; try again"))));
    }
    if (waiting_ == kReading) {
      timed_out_ = true;
      beast::error_code ignored;
      stream_.socket().cancel(ignored);  // completes the read with operation_aborted
      return;
    }
    // Writability alone is a coarse sign of progress: the kernel reports it
    // only once half the send buffer (megabytes on loopback) has drained, which
    // a slow but live reader may take longer than the stall timeout to do. The
    // send queue shrinking since the last check is progress too.
    if (const int64_t queued = SendQueueBytes(); queued >= 0 && queued < last_queued_) {
      last_queued_ = queued;
      Expect(kWriting, shared_->options.stall_timeout);
      return;
    }
    // A write made no progress: the client stopped reading.
    if (streaming_) {
      DEVLOOP_LOG(WARNING) << "events subscriber " << peer_ << " read nothing for "
                           << absl::FormatDuration(shared_->options.stall_timeout) << " ("
                           << subscriber_->cursor()
                           << " entries taken from the log): closing its stream";
    }
    Close();
  }

  void OnRead(beast::error_code ec, size_t) {
    waiting_ = kNothing;
    if (closed_) return;
    if (timed_out_ && ec) {  // a read that completed just in time still counts
      // Nothing of a new request arrived: an idle keep-alive connection.
      if (!parser_->got_some() && !in_request_) return Close();
      Gateway::Reply reply = Gateway::Error(absl::DeadlineExceededError(
          absl::StrCat("request not received in full within ",
                       absl::FormatDuration(shared_->options.request_timeout))));
      reply.status = 408;
      return Fail(std::move(reply));
    }
    if (ec) {
      std::optional<Gateway::Reply> reply =
          internal::ReplyForReadError(ec, shared_->options.max_body_bytes);
      if (!reply) return Close();
      return Fail(*std::move(reply));
    }

    const auto& request = parser_->get();
    const beast::string_view method = request.method_string();
    const beast::string_view target = request.target();
    const std::string& body = request.body();
    reply_keep_alive_ = request.keep_alive();
    reply_version_ = request.version();
    answering_ = true;
    const uint64_t id = ++answer_id_;
    self_ = shared_from_this();  // nothing else may hold us while the control port has it
    Expect(kAnswering, shared_->options.control_timeout);
    // Most replies come inline, on this strand (state, streams, bad requests):
    // they are written at once. A control answer from another thread is posted.
    auto header = [&request](bhttp::field field) {
      auto it = request.find(field);
      return it == request.end() ? absl::string_view()
                                 : absl::string_view(it->value().data(), it->value().size());
    };
    handling_session = this;
    shared_->gateway.Handle(
        Gateway::Request{.method = absl::string_view(method.data(), method.size()),
                         .target = absl::string_view(target.data(), target.size()),
                         .body = absl::string_view(body.data(), body.size()),
                         .host = header(bhttp::field::host),
                         .origin = header(bhttp::field::origin),
                         .if_none_match = header(bhttp::field::if_none_match)},
        [weak = weak_from_this(), raw = this, gate = shared_->gate, id](Gateway::Reply reply) {
          if (handling_session == raw) {  // inline, on this session's strand
            if (auto self = weak.lock()) self->OnReply(id, std::move(reply));
            return;
          }
          // From another thread: reach the strand only while the io_context
          // runs. Holds nothing of asio's itself (a copy of the executor would
          // outlive the io_context when the answer comes after the server).
          absl::MutexLock lock(&gate->mu);
          if (!gate->open) return;
          if (auto self = weak.lock()) self->PostReply(id, std::move(reply));
        });
    handling_session = nullptr;
  }

  // Queues OnReply on the strand; the handler holds the session.
  void PostReply(uint64_t id, Gateway::Reply reply) {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), id, reply = std::move(reply)]() mutable {
                self->OnReply(id, std::move(reply));
              });
  }

  // Writes the reply to request `id`, unless that request was answered already
  // (a late control answer after the timeout's 503) or the connection closed.
  void OnReply(uint64_t id, Gateway::Reply reply) {
    if (closed_ || !answering_ || id != answer_id_) return;
    answering_ = false;
    waiting_ = kNothing;
    std::shared_ptr<Session> self = std::move(self_);  // pending writes hold us from here
    if (reply.stream != Gateway::Reply::Stream::kNone) return StartEvents(reply.stream);
    Write(std::move(reply), reply_keep_alive_, reply_version_);
  }

  // Answers an error and closes the connection (its input cannot be trusted).
  void Fail(Gateway::Reply reply) { Write(std::move(reply), /*keep_alive=*/false, 11); }

  void Write(Gateway::Reply reply, bool keep_alive, unsigned version) {
    response_.emplace(static_cast<bhttp::status>(reply.status), version);
    response_->set(bhttp::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) response_->set(name, value);
    response_->keep_alive(keep_alive);
    if (reply.head_only) {
      response_->content_length(reply.body.size());
    } else {
      response_->body() = std::move(reply.body);
      response_->prepare_payload();
    }
    writing_ = true;
    Expect(kWriting, shared_->options.stall_timeout);
    bhttp::async_write(stream_, *response_,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    writing_ = false;
    waiting_ = kNothing;
    if (ec) return Close();
    if (!response_->keep_alive()) return Close();
    response_.reset();
    ReadRequest();
  }

  // ---- GET /v1/events and /v1/event_log

  void StartEvents(Gateway::Reply::Stream which) {
    streaming_ = true;
    pending_.append(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    // The wake-up only queues: it runs on the appending thread under the hub's
    // subscriber lock, where touching the socket (or dropping the last
    // reference to this session) must not happen.
    auto on_ready = [weak = weak_from_this(), waker = shared_->waker] { waker->Ready(weak); };
    if (which == Gateway::Reply::Stream::kApplicationLogs) {
      subscriber_ = shared_->app_logs->Subscribe(std::move(on_ready));
    } else {
      subscriber_ = shared_->hub->Subscribe(std::move(on_ready));
    }
    WatchForHangUp();
    PumpEvents();
  }

 public:
  // Runs PumpEvents on this connection's strand (for StreamWaker).
  void PostPump() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->PumpEvents(); });
  }

 private:
  // Notices a client that hangs up while its stream is idle.
  void WatchForHangUp() {
    stream_.socket().async_read_some(
        net::buffer(discard_),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->WatchForHangUp();  // data after the request is ignored
        });
  }

  // Sends what the hub has for this stream, a chunk of up to kMaxBatch lines per
  // sendmsg, straight from the strand: while the socket takes the bytes (the
  // usual case) there is no asynchronous write and no completion to schedule.
  // Only a full socket makes it wait (and then the stall timer runs).
  void PumpEvents() {
    if (writing_ || closed_) return;
    for (int chunk = 0; chunk < kChunksPerTurn; ++chunk) {
      batch_.clear();
      const hub::ReadResult result = subscriber_->Read(kMaxBatch, &batch_);
      iov_.clear();
      iov_next_ = 0;
      if (!pending_.empty()) iov_.push_back(Iov(pending_.data(), pending_.size()));
      if (result == hub::ReadResult::kData) {
        size_t size = 0;
        for (const auto& e : batch_) size += e->json_line.size();
        chunk_head_ = absl::StrCat(absl::Hex(size), "\r\n");
        iov_.push_back(Iov(chunk_head_.data(), chunk_head_.size()));
        for (const auto& e : batch_) iov_.push_back(Iov(e->json_line.data(), e->json_line.size()));
        iov_.push_back(Iov("\r\n", 2));
      } else if (result == hub::ReadResult::kEnd) {
        iov_.push_back(Iov("0\r\n\r\n", 5));
        ending_ = true;
      }
      if (iov_.empty()) return;  // kWait: the hub wakes us when there is more
      if (!SendNow()) return;    // waiting for the socket, or closed
      if (ending_) return Close();
    }
    PostPump();  // more may be waiting: let the other connections have a turn first
  }

  static iovec Iov(const char* data, size_t size) {
    return iovec{const_cast<char*>(data), size};
  }

  // Sends iov_ from iov_next_ without blocking. Returns true once all of it is
  // sent (the batch and the header are released); otherwise the connection is
  // closed, or it waits for the socket to drain and OnWritable carries on.
  bool SendNow() {
    const int fd = stream_.socket().native_handle();
    while (iov_next_ < iov_.size()) {
      msghdr message{};
      message.msg_iov = &iov_[iov_next_];
      message.msg_iovlen = std::min<size_t>(iov_.size() - iov_next_, IOV_MAX);
      const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          writing_ = true;
          last_queued_ = SendQueueBytes();
          Expect(kWriting, shared_->options.stall_timeout);  // progress re-arms it
          stream_.socket().async_wait(
              tcp::socket::wait_write,
              beast::bind_front_handler(&Session::OnWritable, shared_from_this()));
          return false;
        }
        Close();  // the client is gone
        return false;
      }
      for (size_t left = static_cast<size_t>(sent); left > 0;) {
        iovec& v = iov_[iov_next_];
        if (left < v.iov_len) {
          v.iov_base = static_cast<char*>(v.iov_base) + left;
          v.iov_len -= left;
          break;
        }
        left -= v.iov_len;
        ++iov_next_;
      }
    }
    pending_.clear();
    batch_.clear();
    return true;
  }

  void OnWritable(beast::error_code ec) {
    writing_ = false;
    waiting_ = kNothing;
    if (ec || closed_) return Close();
    if (!SendNow()) return;
    if (ending_) return Close();
    PumpEvents();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (subscriber_) subscriber_->Detach();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    self_.reset();  // REQUIRES: the caller holds a reference (every handler does)
  }

  Stream stream_;
  Timer timer_;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point armed_at_;
  Waiting waiting_ = kNothing;
  std::chrono::steady_clock::time_point deadline_;
  Shared* const shared_;
  std::string peer_ = [this] {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    return ec ? std::string("?") : absl::StrCat(ep.address().to_string(), ":", ep.port());
  }();
  beast::flat_buffer buffer_;
  std::optional<internal::RequestParser> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  bool closed_ = false;
  bool writing_ = false;
  int64_t last_queued_ = -1;  // SendQueueBytes when the socket last filled up or drained some
  bool timed_out_ = false;
  bool in_request_ = false;

  // The request the gateway has: its number (so a late answer is recognised),
  // how to answer it, and the reference that keeps the session alive meanwhile.
  bool answering_ = false;
  uint64_t answer_id_ = 0;
  bool reply_keep_alive_ = true;
  unsigned reply_version_ = 11;
  std::shared_ptr<Session> self_;

  // Event stream state.
  bool streaming_ = false;
  bool ending_ = false;
  std::shared_ptr<hub::StreamSource> subscriber_;
  std::vector<hub::StreamEntryPtr> batch_;  // kept alive until their write completes
  std::vector<iovec> iov_;            // what is left of the chunk being sent
  size_t iov_next_ = 0;
  std::string pending_;  // the response header, before the first chunk
  std::string chunk_head_;
  char discard_[512];
};

void StreamWaker::Ready(std::weak_ptr<Session> session) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  ready_.push_back(std::move(session));
  if (drain_posted_) return;
  drain_posted_ = true;
  net::post(*ioc_, [this] { Drain(); });
}

void StreamWaker::Drain() {
  std::vector<std::weak_ptr<Session>> ready;
  {
    absl::MutexLock lock(&mu_);
    ready.swap(ready_);
    drain_posted_ = false;
  }
  for (const auto& weak : ready) {
    if (auto session = weak.lock()) session->PostPump();
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const Options& options, Hub* hub, control::Control* control)
      : shared_{options, hub, options.application_logs,
                Gateway(hub, control,
                        {.loopback_only = control::IsLoopbackAddress(options.address),
                         .application_logs = options.application_logs != nullptr}),
                &waker_},
        acceptor_(ConnectionStrand()),
        work_(net::make_work_guard(ioc_)) {}

  ~Impl() { Shutdown(absl::ZeroDuration()); }

  absl::Status Listen(int port) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(shared_.options.address, std::to_string(port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("bind address '", shared_.options.address,
                                                     "' does not resolve: ", ec.message()));
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("HTTP server could not listen on ",
                                                 control::HostPort(shared_.options.address, port),
                                                 ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    // Returns once every thread has run: the first request then finds them
    // waiting for it, not still waiting for their first turn on a CPU. With
    // one of two cores busy, that first turn came while the caller went on
    // with its own start-up, and the first answer waited ~1.5 ms for it
    // (docs/BENCHMARKS.md, "Start-up under load"). The counter is shared so
    // that, if a later thread cannot be created, the ones already running
    // still count down on it after the exception has left this function.
    const int threads = std::max(1, shared_.options.threads);
    auto running = std::make_shared<absl::BlockingCounter>(threads);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, running] {
        running->DecrementCount();
        ioc_.run();
      });
    }
    running->Wait();
    return absl::OkStatus();
  }

  void Shutdown(absl::Duration deadline) {
    if (stopped_.exchange(true)) return;
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    CloseSessions(/*only_if_idle=*/true);
    {
      absl::MutexLock lock(&shared_.mu);
      shared_.mu.AwaitWithTimeout(
          absl::Condition(
              +[](absl::flat_hash_map<Session*, std::weak_ptr<Session>>* s) {
                return s->empty();
              },
              &shared_.sessions),
          deadline);
    }
    CloseSessions(/*only_if_idle=*/false);
    work_.reset();
    {
      // Closed sessions finish their handlers quickly; give them a moment before
      // stopping the loop outright.
      absl::MutexLock lock(&shared_.mu);
      shared_.mu.AwaitWithTimeout(
          absl::Condition(
              +[](absl::flat_hash_map<Session*, std::weak_ptr<Session>>* s) {
                return s->empty();
              },
              &shared_.sessions),
          absl::Seconds(1));
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    waker_.Stop();
    {
      // No control answer may reach the io_context from now on.
      absl::MutexLock lock(&shared_.gate->mu);
      shared_.gate->open = false;
    }
    // Sessions still waiting for a control answer hold themselves; let them go.
    std::vector<std::shared_ptr<Session>> left;
    {
      absl::MutexLock lock(&shared_.mu);
      for (auto& [raw, weak] : shared_.sessions) {
        if (auto s = weak.lock()) left.push_back(std::move(s));
      }
    }
    for (auto& s : left) s->ReleaseAfterStop();
  }

  int port() const { return port_; }

 private:
  Strand ConnectionStrand() {
    return Strand(net::require(ioc_.get_executor(), net::execution::blocking.never));
  }

  void Accept() {
    acceptor_.async_accept(ConnectionStrand(),
                           [this](beast::error_code ec, Socket socket) {
                             if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
                               return;
                             }
                             if (!ec) {
                               // Event lines and responses are small and go out
                               // as soon as they are ready: with Nagle on, a line
                               // written while the last one is unacknowledged
                               // waits for the client's delayed ACK (40 ms).
                               beast::error_code ignored;
                               socket.set_option(tcp::no_delay(true), ignored);
                               std::make_shared<Session>(std::move(socket), &shared_)->Start();
                             } else {
                               DEVLOOP_LOG(WARNING) << "HTTP accept failed: " << ec.message();
                             }
                             Accept();
                           });
  }

  void CloseSessions(bool only_if_idle) {
    std::vector<std::shared_ptr<Session>> live;
    {
      absl::MutexLock lock(&shared_.mu);
      for (auto& [raw, weak] : shared_.sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->PostClose(only_if_idle);
  }

  Shared shared_;
  // Before the io_context: a session the io_context's destructor releases may
  // still be woken by the hub until then (Stop() has ended its posts).
  StreamWaker waker_{&ioc_};
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options,
                                                              hub::Hub* hub,
                                                              control::Control* control) {
  absl::StatusOr<int> port =
      control::PickServerPort(options.address, options.port, "gRPC HTTP server");
  if (!port.ok()) return port.status();
  auto impl = std::make_unique<Impl>(options, hub, control);
  if (absl::Status s = impl->Listen(*port); !s.ok()) return s;
  DEVLOOP_LOG(INFO) << "HTTP server listening on "
                    << control::HostPort(options.address, impl->port());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
void HttpServer::Shutdown(absl::Duration deadline) { impl_->Shutdown(deadline); }
int HttpServer::port() const { return impl_->port(); }

}  // namespace devloop::http
