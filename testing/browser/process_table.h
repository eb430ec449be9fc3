// Finds live processes by their command line, so a test can prove that
// nothing it started outlived it (a browser's processes all carry its private
// directory in a flag).
//
//   std::vector<std::string> left = WaitUntilNoProcessMentions(browser->dir());
//   EXPECT_THAT(left, IsEmpty());
//
// Free functions: thread-safe.
#ifndef DEVLOOP_TESTING_BROWSER_PROCESS_TABLE_H_
#define DEVLOOP_TESTING_BROWSER_PROCESS_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::browser {

// Returns "PID: COMMAND LINE" for each process whose command line contains
// `text`. Zombies have no command line, so they never match.
std::vector<std::string> ProcessesMentioning(absl::string_view text);

// Waits until no process mentions `text` (a killed process takes a moment to
// go); returns those still there after `timeout`.
std::vector<std::string> WaitUntilNoProcessMentions(absl::string_view text,
                                                    absl::Duration timeout = absl::Seconds(30));

}  // namespace devloop::browser

#endif  // DEVLOOP_TESTING_BROWSER_PROCESS_TABLE_H_
