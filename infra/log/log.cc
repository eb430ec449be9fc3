#include "infra/log/log.h"

namespace devloop::log {

void Init(const char* argv0) {
  FLAGS_logtostderr = true;
  FLAGS_colorlogtostderr = true;
  google::InitGoogleLogging(argv0);
}

void SetVerbosity(int level) { FLAGS_v = level; }

}  // namespace devloop::log
