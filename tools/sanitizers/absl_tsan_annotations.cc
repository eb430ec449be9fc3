// Lets ThreadSanitizer see absl::Mutex.
//
// Debian's Abseil is built without TSan, so absl::Mutex synchronizes through
// atomics and futexes that TSan never sees: every field a Mutex guards would
// be reported as a race. Linked into each test of a `--config=tsan` build
// (tools/build_defs/cc.bzl), this file defines the Mutex, CondVar and
// Notification entry points in the test binary itself, where they take
// precedence over the library's; each calls the library's own definition
// (dlsym RTLD_NEXT) and tells TSan of the happens-before edge: a release
// before the mutex is let go, an acquire once it is held again.
//
// It also carries the run's TSan options and suppressions (below), so that
// every tsan test gets them without environment variables.
//
// Not thread-compatible or thread-safe in any other sense than the functions
// it wraps; used only in sanitizer builds.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {

// The library's definition of `mangled`, found once.
template <typename Fn>
Fn Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_tsan_annotations: %s not found: %s\n", mangled, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

#define DEVLOOP_REAL(type, mangled)                  \
  static const auto real = Real<type>(mangled)

void Acquire(const void* mu) { __tsan_acquire(const_cast<void*>(mu)); }
void Release(const void* mu) { __tsan_release(const_cast<void*>(mu)); }

// The library evaluates a wait's condition with the mutex held, inside the
// call (on the waiting thread or on the one unlocking): the evaluation is a
// critical section of its own, between an acquire and a release, or the
// guarded reads it does look unsynchronized.
struct Guarded {
  const absl::Condition* condition;
  const void* mu;
};

bool EvalGuarded(void* arg) {
  const auto* g = static_cast<const Guarded*>(arg);
  Acquire(g->mu);
  const bool met = g->condition->Eval();
  Release(g->mu);  // whoever holds the mutex next comes after what it read
  return met;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  DEVLOOP_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  DEVLOOP_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  DEVLOOP_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  DEVLOOP_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  DEVLOOP_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  DEVLOOP_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& cond) {
  DEVLOOP_REAL(void (*)(Mutex*, const Condition&),
               "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  Guarded guarded{&cond, this};
  real(this, Condition(&EvalGuarded, &guarded));
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  DEVLOOP_REAL(void (*)(Mutex*, const Condition&),
               "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Guarded guarded{&cond, this};
  real(this, Condition(&EvalGuarded, &guarded));
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  DEVLOOP_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
               "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), timeout);
  Acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  DEVLOOP_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
               "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), deadline);
  Acquire(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  DEVLOOP_REAL(void (*)(Mutex*, const Condition&),
               "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  Guarded guarded{&cond, this};
  real(this, Condition(&EvalGuarded, &guarded));
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  DEVLOOP_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
               "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Release(this);
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), timeout);
  Acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  DEVLOOP_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
               "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Release(this);
  Guarded guarded{&cond, this};
  const bool met = real(this, Condition(&EvalGuarded, &guarded), deadline);
  Acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  DEVLOOP_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  DEVLOOP_REAL(bool (*)(CondVar*, Mutex*, absl::Duration),
               "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  DEVLOOP_REAL(bool (*)(CondVar*, Mutex*, absl::Time),
               "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

void Notification::Notify() {
  DEVLOOP_REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  Release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  DEVLOOP_REAL(void (*)(const Notification*),
               "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  DEVLOOP_REAL(bool (*)(const Notification*, absl::Duration),
               "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

// Read by the TSan runtime at start-up.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:history_size=4";
}

// Races reported inside the uninstrumented system libraries are theirs to
// keep: each of these sees only half of its own synchronization (the half in
// inline header code our build instruments). Scoped to the libraries, so a
// race in our code is still reported even when a library frame is on its stack.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libprotobuf.so\n"
         "called_from_lib:libgrpc.so\n"
         "called_from_lib:libgrpc++.so\n"
         "called_from_lib:libgpr.so\n"
         "called_from_lib:libupb.so\n"
         "called_from_lib:libabsl_synchronization.so\n"
         "called_from_lib:libabsl_graphcycles_internal.so\n"
         // gRPC's errors are absl::Status values with Cord payloads, made
         // in grpc++'s inline header code (built with TSan, in our frames:
         // server Shutdown, a Stub's channel going away) and read or freed by
         // gRPC's threads inside Abseil's status, cord, string and time code,
         // after a hand-over in gRPC that TSan cannot see (grpc_server_test,
         // about 1 run in 8 with eight at once, 2026-12-04).
         "called_from_lib:libabsl_status.so\n"
         "called_from_lib:libabsl_cord.so\n"
         "called_from_lib:libabsl_strings.so\n"
         "called_from_lib:libabsl_time.so\n"
         "race:devloop::rpc::GrpcServer::Impl::Shutdown\n"
         "race:google::protobuf::internal::\n"
         "race:grpc_core::\n"
         "race:grpc::internal::\n";
}
