// LeakSanitizer's suppressions for every test of a `--config=asan` build
// (linked in by devloop_cc_test, tools/build_defs/cc.bzl), so they need no
// environment variable.
//
// Only leaks inside Debian's uninstrumented libraries belong here, each with
// why; a leak in devloop's own code is a bug to fix, not to suppress.
//   libcares: gRPC's DNS resolver (c-ares) keeps a few small strings from
//     /etc/resolv.conf for the process's life; seen as "140 bytes in 14
//     objects allocated from libcares.so.2" at the exit of gRPC client tests
//     on machines whose resolver configuration has them.
extern "C" const char* __lsan_default_suppressions() { return "leak:libcares.so\n"; }
