// devloop: the composition root. Until the dev loop is wired in, `devloop dev`
// serves the Skaffold v1 API (gRPC and HTTP/JSON) over an empty pipeline and runs
// until SIGINT or SIGTERM, then shuts the servers down gracefully and exits 0.
//
//   devloop dev [--rpc-port=50051] [--rpc-http-port=50052]
//               [--rpc-bind-address=127.0.0.1] [--enable-rpc=true]
//   devloop version
//
// Argument parsing is deliberately minimal and self-contained: the full
// Skaffold-style CLI (apps/cli) replaces it.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/control/control.h"
#include "infra/grpc/grpc_server.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"
#include "infra/log/log.h"

namespace devloop {
namespace {

constexpr char kVersion[] = "v0.1.0";
constexpr char kConfigVersion[] = "skaffold/v4beta13";
constexpr char kUsage[] =
    "usage: devloop dev [--rpc-port=N] [--rpc-http-port=N] [--rpc-bind-address=A] "
    "[--enable-rpc=BOOL]\n"
    "       devloop version\n";

struct DevFlags {
  int rpc_port = 50051;
  int rpc_http_port = 50052;
  std::string bind_address = "127.0.0.1";
  bool enable_rpc = true;
};

// Parses `--name=value` or `--name value`. Returns an error text, or "" on success.
std::string ParseDevFlags(const std::vector<std::string>& args, DevFlags* flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!absl::StartsWith(arg, "--")) return absl::StrCat("unexpected argument '", arg, "'");
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const bool is_bool = name == "enable-rpc";
    if (!has_value) {
      if (is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::StrCat("flag --", name, " needs a value");
      }
    }
    auto port = [&](int* out) -> std::string {
      if (!absl::SimpleAtoi(value, out) || *out < 0 || *out > 65535) {
        return absl::StrCat("flag --", name, ": '", value, "' is not a port (0..65535)");
      }
      return "";
    };
    if (name == "rpc-port") {
      if (std::string e = port(&flags->rpc_port); !e.empty()) return e;
    } else if (name == "rpc-http-port") {
      if (std::string e = port(&flags->rpc_http_port); !e.empty()) return e;
    } else if (name == "rpc-bind-address") {
      if (value.empty()) return "flag --rpc-bind-address: empty address";
      flags->bind_address = value;
    } else if (name == "enable-rpc") {
      if (!absl::SimpleAtob(value, &flags->enable_rpc)) {
        return absl::StrCat("flag --enable-rpc: '", value, "' is not a boolean");
      }
    } else {
      return absl::StrCat("unknown flag --", name);
    }
  }
  return "";
}

int Dev(const DevFlags& flags) {
  // Block the stop signals before any thread starts, so every thread inherits the
  // mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  hub::Hub hub;
  const std::string start = absl::StrCat("Starting devloop: {Version:", kVersion,
                                         " ConfigVersion:", kConfigVersion,
                                         " GitVersion: GitCommit: BuildDate: Compiler:gcc"
                                         " Platform:linux/amd64}");
  hub.Append(domain::PipelineStarted{});  // no artifacts: nothing to build yet
  hub.Append(domain::LogEntry{absl::Now(), domain::MetaEvent{start, domain::Metadata{}}, start});
  control::HubControl control(&hub);

  std::unique_ptr<rpc::GrpcServer> grpc_server;
  std::unique_ptr<http::HttpServer> http_server;
  if (flags.enable_rpc) {
    auto g = rpc::GrpcServer::Start(
        {.address = flags.bind_address, .port = flags.rpc_port}, &hub, &control);
    if (!g.ok()) {
      DEVLOOP_LOG(ERROR) << "cannot start the gRPC server: " << g.status();
      return 1;
    }
    grpc_server = std::move(*g);
    auto h = http::HttpServer::Start(
        {.address = flags.bind_address, .port = flags.rpc_http_port}, &hub, &control);
    if (!h.ok()) {
      DEVLOOP_LOG(ERROR) << "cannot start the HTTP server: " << h.status();
      grpc_server->Shutdown(absl::Seconds(1));
      return 1;
    }
    http_server = std::move(*h);
  }
  DEVLOOP_LOG(INFO) << "devloop " << kVersion
                    << " is running with an empty pipeline; press Ctrl+C to stop";

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  DEVLOOP_LOG(INFO) << "received " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
                    << ": shutting down";
  // Streams end cleanly (final chunk / OK status) once the hub is closed.
  hub.Close();
  if (http_server) http_server->Shutdown(absl::Seconds(2));
  if (grpc_server) grpc_server->Shutdown(absl::Seconds(2));
  DEVLOOP_LOG(INFO) << "devloop stopped";
  return 0;
}

int Main(int argc, char** argv) {
  log::Init(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "version" || command == "--version") {
    std::printf("%s\n", kVersion);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command != "dev") {
    std::fprintf(stderr, "devloop: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
  }
  DevFlags flags;
  if (std::string error = ParseDevFlags(args, &flags); !error.empty()) {
    std::fprintf(stderr, "devloop dev: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  // Under `bazel run`, work where the user ran it (where skaffold.yaml will be read).
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY"); cwd != nullptr) {
    if (::chdir(cwd) != 0) DEVLOOP_LOG(WARNING) << "cannot change directory to " << cwd;
  }
  return Dev(flags);
}

}  // namespace
}  // namespace devloop

int main(int argc, char** argv) { return devloop::Main(argc, argv); }
