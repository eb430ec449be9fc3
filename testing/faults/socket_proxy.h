// A unix-socket proxy in front of the Docker Engine that a test can cut or
// freeze, to make the daemon "go away" or hang for one devloop process without
// touching the real daemon (which other tests and engineers share). devloop
// runs with DOCKER_HOST=unix://<proxy>; the test keeps talking to the real
// engine.
//
//   absl::StatusOr<std::unique_ptr<SocketProxy>> proxy = SocketProxy::Start({});
//   env["DOCKER_HOST"] = (*proxy)->docker_host();
//   (*proxy)->ArmCut("POST /v1.41/build", SocketProxy::When::kOnFirstAnswer);
//   ... edit a file; the build starts streaming, and the proxy cuts ...
//   (*proxy)->WaitCut(absl::Seconds(60));
//   (*proxy)->Restore();                            // the daemon is back
//
// A cut does what a daemon that dies does to its clients: every open
// connection is shut down at once (reads end, writes fail), and the socket
// stays in place with nobody listening, so a new connect is refused
// (ECONNREFUSED). Restore listens again at the same path.
//
// A freeze is a daemon that stops answering: connections stay open and new
// ones are queued (not accepted), but no byte passes either way until Thaw();
// what was sent meanwhile is then delivered. A cut also ends a freeze's
// connections.
//
// Triggers cut at a precise point of devloop's conversation with the engine
// instead of at a moment in time: the proxy reads the request line of each
// connection (devloop makes one request per connection) and cuts when it
// contains the armed text, either before forwarding the request or as soon as
// the engine starts answering it (the engine is then at work on it).
//
// Thread-safe. The socket lives in a fresh directory under /tmp (a unix
// socket's path must be short), removed with the proxy.
#ifndef DEVLOOP_TESTING_FAULTS_SOCKET_PROXY_H_
#define DEVLOOP_TESTING_FAULTS_SOCKET_PROXY_H_

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace devloop::faults {

class SocketProxy {
 public:
  struct Options {
    // The engine's socket.
    std::string upstream = "/var/run/docker.sock";
  };

  enum class When {
    kBeforeForwarding,  // the request never reaches the engine
    kOnFirstAnswer,     // the engine took the request and began to answer
  };

  // Listens on a new socket; does not contact the upstream until a client
  // connects. Internal on a socket error.
  static absl::StatusOr<std::unique_ptr<SocketProxy>> Start(const Options& options);

  // Closes everything and removes the socket's directory.
  ~SocketProxy();

  SocketProxy(const SocketProxy&) = delete;
  SocketProxy& operator=(const SocketProxy&) = delete;

  // "unix:///tmp/devloop-proxy-XXXXXX/docker.sock", for DOCKER_HOST.
  std::string docker_host() const;
  const std::string& path() const { return path_; }

  // Shuts every connection down and stops listening. Idempotent.
  void Cut();

  // Listens again (a cut proxy only). Internal on a socket error.
  absl::Status Restore();

  // From now on nothing is relayed and no connection accepted, until Thaw().
  void Freeze();
  void Thaw();

  // Freezes once, when a request line containing `request` arrives; that
  // request is held too (the engine has not seen it). Replaces an armed
  // freeze that has not fired.
  void ArmFreeze(std::string request);

  // Waits until the proxy has been frozen more than `freezes_seen` times, at
  // most `timeout`. Returns whether it was.
  bool WaitFrozen(absl::Duration timeout, int freezes_seen = 0);

  // Cuts once, when a request line containing `request` ("POST /v1.41/build")
  // arrives (kBeforeForwarding) or when the engine starts answering it
  // (kOnFirstAnswer). Replaces an armed trigger that has not fired.
  void ArmCut(std::string request, When when);

  // Waits until the proxy has been cut more than `cuts_seen` times (see
  // cuts()), at most `timeout`. Returns whether it was.
  bool WaitCut(absl::Duration timeout, int cuts_seen = 0);

  // How many times the proxy was cut.
  int cuts() const;
  // Whether it listens (not cut).
  bool listening() const;
  // Connections accepted so far.
  int64_t connections() const;
  // Request lines seen so far, oldest first (for failure messages).
  std::string RequestLog() const;

 private:
  struct Connection {
    int client = -1;
    int upstream = -1;
    bool cut_on_answer = false;  // guarded by mu_
    int finished = 0;            // pumps that ended; guarded by mu_
    std::thread to_upstream;
    std::thread to_client;
  };

  SocketProxy(Options options, std::string dir);

  absl::Status Listen();  // REQUIRES: mu_ held
  void AcceptLoop();
  void Serve(int client);
  // Copies `from` to `to` until either ends; the client side inspects request
  // lines, the upstream side fires an on-answer cut.
  void Pump(Connection* c, bool client_side);
  void CutLocked(std::unique_lock<std::mutex>& lock);  // REQUIRES: `lock` holds mu_
  void FreezeLocked();  // REQUIRES: mu_ held
  // Returns when the proxy is not frozen, or was cut or stopped meanwhile.
  void WaitThawed();
  void Reap(bool all);

  const Options options_;
  const std::string dir_;
  const std::string path_;
  int wake_read_ = -1;
  int wake_write_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cut_cv_;  // a cut, an acceptor's poll returning, a freeze, a thaw
  int listen_fd_ = -1;  // guarded by mu_; -1 while cut
  bool stopping_ = false;
  bool frozen_ = false;
  int freezes_ = 0;
  std::string armed_freeze_;  // request text of the armed freeze; "" for none
  int cuts_ = 0;
  int64_t polls_ = 0;              // the acceptor's returns from poll
  bool acceptor_running_ = false;
  int64_t connections_ = 0;
  std::string armed_;  // request text of the armed trigger; "" for none
  When armed_when_ = When::kBeforeForwarding;
  std::string request_log_;
  std::list<Connection> open_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace devloop::faults

#endif  // DEVLOOP_TESTING_FAULTS_SOCKET_PROXY_H_
