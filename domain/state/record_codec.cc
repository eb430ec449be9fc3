#include "domain/state/record_codec.h"

#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace devloop::domain {
namespace {

// Each struct lists its fields once; the same list drives encoding and decoding,
// so the two cannot drift apart.
template <class A> void Fields(A& a, Suggestion& v) { a(v.code); a(v.action); }
template <class A> void Fields(A& a, ActionableErr& v) { a(v.code); a(v.message); a(v.suggestions); }
template <class A> void Fields(A& a, BuildMetadata::ImageBuilder& v) { a(v.type); a(v.count); }
template <class A> void Fields(A& a, BuildMetadata& v) {
  a(v.number_of_artifacts); a(v.builders); a(v.type); a(v.additional);
}
template <class A> void Fields(A& a, DeployMetadata::Deployer& v) { a(v.type); a(v.count); }
template <class A> void Fields(A& a, DeployMetadata& v) { a(v.deployers); a(v.cluster); }
template <class A> void Fields(A& a, TestMetadata::Tester& v) { a(v.type); a(v.count); }
template <class A> void Fields(A& a, TestMetadata& v) { a(v.testers); }
template <class A> void Fields(A& a, Metadata& v) { a(v.build); a(v.deploy); a(v.test); a(v.additional); }
template <class A> void Fields(A&, NoEvent&) {}
template <class A> void Fields(A& a, MetaEvent& v) { a(v.entry); a(v.metadata); }
template <class A> void Fields(A& a, BuildEvent& v) {
  a(v.artifact); a(v.status); a(v.err); a(v.err_code); a(v.actionable_err);
}
template <class A> void Fields(A& a, DeployEvent& v) {
  a(v.status); a(v.err); a(v.err_code); a(v.actionable_err);
}
template <class A> void Fields(A& a, IntOrString& v) { a(v.type); a(v.int_val); a(v.str_val); }
template <class A> void Fields(A& a, PortEvent& v) {
  a(v.local_port); a(v.remote_port); a(v.pod_name); a(v.container_name); a(v.namespace_);
  a(v.port_name); a(v.resource_type); a(v.resource_name); a(v.address); a(v.target_port);
}
template <class A> void Fields(A& a, StatusCheckEvent& v) {
  a(v.status); a(v.message); a(v.err); a(v.err_code); a(v.actionable_err);
}
template <class A> void Fields(A& a, ResourceStatusCheckEvent& v) {
  a(v.resource); a(v.status); a(v.message); a(v.err); a(v.status_code); a(v.actionable_err);
}
template <class A> void Fields(A& a, FileSyncEvent& v) {
  a(v.file_count); a(v.image); a(v.status); a(v.err); a(v.err_code); a(v.actionable_err);
}
template <class A> void Fields(A& a, DebuggingContainerEvent& v) {
  a(v.status); a(v.pod_name); a(v.container_name); a(v.namespace_); a(v.artifact);
  a(v.runtime); a(v.working_dir); a(v.debug_ports);
}
template <class A> void Fields(A& a, DevLoopEvent& v) { a(v.iteration); a(v.status); a(v.err); }
template <class A> void Fields(A& a, TerminationEvent& v) { a(v.status); a(v.err); }
template <class A> void Fields(A& a, TestEvent& v) { a(v.status); a(v.actionable_err); }
template <class A> void Fields(A& a, LogEntry& v) { a(v.timestamp); a(v.event); a(v.entry); }
template <class A> void Fields(A& a, PipelineStarted& v) {
  a(v.artifacts); a(v.auto_build); a(v.auto_sync); a(v.auto_deploy); a(v.metadata);
}
template <class A> void Fields(A& a, TriggerChanged& v) { a(v.phase); a(v.enabled); }
template <class A> void Fields(A& a, PhasesReset& v) { a(v.build); a(v.sync); a(v.deploy); }

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void operator()(const std::string& s) {
    Varint(s.size());
    out_->append(s);
  }
  void operator()(bool b) { out_->push_back(b ? 1 : 0); }
  template <class T>
  std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>> operator()(T v) {
    Varint(ZigZag(static_cast<int64_t>(v)));
  }
  void operator()(absl::Time t) {
    // Nanoseconds since the epoch fit an int64 until the year 2262.
    Varint(ZigZag(absl::ToUnixNanos(t)));
  }
  template <class T>
  void operator()(const std::optional<T>& v) {
    (*this)(v.has_value());
    if (v.has_value()) (*this)(*v);
  }
  template <class T>
  void operator()(const std::vector<T>& v) {
    Varint(v.size());
    for (const T& e : v) (*this)(e);
  }
  template <class K, class V>
  void operator()(const std::map<K, V>& m) {
    Varint(m.size());
    for (const auto& [k, v] : m) {
      (*this)(k);
      (*this)(v);
    }
  }
  template <class... T>
  void operator()(const std::variant<T...>& v) {
    Varint(v.index());
    std::visit([this](const auto& alt) { (*this)(alt); }, v);
  }
  template <class T>
  std::enable_if_t<std::is_class_v<T>> operator()(const T& v) {
    // Fields() takes non-const references so one list serves both directions;
    // the writer only reads through them.
    Fields(*this, const_cast<T&>(v));
  }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const uint8_t byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail();
  }
  void operator()(std::string& s) {
    const uint64_t n = Varint();
    if (n > in_.size()) {
      Fail();
      return;
    }
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
  }
  void operator()(bool& b) {
    if (in_.empty()) {
      Fail();
      return;
    }
    b = in_.front() != 0;
    in_.remove_prefix(1);
  }
  template <class T>
  std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>> operator()(T& v) {
    v = static_cast<T>(UnZigZag(Varint()));
  }
  void operator()(absl::Time& t) { t = absl::FromUnixNanos(UnZigZag(Varint())); }
  template <class T>
  void operator()(std::optional<T>& v) {
    bool present = false;
    (*this)(present);
    if (!present) {
      v.reset();
      return;
    }
    v.emplace();
    (*this)(*v);
  }
  template <class T>
  void operator()(std::vector<T>& v) {
    const uint64_t n = Varint();
    v.clear();
    for (uint64_t i = 0; i < n && ok_; ++i) (*this)(v.emplace_back());
  }
  template <class K, class V>
  void operator()(std::map<K, V>& m) {
    const uint64_t n = Varint();
    m.clear();
    for (uint64_t i = 0; i < n && ok_; ++i) {
      K k{};
      (*this)(k);
      (*this)(m[std::move(k)]);
    }
  }
  template <class... T>
  void operator()(std::variant<T...>& v) {
    const uint64_t index = Varint();
    if (index >= sizeof...(T)) {
      Fail();
      return;
    }
    Emplace<0, T...>(v, index);
  }
  template <class T>
  std::enable_if_t<std::is_class_v<T>> operator()(T& v) {
    Fields(*this, v);
  }

 private:
  template <size_t I, class Head, class... Tail, class V>
  void Emplace(V& v, uint64_t index) {
    if (index == I) {
      (*this)(v.template emplace<I>());
    } else if constexpr (sizeof...(Tail) > 0) {
      Emplace<I + 1, Tail...>(v, index);
    }
  }
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }

  absl::string_view in_;
  bool ok_ = true;
};

}  // namespace

void EncodeRecord(const Record& record, std::string* out) {
  Writer writer(out);
  writer(record);
}

absl::StatusOr<Record> DecodeRecord(absl::string_view bytes) {
  Reader reader(bytes);
  Record record;
  reader(record);
  if (!reader.ok() || !reader.done()) {
    return absl::DataLossError("event log record does not decode (truncated or corrupt)");
  }
  return record;
}

}  // namespace devloop::domain
