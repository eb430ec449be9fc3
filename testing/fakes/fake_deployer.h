// FakeDeployer: an in-memory deployer and syncer (infra/deploy/deployer.h) for
// tests of the dev loop's shell, kept honest by the deployer contract suite
// (testing/deploy) that also runs against the real deployers.
//
// A workload per artifact, named "container/<short image name>"; it is ready as
// soon as it is deployed, prints "started <reference>" to the log sink, and
// keeps what Sync copies. Port forwards get stable fake local ports (no
// sockets). Faults are injected per method.
//
//   FakeDeployer deployer({.run_id = "run1", .port_forwards = {{.resource_name = "web",
//                                                               .port = 8080}}});
//   deployer.Deploy(1, {{"web", "web:v1"}});
//   deployer.Exit("web", 3, {"panic: boom"});    // the next Observe sees it exit
//   deployer.FailNext("Deploy", absl::UnavailableError("cluster gone"));
//
// Thread-safe.
#ifndef DEVLOOP_TESTING_FAKES_FAKE_DEPLOYER_H_
#define DEVLOOP_TESTING_FAKES_FAKE_DEPLOYER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "infra/deploy/deployer.h"

namespace devloop::testing {

class FakeDeployer final : public deploy::Deployer, public deploy::Syncer {
 public:
  struct Options {
    std::string run_id = "fakerun";
    std::vector<deploy::PortForwardSpec> port_forwards;
    deploy::LogSink on_log;
  };
  explicit FakeDeployer(Options options) : options_(std::move(options)) {}

  // Test hooks.
  // The next call of `method` ("Deploy", "Observe", "Stop", "Sync", "Cleanup")
  // fails with `error`; FailAlways until Heal.
  void FailNext(const std::string& method, absl::Status error);
  void FailAlways(const std::string& method, absl::Status error);
  void Heal(const std::string& method);
  // The live workload of `image` exits with `exit_code` after printing `lines`.
  void Exit(const std::string& image, int exit_code, std::vector<std::string> lines = {});
  // Deployments whose workloads exist now (deployed, not stopped or cleaned up).
  std::set<int64_t> live() const;
  // The reference the live workload of `image` runs ("" if none).
  std::string running(const std::string& image) const;
  // What Sync put at `dest` in the live workload of `image` (the host path it
  // copied), or "" if nothing.
  std::string synced(const std::string& image, const std::string& dest) const;
  // Number of calls of `method`.
  int calls(const std::string& method) const;
  bool cleaned_up() const;

  absl::StatusOr<std::vector<std::string>> Deploy(int64_t deploy_id,
                                                  const domain::ImageTags& images) override;
  absl::StatusOr<std::vector<domain::ResourceObservation>> Observe(int64_t deploy_id) override;
  std::vector<domain::PortEvent> ForwardPorts(int64_t deploy_id) override;
  absl::Status Stop(int64_t deploy_id) override;
  absl::Status Cleanup(bool remove) override;
  absl::Status Sync(int64_t deploy_id, const std::string& image,
                    const deploy::SyncRequest& request) override;

 private:
  struct Workload {
    std::string image;
    std::string ref;
    bool exited = false;
    int exit_code = 0;
    std::vector<std::string> log;
    std::map<std::string, std::string> files;  // dest -> host path
  };
  absl::Status Fault(const std::string& method) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Workload* Live(const std::string& image) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  std::map<int64_t, std::vector<Workload>> deployments_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> local_ports_ ABSL_GUARDED_BY(mu_);  // forward index -> local port
  std::map<std::string, absl::Status> next_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> always_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  bool cleaned_up_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_FAKES_FAKE_DEPLOYER_H_
