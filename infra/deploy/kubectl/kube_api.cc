#include "infra/deploy/kubectl/kube_api.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "infra/log/log.h"

namespace devloop::deploy::kubectl {
namespace {

// How long a proxy may take to answer its first request.
constexpr absl::Duration kStartWait = absl::Seconds(10);

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp";
}

}  // namespace

std::string QueryEscape(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

absl::StatusOr<json::Json> KubeApi::Get(absl::string_view target, absl::Duration timeout) {
  std::optional<http::HttpClient> client;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<http::HttpClient> running = Running();
    if (!running.ok()) return running.status();
    client = *std::move(running);
  }
  absl::StatusOr<http::ClientResponse> r =
      client->Call("GET", target, "", "", absl::Now() + timeout);
  if (!r.ok()) {
    if (absl::IsDeadlineExceeded(r.status())) return r.status();
    return absl::UnavailableError(r.status().message());
  }
  absl::StatusOr<json::Json> body = json::Json::Parse(r->body);
  if (r->status != 200) {
    std::string message = body.ok() ? (*body)["message"].AsString() : "";
    if (message.empty()) message = std::string(absl::StripAsciiWhitespace(r->body.substr(0, 200)));
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", target, " answered ", r->status, ": ", message));
  }
  if (!body.ok()) {
    return absl::InternalError(
        absl::StrCat("GET ", target, " answered what is not JSON: ", body.status().message()));
  }
  return body;
}

absl::StatusOr<http::HttpClient> KubeApi::Running() {
  if (stopped_) return absl::UnavailableError("the API proxy was stopped");
  if (client_.has_value() && !ended_->load()) return *client_;
  const absl::Time now = absl::Now();
  if (now < retry_at_) {
    return absl::UnavailableError("kubectl proxy is not running (it is started again shortly)");
  }
  StopProxy();
  retry_at_ = now + restart_pause_;

  std::string dir = absl::StrCat(TempRoot(), "/devloop-kubeapi-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot make a directory for kubectl proxy's socket in ",
                                               TempRoot()));
  }
  dir_ = dir;
  const std::string socket = dir + "/api.sock";
  auto errors = std::make_shared<std::string>();
  auto errors_mu = std::make_shared<absl::Mutex>();
  absl::StatusOr<std::unique_ptr<process::Process>> proxy = kubectl_->Start(
      {"proxy", "--unix-socket=" + socket}, [](absl::string_view) {},
      [errors, errors_mu](absl::string_view line) {
        absl::MutexLock lock(errors_mu.get());
        if (errors->size() < 2000) absl::StrAppend(errors.get(), line, "\n");
      });
  if (!proxy.ok()) {
    StopProxy();
    return absl::UnavailableError(proxy.status().message());
  }
  ++started_;
  proxy_ = *std::move(proxy);
  ended_ = std::make_shared<std::atomic<bool>>(false);
  waiter_ = std::thread([p = proxy_.get(), ended = ended_] {
    p->Wait();
    ended->store(true);
  });
  http::HttpClient client = http::HttpClient::Unix(socket, "localhost", "kubectl proxy");
  const absl::Time give_up = absl::Now() + kStartWait;
  while (true) {
    if (ended_->load()) {
      absl::MutexLock lock(errors_mu.get());
      std::string said(absl::StripAsciiWhitespace(*errors));
      StopProxy();
      return absl::UnavailableError(
          absl::StrCat("kubectl proxy ended at once", said.empty() ? "" : ": ", said));
    }
    if (access(socket.c_str(), F_OK) == 0) {
      absl::StatusOr<http::ClientResponse> r =
          client.Call("GET", "/version", "", "", absl::Now() + absl::Seconds(2));
      if (r.ok()) break;  // any answer: the API server itself may be down
    }
    if (absl::Now() >= give_up) {
      StopProxy();
      return absl::UnavailableError(absl::StrCat("kubectl proxy did not answer within ",
                                                 absl::FormatDuration(kStartWait)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  DEVLOOP_VLOG(1) << "kubectl proxy serves the API on " << socket;
  client_ = client;
  return client;
}

void KubeApi::StopProxy() {
  if (proxy_ != nullptr) proxy_->Cancel();
  if (waiter_.joinable()) waiter_.join();
  proxy_.reset();
  client_.reset();
  if (!dir_.empty()) {
    unlink((dir_ + "/api.sock").c_str());
    rmdir(dir_.c_str());
    dir_.clear();
  }
}

void KubeApi::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  StopProxy();
}

int KubeApi::started() const {
  absl::MutexLock lock(&mu_);
  return started_;
}

}  // namespace devloop::deploy::kubectl
