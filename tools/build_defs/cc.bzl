"""C++ rules with devloop's policy in one place: copts, test main, sizes, and the
dependency allow-list of each layer."""

_COPTS = ["-Werror=return-type"]

# What domain code may depend on besides other domain targets: Abseil's value
# libraries (the system "absl" target) and the C++ standard library.
_DOMAIN_ALLOWED_EXTERNAL = [
    "@system//:absl",
]

def _check_domain_deps(name, deps):
    for dep in deps:
        if dep.startswith("//domain") or dep.startswith(":"):
            continue
        if dep in _DOMAIN_ALLOWED_EXTERNAL:
            continue
        fail("%s: domain code may depend only on //domain/... and %s, not %s" %
             (name, ", ".join(_DOMAIN_ALLOWED_EXTERNAL), dep))

def domain_cc_library(name, deps = [], copts = [], **kwargs):
    """A cc_library of the pure domain layer: Abseil and the standard library only."""
    _check_domain_deps(name, deps)
    native.cc_library(name = name, deps = deps, copts = _COPTS + copts, **kwargs)

def devloop_cc_library(name, copts = [], **kwargs):
    """A cc_library of any layer but the domain."""
    native.cc_library(name = name, copts = _COPTS + copts, **kwargs)

# A cc_binary links Debian's libraries statically (third_party/system/
# system_libs.bzl). Without --gc-sections (which -c opt adds) the parts of
# libarchive devloop never calls would keep libxml2 and ICU's 30 MB of data.
_BINARY_LINKOPTS = ["-Wl,--gc-sections"]

def devloop_cc_binary(name, copts = [], linkopts = [], **kwargs):
    native.cc_binary(
        name = name,
        copts = _COPTS + copts,
        linkopts = _BINARY_LINKOPTS + linkopts,
        **kwargs
    )

# What a binary a user starts (apps/) adds to its link, for start-up time
# (docs/BENCHMARKS.md, "Start-up: a non-PIE executable" and "Start-up: a
# static executable"): a static executable, not position-independent, so
# there is no dynamic loader at all: no library to find, map and bind, and no
# relocation of the executable (~40,000 of them, each a page fault on
# .data.rel.ro). `devloop version` spends 3-4 ms of CPU instead of 7-9 ms.
# The costs: address-space randomisation of the executable's own image (stack
# and heap stay randomised), for a developer's tool serving loopback; and the
# C library's name lookups (getaddrinfo for --rpc-bind-address=localhost) use
# the machine's own glibc NSS configuration at run time, as the linker's
# warnings say: devloop is built on the machine it runs on. Sanitizer builds
# keep the defaults: TSan needs a PIE, and ASan's interceptors expect the
# shared runtimes.
FAST_START_LINKOPTS = select({
    "//tools/sanitizers:tsan": [],
    "//tools/sanitizers:asan": [],
    "//conditions:default": [
        "-static",
        "-no-pie",
    ],
})

# In a --config=tsan build every test links the annotations that let
# ThreadSanitizer see absl::Mutex (tools/sanitizers/absl_tsan_annotations.cc);
# in a --config=asan build, LeakSanitizer's suppressions for third-party
# libraries (tools/sanitizers/lsan_suppressions.cc).
_SANITIZER_DEPS = select({
    "//tools/sanitizers:tsan": ["//tools/sanitizers:absl_tsan_annotations"],
    "//tools/sanitizers:asan": ["//tools/sanitizers:lsan_suppressions"],
    "//conditions:default": [],
})

def devloop_cc_test(name, deps = [], copts = [], size = "small", **kwargs):
    """A GoogleTest test; links gtest_main unless the test brings its own main."""
    native.cc_test(
        name = name,
        deps = deps + ["@system//:gtest_main"] + _SANITIZER_DEPS,
        copts = _COPTS + copts,
        size = size,
        **kwargs
    )

def devloop_cc_benchmark(name, deps = [], copts = [], tags = [], **kwargs):
    """A Google Benchmark binary NAME and a smoke test NAME_smoke_test that runs
    every benchmark once for a moment, so benchmarks keep building and running."""
    native.cc_binary(
        name = name,
        deps = deps + ["@system//:benchmark"],
        copts = _COPTS + copts,
        linkopts = _BINARY_LINKOPTS,
        tags = tags,
        **kwargs
    )
    native.sh_test(
        name = name + "_smoke_test",
        srcs = ["//tools/build_defs:run_benchmark_smoke.sh"],
        args = ["$(location :%s)" % name],
        data = [":" + name],
        size = "medium",
        tags = tags,
    )

def devloop_kube_test(name, srcs, deps, data = [], copts = []):
    """A GoogleTest binary run against a real Kubernetes of its own.

    testing/kube/with_kube_cluster.sh brings the test cluster up around the
    binary (`NAME_bin`) and takes it down after; the test is large, runs alone
    (exclusive, local: the cluster needs root and both cores) and is tagged
    requires-kube and requires-docker so it can be selected or left out.
    """
    native.cc_binary(
        name = name + "_bin",
        testonly = True,
        srcs = srcs,
        data = data,
        deps = deps + ["@system//:gtest_main"],
        copts = _COPTS + copts,
        linkopts = _BINARY_LINKOPTS,
    )
    native.sh_test(
        name = name,
        size = "large",
        srcs = ["//testing/kube:with_kube_cluster.sh"],
        args = ["$(location :%s_bin)" % name],
        data = [
            ":" + name + "_bin",
            "//testing/kube:with_kube_cluster",
        ],
        tags = [
            "exclusive",
            "local",
            "requires-docker",
            "requires-kube",
        ],
    )
