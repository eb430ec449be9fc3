#include "domain/structuretest/spec.h"

namespace devloop::structuretest {

std::ostream& operator<<(std::ostream& os, const KeyValue& kv) {
  return os << kv.key << (kv.is_regex ? "=~" : "=") << kv.value;
}

}  // namespace devloop::structuretest
