#!/usr/bin/env python3
"""Writes third_party/system/libs.bzl: each Debian library devloop links, with
the libraries it needs, read from the pkg-config files of the installed -dev
packages.

A static link has to name every archive a library needs, after that library;
a dynamic link only the library itself. The graph below lets Bazel do both: a
cc_binary (linkstatic) gets the archives in dependency order, a cc_test the
shared objects (third_party/system/system_libs.bzl).

Run it again after Debian's packages change:
    third_party/system/gen_libs.py > third_party/system/libs.bzl
"""

import glob
import os
import re
import sys

LIBDIR = "/usr/lib/x86_64-linux-gnu"
PC_DIRS = [LIBDIR + "/pkgconfig", "/usr/share/pkgconfig"]

# The libraries devloop's targets in system.BUILD name; the graph is their
# closure.
ROOTS = [
    "grpc++", "grpc++_reflection", "protobuf", "re2", "yaml-cpp",
    "archive", "ssl", "crypto",
    "absl_status", "absl_statusor", "absl_cord", "absl_strings",
    "absl_str_format_internal", "absl_throw_delegate", "absl_time",
    "absl_time_zone", "absl_hash", "absl_raw_hash_set", "absl_synchronization",
    "absl_int128", "absl_base", "absl_raw_logging_internal",
    "absl_flags_parse", "absl_flags_internal", "absl_flags_marshalling",
    "absl_flags_reflection", "absl_flags_usage", "absl_flags_usage_internal",
    "absl_flags_private_handle_accessor", "absl_flags_commandlineflag",
    "absl_flags_commandlineflag_internal", "absl_flags_config",
    "absl_flags_program_name",
]

# Part of the C/C++ runtime: stays a plain -l flag, linked dynamically.
RUNTIME = {"c", "m", "dl", "rt", "pthread", "atomic", "stdc++", "gcc_s"}

# Archives built without -fPIC cannot go into devloop's position-independent
# executable: these stay shared objects in every link.
NOT_PIC = {"unwind"}

# Libraries with no pkg-config file of their own, with what they
# need (read from the libraries' DT_NEEDED entries).
EXTRA = {
    "grpc++_reflection": ["grpc++", "protobuf"],
    "upb": [],
    "address_sorting": [],
    "bz2": [],
    "icudata": [],
    # No -dev package installed: runtime .so only.
    "acl": [],
    "lz4": [],
    "zstd": [],
}


def parse_pc(path):
    fields = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^([A-Za-z.]+):\s*(.*)$", line.strip())
        if m:
            fields[m.group(1)] = m.group(2)
    libs = []
    opts = []
    for key in ("Libs", "Libs.private"):
        for tok in fields.get(key, "").split():
            if tok == "-pthread":
                opts.append(tok)
            elif tok.startswith("-l"):
                name = tok[2:]
                if name in RUNTIME:
                    opts.append(tok)
                else:
                    libs.append(name)
    requires = []
    for key in ("Requires", "Requires.private"):
        for tok in re.split(r"[,\s]+", fields.get(key, "")):
            if tok and not re.match(r"^[<>=!]+$|^[0-9]", tok):
                requires.append(tok)
    return libs, opts, requires


def main():
    pcs = {}
    for d in PC_DIRS:
        for path in glob.glob(d + "/*.pc"):
            pcs[os.path.basename(path)[:-3]] = parse_pc(path)

    # A package's own library is the one named like the package, else its
    # first; the libraries listed after it are its dependencies.
    deps = {}
    opts = {}
    own = {}
    for pc, (libs, pc_opts, _) in pcs.items():
        if not libs:
            continue
        bare = pc[3:] if pc.startswith("lib") else pc
        main_lib = bare if bare in libs else libs[0]
        own[pc] = main_lib
        if main_lib in deps and pc != bare:
            continue  # e.g. openssl.pc vs libssl.pc: keep the package's own
        deps[main_lib] = [l for l in libs if l != main_lib]
        opts[main_lib] = pc_opts

    def libs_of(pc, seen=()):
        """The libraries a required package stands for (header-only
        packages stand for what they require)."""
        if pc in own:
            return [own[pc]]
        out = []
        for req in pcs.get(pc, ([], [], []))[2]:
            if req not in seen:
                out += libs_of(req, seen + (pc,))
        return out

    for pc, (libs, _, requires) in pcs.items():
        if pc not in own:
            continue
        main_lib = own[pc]
        for req in requires:
            for lib in libs_of(req):
                if lib != main_lib and lib not in deps[main_lib]:
                    deps[main_lib].append(lib)
    for lib, extra in EXTRA.items():
        deps.setdefault(lib, [])
        deps[lib] += [d for d in extra if d not in deps[lib]]
        opts.setdefault(lib, [])

    graph = {}
    todo = list(ROOTS)
    while todo:
        lib = todo.pop()
        if lib in graph:
            continue
        if lib not in deps:
            sys.exit("gen_libs.py: no pkg-config file names -l%s" % lib)
        graph[lib] = deps[lib]
        todo += deps[lib]

    # A library with no static archive or no .so link is left out: Debian
    # ships only the runtime .so of a few of libarchive's optional libraries
    # (acl, lz4, zstd), which the parts of libarchive devloop uses (the tar
    # writer) do not reach; libarchive.so still loads them in a dynamic link.
    missing = sorted(
        lib for lib in graph
        if not (os.path.exists("%s/lib%s.a" % (LIBDIR, lib)) and
                os.path.exists("%s/lib%s.so" % (LIBDIR, lib))))
    for lib in graph:
        graph[lib] = [d for d in graph[lib] if d not in missing]
    for lib in missing:
        del graph[lib]

    print('"""Generated by third_party/system/gen_libs.py; do not edit.')
    print()
    print("Each Debian library devloop links: the libraries it needs (a static")
    print("link lists them after it) and its runtime -l flags.")
    if missing:
        print("Left out (no static archive or no .so link): %s." %
              ", ".join(missing))
    print('"""')
    print()
    print("SYSTEM_LIBS = {")
    for lib in sorted(graph):
        print('    "%s": struct(' % lib)
        print("        deps = [%s]," % ", ".join('"%s"' % d for d in graph[lib]))
        print("        static = %s," % (lib not in NOT_PIC))
        print("        linkopts = [%s]," %
              ", ".join('"%s"' % o for o in dict.fromkeys(opts[lib])))
        print("    ),")
    print("}")


if __name__ == "__main__":
    main()
