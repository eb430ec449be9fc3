// The one logging header of devloop's shell (infra/ and apps/ .cc files only).
//
// Wraps glog so the back end can change in one place. The domain never logs: it
// emits events.
//
//   DEVLOOP_LOG(INFO) << "serving gRPC on " << address;
//   DEVLOOP_LOG(WARNING) << "port 50052 for gRPC HTTP server already in use";
//   DEVLOOP_VLOG(1) << "docker: POST /build";   // shown with -v debug
#ifndef DEVLOOP_INFRA_LOG_LOG_H_
#define DEVLOOP_INFRA_LOG_LOG_H_

#include "glog/logging.h"

#define DEVLOOP_LOG(severity) LOG(severity)
#define DEVLOOP_VLOG(level) VLOG(level)

namespace devloop::log {

// Sets up logging for a binary: messages go to stderr, not to files.
// REQUIRES: called once, from main, before any other thread starts.
void Init(const char* argv0);

// Shows DEVLOOP_VLOG(n) messages for n <= level.
void SetVerbosity(int level);

}  // namespace devloop::log

#endif  // DEVLOOP_INFRA_LOG_LOG_H_
