// Asks whether something listens on a loopback port, with one connect():
//
//   EXPECT_TRUE(AcceptsOnLoopback(forward.local_port()));
//
// Connecting needs no time to pass, so a test can assert either answer at
// once after what opened or closed the port. Thread-safe.
#ifndef DEVLOOP_TESTING_NET_LOOPBACK_H_
#define DEVLOOP_TESTING_NET_LOOPBACK_H_

namespace devloop::testing {

// Returns whether 127.0.0.1:`port` accepts a TCP connection.
bool AcceptsOnLoopback(int port);

}  // namespace devloop::testing

#endif  // DEVLOOP_TESTING_NET_LOOPBACK_H_
