// StableForwards: the part of a deployer that keeps each configured port
// forward on one local port for the whole run. The first time a forward is
// pointed at a workload it starts listening (on `local_port`, or the next free
// port with a warning); later deployments only retarget it, so the local port
// never changes and never refuses a connection while the workload is replaced.
//
//   StableForwards forwards;
//   absl::StatusOr<domain::PortEvent> event =
//       forwards.Point(0, spec, {"127.0.0.1", 49153}, "web");
//   forwards.CloseAll();   // the run ends: the local ports close
//
// A config reload hands the listening forwards to the next deployer of the
// same run, so an unchanged forward never closes its local port:
//
//   next.Adopt(forwards.Release(), new_specs);
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_STABLE_FORWARDS_H_
#define DEVLOOP_INFRA_DEPLOY_STABLE_FORWARDS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "domain/events/event.h"
#include "infra/deploy/deployer.h"
#include "infra/portforward/port_forwarder.h"

namespace devloop::deploy {

class StableForwards {
 public:
  // Points forward number `index` (configured as `spec`) at `target`, starting
  // it if needed; returns the PortEvent to report, naming `container` (the
  // container or pod name the API shows). Errors: the local port could not be
  // bound (Unavailable), the target is not an IP address (InvalidArgument),
  // the forwards are closed (Cancelled).
  absl::StatusOr<domain::PortEvent> Point(int index, const PortForwardSpec& spec,
                                          const portforward::Target& target,
                                          const std::string& container);

  // Closes every local port. Later Point calls fail.
  void CloseAll();

  // A forward that listens, with the spec it was started for.
  struct Listening {
    PortForwardSpec spec;
    std::unique_ptr<portforward::PortForwarder> forwarder;
  };

  // Closes these forwards as CloseAll does (later Point calls fail), but
  // returns the listening ones instead of closing their local ports; the
  // caller owns them now.
  std::vector<Listening> Release();

  // Release, each listening forward under its forward number.
  std::map<int, Listening> ReleaseNumbered();

  // Makes each of `listening` whose spec equals `specs[i]` forward number i:
  // it keeps its local port, and its target until Point moves it. Closes the
  // others (a forward the new config dropped or changed). Ignored once closed.
  // REQUIRES: before any Point.
  void Adopt(std::vector<Listening> listening, const std::vector<PortForwardSpec>& specs);

  // Makes `listening` forward number `index`, as Adopt does, for a deployer
  // that matches forwards by more than their spec. Returns false (and closes
  // it) once closed or when `index` already forwards.
  bool AdoptAt(int index, Listening listening);

 private:
  absl::Mutex mu_;
  std::map<int, Listening> forwarders_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_STABLE_FORWARDS_H_
