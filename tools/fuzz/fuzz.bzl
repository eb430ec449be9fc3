"""libFuzzer targets, compiled with clang-14 beside Bazel's GCC toolchain.

Bazel's C++ toolchain here is GCC, which has no libFuzzer, so these rules call
clang++-14 themselves: one action per source file, so a source shared by several
fuzzers (the glob matcher, the JSON mapping) is compiled once, and Bazel caches
and parallelises the objects like any other action.

    fuzz_library(
        name = "paths",
        srcs = ["//domain/paths:glob.cc", ...],   # instrumented: coverage + sanitizers
        hdrs = ["//domain/paths:glob.h", ...],
    )
    devloop_fuzz_test(
        name = "dockerignore_fuzz_test",
        fuzzer = "dockerignore_fuzzer.cc",
        deps = [":paths"],
        corpus = "//testing/fuzz_corpus:dockerignore",
    )

Code we fuzz is compiled with -fsanitize=fuzzer-no-link,address,undefined.
`cc_deps` (Bazel cc_library targets, e.g. generated protobuf code) are linked
as Bazel built them, uninstrumented, like Debian's libraries.
"""

_CLANG = "clang++-14"

_COPTS = [
    "-std=c++20",
    "-O1",
    "-g",
    "-fno-omit-frame-pointer",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-Wno-deprecated-declarations",
]

FuzzObjectsInfo = provider(
    doc = "Objects compiled for fuzzing and what compiling against them needs.",
    fields = {
        "objects": "depset of .o files",
        "headers": "depset of headers (ours and generated)",
        "cc_infos": "list of CcInfo to link and include",
    },
)

def _include_flags(ctx, cc_infos):
    flags = ["-I.", "-I" + ctx.bin_dir.path]
    for info in cc_infos:
        cc = info.compilation_context
        for d in cc.includes.to_list() + cc.quote_includes.to_list():
            flags.append("-I" + d)
        for d in cc.system_includes.to_list():
            flags.append("-isystem" + d)
    return flags

def _compile_all(ctx, srcs, headers, cc_infos):
    includes = _include_flags(ctx, cc_infos)
    objects = []
    for src in srcs:
        if not src.path.endswith(".cc"):
            continue
        obj = ctx.actions.declare_file("_fuzz_objs/%s/%s.o" % (ctx.label.name, src.short_path.replace("../", "_ext/")))
        args = ctx.actions.args()
        args.add_all(_COPTS)
        args.add("-fsanitize=fuzzer-no-link")
        args.add_all(includes)
        args.add("-c", src)
        args.add("-o", obj)
        ctx.actions.run_shell(
            inputs = depset([src], transitive = [headers]),
            outputs = [obj],
            command = _CLANG + ' "$@"',
            arguments = [args],
            mnemonic = "FuzzCompile",
            progress_message = "Compiling %s for fuzzing" % src.short_path,
            use_default_shell_env = True,
        )
        objects.append(obj)
    return objects

def _collect(ctx):
    deps = [d[FuzzObjectsInfo] for d in ctx.attr.deps]
    cc_infos = [d[CcInfo] for d in ctx.attr.cc_deps]
    for d in deps:
        cc_infos = cc_infos + d.cc_infos
    headers = depset(
        ctx.files.hdrs,
        transitive = [d.headers for d in deps] +
                     [i.compilation_context.headers for i in cc_infos],
    )
    return deps, cc_infos, headers

def _fuzz_library_impl(ctx):
    deps, cc_infos, headers = _collect(ctx)
    objects = _compile_all(ctx, ctx.files.srcs, headers, cc_infos)
    return [FuzzObjectsInfo(
        objects = depset(objects, transitive = [d.objects for d in deps]),
        headers = headers,
        cc_infos = cc_infos,
    )]

_COMMON_ATTRS = {
    "srcs": attr.label_list(allow_files = [".cc"]),
    "hdrs": attr.label_list(allow_files = [".h"]),
    "deps": attr.label_list(providers = [FuzzObjectsInfo]),
    "cc_deps": attr.label_list(providers = [CcInfo]),
}

fuzz_library = rule(
    implementation = _fuzz_library_impl,
    attrs = _COMMON_ATTRS,
    doc = "Sources compiled with clang and sanitizers, shared by fuzz binaries.",
)

def _link_inputs(cc_infos):
    """Returns (files, flags) linking the cc_deps as Bazel built them, each
    library before the ones it needs (one merged order: in the order cc_deps
    are listed, an archive listed early is not searched again for a later
    library's references)."""
    files = []
    flags = []
    seen = {}
    merged = cc_common.merge_cc_infos(cc_infos = cc_infos)
    for linker_input in merged.linking_context.linker_inputs.to_list():
        for lib in linker_input.libraries:
            f = lib.static_library or lib.pic_static_library
            if lib.dynamic_library != None and f != None and f.owner.workspace_name == "system":
                # Debian's libraries (third_party/system) link shared here,
                # as for tests: their archives would need link order.
                f = lib.dynamic_library
            if f == None:
                continue
            if f.path in seen:
                continue
            seen[f.path] = True
            files.append(f)
            if lib.alwayslink:
                flags += ["-Wl,--whole-archive", f.path, "-Wl,--no-whole-archive"]
            else:
                flags.append(f.path)
        for flag in linker_input.user_link_flags:
            if flag not in seen:
                seen[flag] = True
                flags.append(flag)
    return files, flags

def _fuzz_binary_impl(ctx):
    deps, cc_infos, headers = _collect(ctx)
    own = _compile_all(ctx, ctx.files.srcs, headers, cc_infos)
    objects = depset(own, transitive = [d.objects for d in deps]).to_list()
    lib_files, lib_flags = _link_inputs(cc_infos)
    out = ctx.actions.declare_file(ctx.label.name)
    args = ctx.actions.args()
    args.add_all(_COPTS)
    args.add("-fsanitize=fuzzer")
    args.add_all(objects)
    args.add_all(lib_flags)
    args.add_all(ctx.attr.linkopts)
    args.add("-o", out)
    ctx.actions.run_shell(
        inputs = objects + lib_files,
        outputs = [out],
        command = _CLANG + ' "$@"',
        arguments = [args],
        mnemonic = "FuzzLink",
        progress_message = "Linking fuzzer %s" % ctx.label.name,
        use_default_shell_env = True,
    )
    return [DefaultInfo(executable = out, files = depset([out]))]

fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    attrs = dict(_COMMON_ATTRS, linkopts = attr.string_list()),
    executable = True,
    doc = "A libFuzzer binary: its own sources plus fuzz_library objects.",
)

def devloop_fuzz_test(name, fuzzer, corpus, deps = [], cc_deps = [], hdrs = [], linkopts = [],
                      fuzz_args = [], seconds = 15):
    """A fuzzer `NAME_bin` and an sh_test NAME that fuzzes it for `seconds`.

    The test starts from `corpus` (a filegroup of one directory), fails on any
    crash, sanitizer report, leak or timeout, and leaves a crashing input in the
    test's undeclared outputs. FUZZ_SECONDS in the environment overrides `seconds`.
    """
    fuzz_binary(
        name = name + "_bin",
        srcs = [fuzzer],
        hdrs = hdrs,
        deps = deps,
        cc_deps = cc_deps,
        linkopts = linkopts,
        testonly = True,
    )
    native.sh_test(
        name = name,
        size = "medium",
        srcs = ["//tools/fuzz:run_fuzzer.sh"],
        args = [
            "$(location :%s_bin)" % name,
            str(seconds),
            "$(locations %s)" % corpus,
            "--",
        ] + fuzz_args,
        data = [":" + name + "_bin", corpus],
        tags = ["fuzz"],
    )
