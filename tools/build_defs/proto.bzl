"""C++ (and gRPC) code generation with Debian's protoc and grpc_cpp_plugin.

    devloop_cc_proto_library(
        name = "skaffold_cc_proto",
        src = "skaffold.proto",
        grpc = True,
        deps = [":annotations_cc_proto"],
    )

generates skaffold.pb.{h,cc} (and skaffold.grpc.pb.{h,cc} with grpc = True) next to
the .proto, includable as "api/skaffold.pb.h". Imports are resolved from the
workspace root and /usr/include (where the well-known types live).

With grpc = True and messages_name set, the messages are a library of their own
(`messages_name`) that the gRPC library depends on: code that only maps or
encodes messages (a replay tool) links protobuf without gRPC.
"""

def devloop_cc_proto_library(
        name,
        src,
        deps = [],
        grpc = False,
        proto_deps = [],
        messages_name = None,
        **kwargs):
    """Generates and compiles C++ for one .proto file.

    Args:
      name: the cc_library's name.
      src: the .proto file, in this package.
      deps: cc_proto libraries of the .protos that src imports.
      grpc: also generate the gRPC service stubs.
      proto_deps: the .proto files src imports (other than the well-known types).
      messages_name: with grpc, also a cc_library of that name holding the
        messages alone; `name` then holds the stubs and depends on it.
      **kwargs: passed to the cc_library (visibility, testonly, ...).
    """
    if messages_name and not grpc:
        fail("%s: messages_name is only for grpc = True (%s would be %s itself)" %
             (name, messages_name, name))
    if not src.endswith(".proto"):
        fail("%s: src must be a .proto file, not %s" % (name, src))
    base = src[:-len(".proto")]
    outs = [base + ".pb.h", base + ".pb.cc"]
    plugin = ""
    tools = ["@system//:bin/protoc"]
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
        plugin = ("--plugin=protoc-gen-grpc=$(location @system//:bin/grpc_cpp_plugin) " +
                  "--grpc_out=$(GENDIR) ")
        tools.append("@system//:bin/grpc_cpp_plugin")

    native.genrule(
        name = name + "_gen",
        srcs = [src] + proto_deps,
        outs = outs,
        tools = tools,
        cmd = ("$(location @system//:bin/protoc) -I. -I/usr/include " +
               "--cpp_out=$(GENDIR) " + plugin + "$(location %s)" % src),
        visibility = ["//visibility:private"],
    )

    if messages_name:
        native.cc_library(
            name = messages_name,
            srcs = [base + ".pb.cc"],
            hdrs = [base + ".pb.h"],
            deps = deps + ["@system//:protobuf"],
            **kwargs
        )
        native.cc_library(
            name = name,
            srcs = [base + ".grpc.pb.cc"],
            hdrs = [base + ".grpc.pb.h"],
            deps = [":" + messages_name, "@system//:grpc", "@system//:protobuf"],
            **kwargs
        )
        return

    system_deps = ["@system//:protobuf"]
    if grpc:
        system_deps.append("@system//:grpc")
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + system_deps,
        **kwargs
    )
