// A program for tsan_canary_test: with "racy" two threads write one int with
// no synchronization (TSan must report it); with "guarded" they hand data over
// through absl::Mutex, Await, CondVar and Notification (TSan must stay quiet,
// which holds only if absl_tsan_annotations makes those visible).
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace {

int Racy() {
  int shared = 0;
  std::thread a([&] { for (int i = 0; i < 1000; ++i) ++shared; });
  std::thread b([&] { for (int i = 0; i < 1000; ++i) ++shared; });
  a.join();
  b.join();
  return shared > 0 ? 0 : 1;
}

int Guarded() {
  absl::Mutex mu;
  absl::CondVar cv;
  int counter = 0;   // guarded by mu
  int payload = 0;   // written before Notify, read after the wait
  bool ready = false;  // guarded by mu, signalled through cv
  absl::Notification note;
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) {
      absl::MutexLock lock(&mu);
      ++counter;
    }
    payload = 42;
    note.Notify();
    absl::MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  });
  std::thread reader([&] {
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(+[](int* c) { return *c == 1000; }, &counter));
      ++counter;
    }
    note.WaitForNotification();
    if (payload != 42) std::abort();
    absl::MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
  });
  writer.join();
  reader.join();
  return counter == 1001 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "racy") == 0) return Racy();
  if (argc == 2 && std::strcmp(argv[1], "guarded") == 0) return Guarded();
  std::fprintf(stderr, "usage: tsan_canary racy|guarded\n");
  return 2;
}
