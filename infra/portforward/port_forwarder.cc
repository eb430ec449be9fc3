#include "infra/portforward/port_forwarder.h"

#include <array>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/write.hpp"
#include "infra/log/log.h"

namespace devloop::portforward {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

absl::StatusOr<asio::ip::address> ParseAddress(const std::string& host) {
  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", host, "\""));
  return address;
}

// One forwarded connection: relays bytes both ways until either side closes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket client, std::atomic<int>* open)
      : client_(std::move(client)), upstream_(client_.get_executor()), open_(open) {
    open_->fetch_add(1);
  }
  ~Session() { open_->fetch_sub(1); }

  void Start(const tcp::endpoint& target) {
    auto self = shared_from_this();
    upstream_.async_connect(target, [self, target](const error_code& ec) {
      if (ec) {
        DEVLOOP_VLOG(1) << "port forward: cannot connect to " << target << ": " << ec.message();
        self->Close();
        return;
      }
      error_code ignored;
      self->upstream_.set_option(tcp::no_delay(true), ignored);
      self->Relay(self->client_, self->upstream_, self->to_upstream_);
      self->Relay(self->upstream_, self->client_, self->to_client_);
    });
  }

 private:
  using Buffer = std::array<char, 16 * 1024>;

  void Relay(tcp::socket& from, tcp::socket& to, Buffer& buffer) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buffer), [self, &from, &to, &buffer](
                                                   const error_code& ec, size_t n) {
      if (ec) {
        // Half-close: tell the other side no more data comes, so a response
        // still in flight is delivered before both sockets close.
        error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        if (++self->closed_directions_ == 2) self->Close();
        return;
      }
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer](const error_code& ec, size_t) {
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->Relay(from, to, buffer);
                        });
    });
  }

  void Close() {
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

  tcp::socket client_;
  tcp::socket upstream_;
  Buffer to_upstream_;
  Buffer to_client_;
  int closed_directions_ = 0;
  std::atomic<int>* open_;
};

class AsioPortForwarder : public PortForwarder {
 public:
  AsioPortForwarder(std::string bind_address, const tcp::endpoint& target)
      : target_(target), bind_address_(std::move(bind_address)), acceptor_(io_) {}

  ~AsioPortForwarder() override {
    asio::post(io_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Bind(const asio::ip::address& address, int port, bool next_free) {
    const int attempts = (port != 0 && next_free) ? 100 : 1;
    error_code ec;
    for (int i = 0; i < attempts; ++i) {
      const int candidate = port == 0 ? 0 : port + i;
      if (candidate > 65535) break;
      tcp::endpoint endpoint(address, static_cast<unsigned short>(candidate));
      error_code ignored;
      acceptor_.close(ignored);
      acceptor_.open(endpoint.protocol(), ec);
      if (ec) break;
      acceptor_.set_option(tcp::acceptor::reuse_address(true), ignored);
      acceptor_.bind(endpoint, ec);
      if (ec) continue;
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) continue;
      local_port_ = acceptor_.local_endpoint().port();
      return absl::OkStatus();
    }
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address.to_string(), ":", port,
                                               attempts > 1 ? " or the 99 ports after it" : "",
                                               ": ", ec.message()));
  }

  void Run() {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  int local_port() const override { return local_port_; }
  const std::string& bind_address() const override { return bind_address_; }

  absl::Status SetTarget(const Target& target) override {
    absl::StatusOr<asio::ip::address> address = ParseAddress(target.host);
    if (!address.ok()) return address.status();
    if (target.port <= 0 || target.port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad target port ", target.port));
    }
    absl::MutexLock lock(&mu_);
    target_ = tcp::endpoint(*address, static_cast<unsigned short>(target.port));
    return absl::OkStatus();
  }

  Target target() const override {
    absl::MutexLock lock(&mu_);
    return Target{target_.address().to_string(), target_.port()};
  }

  int64_t accepted() const override { return accepted_.load(); }
  int open_connections() const override { return open_.load(); }

 private:
  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        accepted_.fetch_add(1);
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        tcp::endpoint target;
        {
          absl::MutexLock lock(&mu_);
          target = target_;
        }
        std::make_shared<Session>(std::move(socket), &open_)->Start(target);
      }
      Accept();
    });
  }

  // Declared before io_: destroying io_ destroys pending sessions, which count
  // themselves out of open_.
  mutable absl::Mutex mu_;
  tcp::endpoint target_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> accepted_{0};
  std::atomic<int> open_{0};
  int local_port_ = 0;
  const std::string bind_address_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Target& t) {
  return os << t.host << ":" << t.port;
}

absl::StatusOr<std::unique_ptr<PortForwarder>> PortForwarder::Start(const Options& options,
                                                                    const Target& target) {
  absl::StatusOr<asio::ip::address> bind = ParseAddress(options.bind_address);
  if (!bind.ok()) return bind.status();
  if (options.local_port < 0 || options.local_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad local port ", options.local_port));
  }
  auto forwarder = std::make_unique<AsioPortForwarder>(options.bind_address, tcp::endpoint());
  absl::Status s = forwarder->SetTarget(target);
  if (!s.ok()) return s;
  s = forwarder->Bind(*bind, options.local_port, options.next_free_port);
  if (!s.ok()) return s;
  forwarder->Run();
  return std::unique_ptr<PortForwarder>(std::move(forwarder));
}

}  // namespace devloop::portforward
