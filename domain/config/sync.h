// A check on skaffold.yaml's sync rules that validation needs. Where a changed
// file goes in the container is decided in one place, by the dev loop's
// planner (domain/pipeline/sync_machine.h, PlanSync), for manual and inferred
// rules alike.
//
// Free functions: thread-compatible.
#ifndef DEVLOOP_DOMAIN_CONFIG_SYNC_H_
#define DEVLOOP_DOMAIN_CONFIG_SYNC_H_

#include "absl/strings/string_view.h"

namespace devloop::config {

// Returns true when `src` (a sync rule's glob, relative to the context) can only
// match files inside the context: it is relative and does not climb out with "..".
bool StaysInContext(absl::string_view src);

}  // namespace devloop::config

#endif  // DEVLOOP_DOMAIN_CONFIG_SYNC_H_
