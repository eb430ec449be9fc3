// One `devloop dev` run on a private copy of an example, for end-to-end tests
// that may run in parallel with each other (and with other engineers' Docker
// tests) on the same Docker Engine:
//  - the example's images are renamed into a repository of their own
//    ("e2e-PID-N/devloop-sync"): their short names, which devloop uses as
//    container names on the run's network, stay the same, so services still
//    reach each other by name;
//  - every portForward localPort becomes a free port;
//  - whatever the run created is removed when the session ends, even if the
//    test failed or devloop crashed: devloop is interrupted (then killed), and
//    every container, network and image carrying one of the run's
//    `dev.devloop.run-id` labels, the session's test label, or an image name of
//    the session's repository is removed.
//
//   absl::StatusOr<std::unique_ptr<DevSession>> s =
//       DevSession::Prepare("sync", {"devloop-sync"});
//   ASSERT_OK((*s)->Start());
//   (*s)->events().WaitFor(IsDevLoopEvent(0, "Succeeded"), absl::Seconds(60));
//   Http((*s)->LocalPort(9001), "GET", "/index.html");
//
// Thread-compatible.
#ifndef DEVLOOP_TESTING_E2E_DEV_SESSION_H_
#define DEVLOOP_TESTING_E2E_DEV_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "testing/e2e/devloop_process.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"

namespace devloop::e2e {

// The label devloop puts on everything a run creates.
inline constexpr absl::string_view kRunIdLabel = "dev.devloop.run-id";
// The label of the images devloop keeps as its artifact cache, instead of the
// run id (DockerBuilder::Options::cache_scope).
inline constexpr absl::string_view kCacheLabel = "dev.devloop.cache";

class DevSession {
 public:
  // Copies example `name`, renames `images` (as written in its skaffold.yaml
  // and its k8s/*.yaml manifests) into the session's repository and gives each
  // portForward a free localPort. Then holds the layer the examples' images
  // start from (busybox on scratch) with an image of the session's until Sweep:
  // the engine's builder takes that layer from its cache, and removing another
  // test's image prunes it once no image above it is left. A build that had
  // taken it then fails with "unknown parent image ID" and leaves its new layer
  // behind, parentless. devloop's builder builds again after that; a custom
  // build script's `docker build` does not.
  static absl::StatusOr<std::unique_ptr<DevSession>> Prepare(
      absl::string_view name, const std::vector<std::string>& images);

  // Stops devloop if it still runs and removes everything of the session.
  ~DevSession();

  DevSession(const DevSession&) = delete;
  DevSession& operator=(const DevSession&) = delete;

  // The project directory (edit files here).
  const std::string& dir() const { return dir_; }
  // "e2e-PID-N/NAME": the image name devloop builds for example image `name`.
  std::string Image(absl::string_view name) const;
  // The local port that replaced the example's `example_port` (9000 -> free).
  int LocalPort(int example_port) const;
  // "devloop.test=e2e-PID-N": give it to objects the test creates itself.
  const std::string& test_label() const { return test_label_; }

  // The environment every devloop of the session runs with: its run records
  // (infra/deploy/run_registry.h) go to a directory of the session's
  // (XDG_CACHE_HOME), shared by the session's devloops and no others.
  std::map<std::string, std::string> DevloopEnv() const;

  // Starts `devloop dev` (plus `args`) in dir() and connects an Events client.
  // `adjust`, if given, changes the process options first (stdout a pipe, a
  // terminal).
  absl::Status Start(std::vector<std::string> args = {},
                     const std::function<void(DevloopProcess::Options&)>& adjust = nullptr);
  EventsClient& events() { return *events_; }
  DevloopProcess& devloop() { return *devloop_; }

  // Returns the run id of the run, read from the labels of the images it built
  // (with --cache-artifacts=false) or of the containers it runs (so after its
  // first build or deploy). FailedPrecondition before that; Internal if
  // objects of two runs carry the session's repository.
  absl::StatusOr<std::string> RunId();

  // Returns the image of the newest container devloop runs for `name` (by its
  // deploy id), "e2e-PID-N/NAME:TAG". NotFound if none runs.
  absl::StatusOr<std::string> RunningImage(absl::string_view name);

  // Returns the id of that newest container.
  absl::StatusOr<std::string> RunningContainer(absl::string_view name);

  // Lists images of the session's repository ("repo/name:tag" per image),
  // except those devloop keeps as its artifact cache.
  absl::StatusOr<std::vector<std::string>> RepositoryImages();
  // Lists the images of the session's repository that devloop keeps as its
  // artifact cache (label dev.devloop.cache), newest first, by id.
  absl::StatusOr<std::vector<std::string>> CachedImages();

  // Sends SIGINT and waits up to `timeout` for devloop's exit code.
  absl::StatusOr<int> Interrupt(absl::Duration timeout);

  // Ctrl-C as the issue asks of it: devloop exits 0 within `timeout`, and no
  // container, network or image with run `run_id`'s label, nor any image of
  // this session's repository but the artifact cache, is left. Returns what
  // went wrong otherwise.
  absl::Status InterruptAndCheckNothingLeft(const std::string& run_id, absl::Duration timeout);

  // Removes everything of the session now (the destructor does it too).
  absl::Status Sweep();

 private:
  DevSession() = default;
  // Builds the image that holds the examples' base layer (Prepare's last step).
  absl::Status HoldBaseLayer();
  // Removes the artifact cache's images of this session's repository, named
  // or not (Sweep's last step).
  absl::Status SweepCachedImages();
  // The newest running container of `name`: (id, image).
  absl::StatusOr<std::pair<std::string, std::string>> Newest(absl::string_view name);

  std::string dir_;
  std::string repository_;
  std::string test_label_;
  std::map<int, int> ports_;  // example's local port -> ours
  std::set<std::string> run_ids_;
  std::unique_ptr<DevloopProcess> devloop_;
  std::unique_ptr<EventsClient> events_;
};

// GETs http://127.0.0.1:`port``path` until the body contains `marker` or
// `timeout` passes; returns the body. DeadlineExceeded says what was served.
absl::StatusOr<std::string> WaitServed(int port, absl::string_view path, absl::string_view marker,
                                       absl::Duration timeout = absl::Seconds(20));

// Runs `docker args...` and returns its output; an error if it exits non-zero.
absl::StatusOr<std::string> Docker(std::vector<std::string> args,
                                   absl::Duration timeout = absl::Seconds(120));

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_DEV_SESSION_H_
