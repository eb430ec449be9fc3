#include "testing/e2e/devloop_process.h"

#include <signal.h>
#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {

std::string Runfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;  // outside Bazel: relative to the cwd
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "devloop", "/", path);
}

std::string DevloopProcess::grpc_target() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

absl::StatusOr<std::unique_ptr<DevloopProcess>> DevloopProcess::Start(const Options& options) {
  absl::StatusOr<int> grpc_port = options.grpc_port > 0 ? options.grpc_port : PickFreePort();
  if (!grpc_port.ok()) return grpc_port.status();
  absl::StatusOr<int> http_port = options.http_port > 0 ? options.http_port : PickFreePort();
  if (!http_port.ok()) return http_port.status();
  if (*http_port == *grpc_port && options.http_port == 0) {
    http_port = PickFreePort();
    if (!http_port.ok()) return http_port.status();
  }
  std::vector<std::string> argv = {options.binary};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  argv.push_back(absl::StrCat("--rpc-port=", *grpc_port));
  argv.push_back(absl::StrCat("--rpc-http-port=", *http_port));
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({.argv = argv,
                         .cwd = options.dir,
                         .env = options.env,
                         .stdout_fd = options.stdout_fd,
                         .terminal = options.terminal});
  if (!process.ok()) return process.status();
  for (int port : {*grpc_port, *http_port}) {
    absl::Status up = WaitForPort(port, options.startup_timeout);
    if (!up.ok()) {
      std::string why = (*process)->Running() ? "" : " (the process exited)";
      return absl::UnavailableError(absl::StrCat(up.message(), why, "; output:\n",
                                                 (*process)->Output()));
    }
  }
  return std::unique_ptr<DevloopProcess>(
      new DevloopProcess(*std::move(process), *grpc_port, *http_port));
}

absl::StatusOr<int> DevloopProcess::Interrupt(absl::Duration timeout) {
  absl::Status sent = process_->Signal(SIGINT);
  if (!sent.ok()) return sent;
  return process_->Wait(timeout);
}

}  // namespace devloop::e2e
