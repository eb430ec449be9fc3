// A test process that opens a browser and then ends the way a failing test
// can, for browser_harness_test's DyingTestProcessTest:
//   return   returns 1 from main, as a failed ASSERT unwinds (destructors run)
//   abort    abort(), as a crash does (no destructor runs)
//   sigkill  SIGKILL, as Bazel ends a test that timed out
//
//   browser_crash_helper DIR return|abort|sigkill
#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <string>

#include "testing/browser/browser.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR return|abort|sigkill\n", argv[0]);
    return 2;
  }
  const std::string ending = argv[2];
  absl::StatusOr<std::unique_ptr<devloop::browser::Browser>> browser =
      devloop::browser::Browser::Start({.dir = argv[1]});
  if (!browser.ok()) {
    std::fprintf(stderr, "%s\n", browser.status().ToString().c_str());
    return 3;
  }
  absl::Status opened = (*browser)->Open("data:text/html,<p>a page to leave behind</p>");
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.ToString().c_str());
    return 3;
  }
  std::printf("browser up\n");
  std::fflush(stdout);
  if (ending == "abort") abort();
  if (ending == "sigkill") raise(SIGKILL);
  return 1;
}
