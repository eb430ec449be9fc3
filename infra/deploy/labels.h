// The labels that mark what a devloop run created, on every container, network,
// image and (later) Kubernetes object, so that cleanup removes exactly what the
// run made and nothing else.
//
//   std::string run_id = NewRunId();                 // "3f2a9c01"
//   run.labels[kRunIdLabel] = run_id;
//
// Thread-safe.
#ifndef DEVLOOP_INFRA_DEPLOY_LABELS_H_
#define DEVLOOP_INFRA_DEPLOY_LABELS_H_

#include <string>

namespace devloop::deploy {

// Which run created the object.
inline constexpr char kRunIdLabel[] = "dev.devloop.run-id";
// Which deployment of the run a container belongs to.
inline constexpr char kDeployIdLabel[] = "dev.devloop.deploy-id";
// On containers: the IMAGE:TAG they run (the engine is given the image id).
inline constexpr char kImageLabel[] = "dev.devloop.image";

// Returns a fresh random run id: 8 hex digits.
std::string NewRunId();

}  // namespace devloop::deploy

#endif  // DEVLOOP_INFRA_DEPLOY_LABELS_H_
