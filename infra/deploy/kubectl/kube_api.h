// KubeApi: GET requests to the Kubernetes API server through one long-lived
// `kubectl proxy` on a unix socket of its own. The proxy runs with the run's
// connection flags (KubectlCli::Argv), so every way kubectl authenticates
// works; a read through it costs a few milliseconds, where a `kubectl get`
// process costs 0.1-0.5 s of CPU that a rollout on the same machine needs.
//
//   KubeApi api(&kubectl);
//   absl::StatusOr<json::Json> pods =
//       api.Get("/api/v1/namespaces/default/pods?labelSelector=" + QueryEscape(sel));
//
// The proxy starts at the first Get, and again after it ended (at most once
// every few seconds). A failed Get is only a missed shortcut: callers read
// with kubectl itself then, whose errors the user knows.
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBE_API_H_
#define DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBE_API_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "infra/deploy/kubectl/kubectl_cli.h"
#include "infra/http/client.h"
#include "infra/json/json.h"
#include "infra/process/process_runner.h"

namespace devloop::deploy::kubectl {

class KubeApi {
 public:
  // `kubectl` must outlive the KubeApi. A proxy that ended (or did not
  // start) is started again no sooner than `restart_pause` later.
  explicit KubeApi(const KubectlCli* kubectl, absl::Duration restart_pause = absl::Seconds(5))
      : kubectl_(kubectl), restart_pause_(restart_pause) {}
  ~KubeApi() { Stop(); }
  KubeApi(const KubeApi&) = delete;
  KubeApi& operator=(const KubeApi&) = delete;

  // GETs `target` (a path and query) and returns the answer's JSON. Errors:
  // Unavailable when the proxy cannot be started or reached (or was stopped);
  // FailedPrecondition with the API server's status for an answer other than
  // 200; DeadlineExceeded after `timeout`.
  absl::StatusOr<json::Json> Get(absl::string_view target,
                                 absl::Duration timeout = absl::Seconds(10))
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the proxy and removes its socket; later Gets fail. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // How many proxies were started (for tests).
  int started() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The running proxy's client, starting one when none runs. REQUIRES: mu_.
  absl::StatusOr<http::HttpClient> Running() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the proxy process and removes its directory. REQUIRES: mu_.
  void StopProxy() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KubectlCli* const kubectl_;
  const absl::Duration restart_pause_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string dir_ ABSL_GUARDED_BY(mu_);  // holds the socket; empty when none
  std::optional<http::HttpClient> client_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<process::Process> proxy_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<std::atomic<bool>> ended_ ABSL_GUARDED_BY(mu_);
  std::thread waiter_ ABSL_GUARDED_BY(mu_);  // sets *ended_ when the proxy ends
};

// Percent-encodes `s` for a URL's query value.
std::string QueryEscape(absl::string_view s);

}  // namespace devloop::deploy::kubectl

#endif  // DEVLOOP_INFRA_DEPLOY_KUBECTL_KUBE_API_H_
