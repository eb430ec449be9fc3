"""One cc_library per Debian library (lib_<name>), holding both its static
archive and its shared object, with the libraries it needs as deps
(third_party/system/libs.bzl, generated from pkg-config).

Bazel then picks the right one per target, with no flag: a cc_binary
(linkstatic by default) links the archives in dependency order, so devloop
starts without the dynamic loader resolving ~70 libraries; a cc_test
(linkstatic = False) links the shared objects as before, which keeps ~300
test links small and fast.

A library whose archive is not position-independent (static = False) is
always linked as a shared object, from the system's library path.

A binary that needs the shared objects says linkstatic = False (as
tools/sanitizers:tsan_canary does: its TSan annotations replace absl::Mutex's
methods and reach the originals through dlsym(RTLD_NEXT)).
"""

load(":libs.bzl", "SYSTEM_LIBS")

_LIBDIR = "lib/x86_64-linux-gnu/"

def system_libraries():
    """Declares lib_<name> for every library in SYSTEM_LIBS."""
    for name, lib in SYSTEM_LIBS.items():
        shared = _LIBDIR + "lib%s.so" % name
        static = _LIBDIR + "lib%s.a" % name
        if lib.static:
            native.cc_library(
                name = "lib_" + name,
                srcs = [static, shared],
                deps = [":lib_" + dep for dep in lib.deps],
                linkopts = lib.linkopts,
            )
        else:
            # Found on the linker's default path, not copied into Bazel's
            # _solib: a binary then carries no rpath, and the loader does not
            # search a dozen missing directories for it at every start.
            native.cc_library(
                name = "lib_" + name,
                deps = [":lib_" + dep for dep in lib.deps],
                linkopts = lib.linkopts + ["-l" + name],
            )
