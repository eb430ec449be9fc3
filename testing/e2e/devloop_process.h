// Starts a devloop binary the way a user does (`devloop dev` in a project
// directory) on free loopback ports, waits until its API answers, and stops it
// with Ctrl-C. The binary's path comes from the test's `data` dependency
// (Runfile("apps/devloop")), so this harness works for any build of it.
//
//   absl::StatusOr<std::unique_ptr<DevloopProcess>> d = DevloopProcess::Start(
//       {.binary = Runfile("apps/devloop"), .dir = *example_dir});
//   auto events = EventsClient::Connect((*d)->grpc_target(), absl::Seconds(5));
//   Http((*d)->http_port(), "GET", "/v1/state");
//   absl::StatusOr<int> code = (*d)->Interrupt(absl::Seconds(5));  // want 0
//
// Thread-compatible.
#ifndef DEVLOOP_TESTING_E2E_DEVLOOP_PROCESS_H_
#define DEVLOOP_TESTING_E2E_DEVLOOP_PROCESS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/e2e/subprocess.h"

namespace devloop::e2e {

// Returns the absolute path of `path` (workspace-relative, "apps/devloop") in the
// test's runfiles.
std::string Runfile(const std::string& path);

class DevloopProcess {
 public:
  struct Options {
    std::string binary;                       // path of the devloop binary
    std::string dir;                          // the project (cwd)
    std::vector<std::string> args = {"dev"};  // command and flags; ports are added
    std::map<std::string, std::string> env;
    absl::Duration startup_timeout = absl::Seconds(10);
    // The API ports; 0 picks a free one. A restarted devloop can take its
    // predecessor's, as a user's second `devloop dev` takes 50051 and 50052.
    int grpc_port = 0;
    int http_port = 0;
    // Passed to Subprocess (subprocess.h): stdout a pipe, or a terminal.
    int stdout_fd = -1;
    std::string terminal;
  };

  // Picks two free ports (or takes the given ones), runs `binary args... --rpc-port=G --rpc-http-port=H` in
  // `dir`, and waits until both ports accept connections. On failure the error
  // includes the process's output.
  static absl::StatusOr<std::unique_ptr<DevloopProcess>> Start(const Options& options);

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_target() const;
  Subprocess& process() { return *process_; }

  // Sends SIGINT (Ctrl-C) and waits up to `timeout` for the exit code.
  absl::StatusOr<int> Interrupt(absl::Duration timeout = absl::Seconds(5));

 private:
  DevloopProcess(std::unique_ptr<Subprocess> process, int grpc_port, int http_port)
      : process_(std::move(process)), grpc_port_(grpc_port), http_port_(http_port) {}

  std::unique_ptr<Subprocess> process_;
  int grpc_port_;
  int http_port_;
};

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_DEVLOOP_PROCESS_H_
