// devloopctl: the command-line client of a running devloop's API (apps/ctl/ctl.h).
#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "apps/ctl/ctl.h"

int main(int argc, char** argv) {
  // `devloopctl events --follow | head` ends quietly when head exits: a write
  // to the closed pipe fails instead of killing the process.
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return devloop::ctl::RunCtl(args, std::cout, std::cerr);
}
