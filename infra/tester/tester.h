// The tester port: what the dev loop needs to test a built image before it
// deploys it (skaffold.yaml `test`).
//
// The dev loop's shell calls Test on its blocking pool for each image of a
// RunTests effect, in order, and posts the outcome back to the controller as
// TestsSucceeded / TestsFailed; the tester never calls into the loop. Today's
// implementation is LocalTester (local_tester.h): custom commands on this
// machine and container-structure-test.
//
//   absl::Status s = tester->Test({.image = "web", .reference = "web:3f2a"});
//   // OK: every test of web passed.
//
// Failure contract: a failed test is an error carrying the Skaffold status code
// TEST_UNKNOWN as a payload (domain/events/status_payload.h) whose message names
// the test and how it failed; Cancelled after Cancel; InvalidArgument for an
// image the tester has no tests for.
#ifndef DEVLOOP_INFRA_TESTER_TESTER_H_
#define DEVLOOP_INFRA_TESTER_TESTER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace devloop::tester {

struct TestRequest {
  std::string image;      // an artifact the tester was configured with
  std::string reference;  // the build to test ("web:3f2a", maybe "@sha256:..." after it)
  // The tests' output, line by line, on the calling thread. May be empty.
  std::function<void(absl::string_view line)> on_output;
};

class Tester {
 public:
  virtual ~Tester() = default;

  // Runs every test of `request.image` against `request.reference`, in order,
  // and stops at the first failure. Blocks for the length of the tests: call
  // it on a pool, never on the dev loop's executor. Errors: see the file comment.
  virtual absl::Status Test(const TestRequest& request) = 0;

  // Makes a running Test return Cancelled promptly (its process is stopped).
  // Does not block. Thread-safe.
  virtual void Cancel() = 0;
};

}  // namespace devloop::tester

#endif  // DEVLOOP_INFRA_TESTER_TESTER_H_
