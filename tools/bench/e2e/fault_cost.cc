// What the first touch of a page costs on this machine: the part of a start
// that no code of devloop's shows. A start touches a few hundred pages (the
// code it runs, the heap, the thread stacks); in a virtual machine each of
// those faults can cost far more than on bare metal.
//
//   fault_cost [FILE]    (FILE: a large file to map, e.g. bazel-bin/apps/devloop)
//
// Prints, per page or per fault:
//   anon_fault_us      writing one new page of anonymous memory (the heap, a stack)
//   file_fault_us      reading a page of FILE's mapping; the kernel maps the
//                      pages around it too, so one fault per 16 pages is timed
//   anon_populate_us   the same pages made present up front, MADV_POPULATE_WRITE
//   file_populate_us   FILE's pages made present up front, MADV_POPULATE_READ
//   cpuid_us           one CPUID instruction (a VM exit under virtualisation)
// Nothing is asserted; the numbers go to docs/BENCHMARKS.md.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kAnonPages = 20000;

double NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

char* MapAnon() {
  void* p = mmap(nullptr, kAnonPages * kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

}  // namespace

int main(int argc, char** argv) {
  const char* file = argc > 1 ? argv[1] : "/proc/self/exe";
  char* anon = MapAnon();
  char* populated = MapAnon();
  if (anon == nullptr || populated == nullptr) {
    std::perror("fault_cost: mmap");
    return 1;
  }
  double t = NowUs();
  for (size_t i = 0; i < kAnonPages; ++i) anon[i * kPage] = 1;
  std::printf("anon_fault_us=%.2f\n", (NowUs() - t) / kAnonPages);
  t = NowUs();
  if (madvise(populated, kAnonPages * kPage, MADV_POPULATE_WRITE) == 0) {
    std::printf("anon_populate_us=%.2f\n", (NowUs() - t) / kAnonPages);
  } else {
    std::printf("anon_populate_us=unsupported (%s)\n", std::strerror(errno));
  }

  const int fd = open(file, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(64 * kPage)) {
    std::fprintf(stderr, "fault_cost: %s: not a readable file of 256 KiB or more\n", file);
    return 1;
  }
  const size_t pages = static_cast<size_t>(st.st_size) / kPage;
  // Read once so that every page is in the page cache: what is timed is the
  // mapping, not the disk.
  char buf[1 << 16];
  while (read(fd, buf, sizeof buf) > 0) {
  }
  void* m1 = mmap(nullptr, pages * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
  void* m2 = mmap(nullptr, pages * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m1 == MAP_FAILED || m2 == MAP_FAILED) {
    std::perror("fault_cost: mmap of the file");
    return 1;
  }
  const volatile char* first = static_cast<const volatile char*>(m1);
  unsigned sum = 0;
  size_t touches = 0;
  t = NowUs();
  for (size_t i = 0; i < pages; i += 16, ++touches) sum += static_cast<unsigned>(first[i * kPage]);
  std::printf("file_fault_us=%.2f (%zu faults, one per 16 pages of %s)\n", (NowUs() - t) / touches,
              touches, file);
  t = NowUs();
  if (madvise(m2, pages * kPage, MADV_POPULATE_READ) == 0) {
    std::printf("file_populate_us=%.2f per page (%zu pages)\n", (NowUs() - t) / pages, pages);
  } else {
    std::printf("file_populate_us=unsupported (%s)\n", std::strerror(errno));
  }

  constexpr int kCpuids = 1000;
  t = NowUs();
  for (int i = 0; i < kCpuids; ++i) {
    unsigned a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  }
  std::printf("cpuid_us=%.2f\n", (NowUs() - t) / kCpuids);
  close(fd);
  return sum == 0xFFFFFFFF ? 1 : 0;  // keeps the reads
}
