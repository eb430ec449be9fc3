#include "domain/debug/transform.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::debug {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Words = std::vector<std::string>;

// The launcher prefix Skaffold puts before a python command line.
Words Launcher(uint32_t port) {
  return {"/dbg/python/launcher", "--mode", "debugpy", "--port", std::to_string(port), "--"};
}

Words Dlv(uint32_t port, Words rest) {
  Words out = {"/dbg/go/bin/dlv",     "exec",
               "--headless",          "--continue",
               "--accept-multiclient", "--listen=:" + std::to_string(port),
               "--api-version=2"};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

Words Concat(Words a, const Words& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- detection ---------------------------------------------------------

struct DetectCase {
  const char* label;
  ContainerSpec spec;
  Runtime runtime;
  const char* reason;
};

TEST(DetectRuntimeTest, FindsEachRuntimeAsSkaffoldDoes) {
  const DetectCase cases[] = {
      {"GOTRACEBACK", {.name = "c", .env = {{"GOTRACEBACK", "all"}}}, Runtime::kGo,
       "env GOTRACEBACK"},
      {"ko image", {.name = "c", .env = {{"KO_DATA_PATH", "/var/run/ko"}}}, Runtime::kGo,
       "env KO_DATA_PATH"},
      {"dlv command", {.name = "c", .entrypoint = {"/usr/bin/dlv", "exec", "/app"}}, Runtime::kGo,
       "command /usr/bin/dlv"},
      {"JAVA_VERSION", {.name = "c", .env = {{"JAVA_VERSION", "17"}}}, Runtime::kJvm,
       "env JAVA_VERSION"},
      {"java command", {.name = "c", .entrypoint = {"java", "-jar", "app.jar"}}, Runtime::kJvm,
       "command java"},
      {"dotnet command", {.name = "c", .entrypoint = {"dotnet", "app.dll"}}, Runtime::kNetCore,
       "command dotnet"},
      {"NODE_VERSION", {.name = "c", .env = {{"NODE_VERSION", "20"}}}, Runtime::kNodeJs,
       "env NODE_VERSION"},
      {"NODE_ENV", {.name = "c", .env = {{"NODE_ENV", "production"}}}, Runtime::kNodeJs,
       "env NODE_ENV"},
      {"npm as CMD", {.name = "c", .args = {"npm", "start"}}, Runtime::kNodeJs, "command npm"},
      {"nodemon", {.name = "c", .entrypoint = {"nodemon", "src/index.js"}}, Runtime::kNodeJs,
       "command nodemon"},
      {"node behind docker-entrypoint.sh",
       {.name = "c", .entrypoint = {"docker-entrypoint.sh"}, .args = {"node", "server.js"}},
       Runtime::kNodeJs, "command node"},
      {"PYTHONUNBUFFERED", {.name = "c", .env = {{"PYTHONUNBUFFERED", "1"}}}, Runtime::kPython,
       "env PYTHONUNBUFFERED"},
      {"python3 path", {.name = "c", .entrypoint = {"/usr/local/bin/python3", "app.py"}},
       Runtime::kPython, "command /usr/local/bin/python3"},
      {"Go is checked before Node",
       {.name = "c", .env = {{"GOTRACEBACK", "all"}, {"NODE_VERSION", "20"}}}, Runtime::kGo,
       "env GOTRACEBACK"},
      {"JVM is checked before Python",
       {.name = "c", .entrypoint = {"python", "x.py"}, .env = {{"JAVA_VERSION", "17"}}},
       Runtime::kJvm, "env JAVA_VERSION"},
      {"sh -c line is looked into",
       {.name = "c", .entrypoint = {"/bin/sh", "-c", "node index.js"}}, Runtime::kNodeJs,
       "command node"},
      {"runtimeType wins",
       {.name = "c", .entrypoint = {"/app"}, .env = {{"NODE_VERSION", "20"}},
        .runtime_type = "go"},
       Runtime::kGo, "runtimeType go"},
  };
  for (const DetectCase& c : cases) {
    absl::StatusOr<Detection> d = DetectRuntime(c.spec);
    ASSERT_TRUE(d.ok()) << c.label << ": " << d.status();
    EXPECT_EQ(*d, (Detection{c.runtime, c.reason})) << c.label;
  }
}

TEST(DetectRuntimeTest, UnknownContainerSaysWhatToSet) {
  absl::StatusOr<Detection> d =
      DetectRuntime({.name = "web", .artifact = "app", .entrypoint = {"/app/server"}});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(d.status().message(), HasSubstr("container \"web\""));
  EXPECT_THAT(d.status().message(), HasSubstr("\"/app/server\""));
  EXPECT_THAT(d.status().message(), HasSubstr("runtimeType"));
}

TEST(DetectRuntimeTest, UnknownRuntimeTypeIsRefused) {
  absl::StatusOr<Detection> d = DetectRuntime({.name = "web", .runtime_type = "ruby"});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("\"ruby\""));
}

TEST(RuntimeTest, NamesRoundTrip) {
  for (Runtime r : {Runtime::kGo, Runtime::kNodeJs, Runtime::kPython, Runtime::kJvm,
                    Runtime::kNetCore}) {
    EXPECT_EQ(ParseRuntime(RuntimeName(r)).value(), r);
  }
}

// ---- ports -------------------------------------------------------------

TEST(AllocatePortTest, NearestFreePort) {
  EXPECT_EQ(AllocatePort(5005, {}), 5005u);
  EXPECT_EQ(AllocatePort(5005, {5005, 5006}), 5007u);
  EXPECT_EQ(AllocatePort(80, {}), 1024u);        // never a privileged port
  EXPECT_EQ(AllocatePort(70000, {1024}), 1025u);  // nor one past 65535
  EXPECT_EQ(AllocatePort(65534, {65534}), 65533u);
}

// ---- transforms --------------------------------------------------------

struct TransformCase {
  const char* label;
  ContainerSpec spec;
  DebugTransform want;
};

void ExpectTransforms(const std::vector<TransformCase>& cases) {
  for (const TransformCase& c : cases) {
    absl::StatusOr<DebugTransform> t = TransformContainer(c.spec, {});
    ASSERT_TRUE(t.ok()) << c.label << ": " << t.status();
    EXPECT_EQ(*t, c.want) << c.label;
  }
}

TEST(TransformContainerTest, Go) {
  ExpectTransforms({
      {"entrypoint with its args",
       {.name = "c", .entrypoint = {"/app", "--port", "8080"}, .env = {{"GOTRACEBACK", "all"}},
        .working_dir = "/src"},
       {.runtime = Runtime::kGo,
        .entrypoint = Dlv(56268, {"/app", "--", "--port", "8080"}),
        .ports = {{"dlv", 56268}},
        .support = "go",
        .working_dir = "/src"}},
      {"bare binary gets no --",
       {.name = "c", .entrypoint = {"/app"}, .env = {{"GOTRACEBACK", "all"}}},
       {.runtime = Runtime::kGo, .entrypoint = Dlv(56268, {"/app"}), .ports = {{"dlv", 56268}},
        .support = "go"}},
      {"entrypoint binary, args after it",
       {.name = "c", .entrypoint = {"/app"}, .args = {"serve"}, .env = {{"GOTRACEBACK", "all"}}},
       {.runtime = Runtime::kGo,
        .entrypoint = Dlv(56268, {"/app", "--"}),
        .args = {"serve"},
        .ports = {{"dlv", 56268}},
        .support = "go"}},
      {"binary in CMD",
       {.name = "c", .args = {"/app", "serve"}, .env = {{"GOGC", "100"}}},
       {.runtime = Runtime::kGo, .args = Dlv(56268, {"/app", "--", "serve"}),
        .ports = {{"dlv", 56268}}, .support = "go"}},
      {"already under dlv: left alone",
       {.name = "c", .entrypoint = {"dlv", "exec", "--headless", "--listen=:4000", "/app"}},
       {.runtime = Runtime::kGo,
        .entrypoint = {"dlv", "exec", "--headless", "--listen=:4000", "/app"},
        .ports = {{"dlv", 4000}}}},
      {"declared port clashes",
       {.name = "c", .entrypoint = {"/app"}, .ports = {56268}, .runtime_type = "go"},
       {.runtime = Runtime::kGo, .entrypoint = Dlv(56269, {"/app"}), .ports = {{"dlv", 56269}},
        .support = "go"}},
  });
}

TEST(TransformContainerTest, GoWithoutCommandIsRefused) {
  absl::StatusOr<DebugTransform> t = TransformContainer({.name = "c", .runtime_type = "go"}, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(t.status().message(), HasSubstr("container \"c\""));
}

TEST(TransformContainerTest, NodeJs) {
  ExpectTransforms({
      {"node entrypoint",
       {.name = "c", .entrypoint = {"node", "index.js"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"node", "--inspect=0.0.0.0:9229", "index.js"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"npm entrypoint",
       {.name = "c", .entrypoint = {"npm", "run", "dev"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"npm", "run", "dev", "--node-options=--inspect=0.0.0.0:9229"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"npm with script args",
       {.name = "c", .args = {"npm", "start", "--", "--verbose"}},
       {.runtime = Runtime::kNodeJs,
        .args = {"npm", "start", "--node-options=--inspect=0.0.0.0:9229", "--", "--verbose"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"node behind docker-entrypoint.sh",
       {.name = "c", .entrypoint = {"docker-entrypoint.sh"}, .args = {"node", "server.js"},
        .env = {{"PATH", "/usr/local/bin:/usr/bin"}, {"NODE_VERSION", "20"}}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"docker-entrypoint.sh"},
        .args = {"node", "--inspect=0.0.0.0:9229", "server.js"},
        .env = {{"PATH", "/dbg/nodejs/bin:/usr/local/bin:/usr/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"other command: NODE_OPTIONS",
       {.name = "c", .entrypoint = {"/start.sh"}, .env = {{"NODE_VERSION", "20"}}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"/start.sh"},
        .env = {{"NODE_OPTIONS", "--inspect=0.0.0.0:9229"}, {"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"NODE_OPTIONS kept",
       {.name = "c", .entrypoint = {"/start.sh"},
        .env = {{"NODE_ENV", "dev"}, {"NODE_OPTIONS", "--max-old-space-size=4096"}}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"/start.sh"},
        .env = {{"NODE_OPTIONS", "--max-old-space-size=4096 --inspect=0.0.0.0:9229"},
                {"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"already --inspect: port kept",
       {.name = "c", .entrypoint = {"node", "--inspect=0.0.0.0:9230", "index.js"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"node", "--inspect=0.0.0.0:9230", "index.js"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9230}},
        .support = "nodejs"}},
      {"bare --inspect-brk means 9229",
       {.name = "c", .entrypoint = {"node", "--inspect-brk", "index.js"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"node", "--inspect-brk", "index.js"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"declared port clashes",
       {.name = "c", .entrypoint = {"node", "index.js"}, .ports = {9229, 9230}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"node", "--inspect=0.0.0.0:9231", "index.js"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9231}},
        .support = "nodejs"}},
  });
}

TEST(TransformContainerTest, Python) {
  ExpectTransforms({
      {"python entrypoint",
       {.name = "c", .entrypoint = {"python", "app.py"}, .working_dir = "/app"},
       {.runtime = Runtime::kPython,
        .entrypoint = Concat(Launcher(5678), {"python", "app.py"}),
        .ports = {{"dap", 5678}},
        .support = "python",
        .working_dir = "/app"}},
      {"python3 -m flask as CMD",
       {.name = "c", .args = {"python3", "-m", "flask", "run"}},
       {.runtime = Runtime::kPython,
        .args = Concat(Launcher(5678), {"python3", "-m", "flask", "run"}),
        .ports = {{"dap", 5678}},
        .support = "python"}},
      {"gunicorn with PYTHON* env: the launcher runs it",
       {.name = "c", .entrypoint = {"gunicorn", "app:app"}, .env = {{"PYTHONUNBUFFERED", "1"}}},
       {.runtime = Runtime::kPython,
        .entrypoint = Concat(Launcher(5678), {"gunicorn", "app:app"}),
        .ports = {{"dap", 5678}},
        .support = "python"}},
      {"already -m debugpy: port kept",
       {.name = "c",
        .entrypoint = {"python", "-m", "debugpy", "--listen", "0.0.0.0:5679", "app.py"}},
       {.runtime = Runtime::kPython,
        .entrypoint = {"python", "-m", "debugpy", "--listen", "0.0.0.0:5679", "app.py"},
        .ports = {{"dap", 5679}}}},
      {"declared port clashes",
       {.name = "c", .entrypoint = {"python", "app.py"}, .ports = {5678}},
       {.runtime = Runtime::kPython,
        .entrypoint = Concat(Launcher(5679), {"python", "app.py"}),
        .ports = {{"dap", 5679}},
        .support = "python"}},
  });
}

TEST(TransformContainerTest, PythonOverrideWithoutPythonCommandIsRefused) {
  absl::StatusOr<DebugTransform> t = TransformContainer(
      {.name = "c", .entrypoint = {"/app/run"}, .runtime_type = "python"}, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(t.status().message(), HasSubstr("does not appear to run python"));
}

TEST(TransformContainerTest, Jvm) {
  // Every interface: since JDK 9 a bare port is loopback only, out of reach
  // of Docker's published ports.
  const std::string agent =
      "-agentlib:jdwp=transport=dt_socket,server=y,address=*:5005,suspend=n,quiet=y";
  ExpectTransforms({
      {"JAVA_VERSION",
       {.name = "c", .entrypoint = {"java", "-jar", "app.jar"}, .env = {{"JAVA_VERSION", "17"}}},
       {.runtime = Runtime::kJvm,
        .entrypoint = {"java", "-jar", "app.jar"},
        .env = {{"JAVA_TOOL_OPTIONS", agent}},
        .ports = {{"jdwp", 5005}}}},
      {"JAVA_TOOL_OPTIONS kept",
       {.name = "c", .env = {{"JAVA_TOOL_OPTIONS", "-Xms1g"}}},
       {.runtime = Runtime::kJvm,
        .env = {{"JAVA_TOOL_OPTIONS", "-Xms1g " + agent}},
        .ports = {{"jdwp", 5005}}}},
      {"JDK 8 takes a bare port as every interface",
       {.name = "c", .entrypoint = {"java", "-jar", "app.jar"},
        .env = {{"JAVA_VERSION", "1.8.0_392"}}},
       {.runtime = Runtime::kJvm,
        .entrypoint = {"java", "-jar", "app.jar"},
        .env = {{"JAVA_TOOL_OPTIONS",
                 "-agentlib:jdwp=transport=dt_socket,server=y,address=5005,suspend=n,quiet=y"}},
        .ports = {{"jdwp", 5005}}}},
      {"already -agentlib:jdwp: port kept",
       {.name = "c",
        .args = {"java", "-agentlib:jdwp=transport=dt_socket,server=y,address=8000", "-jar",
                 "a.jar"}},
       {.runtime = Runtime::kJvm,
        .args = {"java", "-agentlib:jdwp=transport=dt_socket,server=y,address=8000", "-jar",
                 "a.jar"},
        .ports = {{"jdwp", 8000}}}},
      {"-Xrunjdwp in JAVA_TOOL_OPTIONS",
       {.name = "c",
        .env = {{"JAVA_TOOL_OPTIONS", "-Xrunjdwp:transport=dt_socket,address=*:7000"}}},
       {.runtime = Runtime::kJvm, .ports = {{"jdwp", 7000}}}},
      {"declared port clashes",
       {.name = "c", .ports = {5005}, .runtime_type = "jvm"},
       {.runtime = Runtime::kJvm,
        .env = {{"JAVA_TOOL_OPTIONS",
                 "-agentlib:jdwp=transport=dt_socket,server=y,address=*:5006,suspend=n,quiet=y"}},
        .ports = {{"jdwp", 5006}}}},
  });
}

TEST(TransformContainerTest, JdwpWithoutAddressIsRefused) {
  absl::StatusOr<DebugTransform> t = TransformContainer(
      {.name = "c", .env = {{"JAVA_TOOL_OPTIONS", "-agentlib:jdwp=transport=dt_socket"}}}, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TransformContainerTest, NetCoreIsRefused) {
  absl::StatusOr<DebugTransform> t =
      TransformContainer({.name = "api", .env = {{"ASPNETCORE_URLS", "http://+:80"}}}, {});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(t.status().message(), HasSubstr("netcore"));
}

TEST(TransformContainerTest, ShDashC) {
  ExpectTransforms({
      {"line in args",
       {.name = "c", .entrypoint = {"/bin/sh", "-c"}, .args = {"node index.js"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"/bin/sh", "-c"},
        .args = {"node --inspect=0.0.0.0:9229 index.js"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"line in entrypoint, $0 after it, variables kept",
       {.name = "c", .entrypoint = {"/bin/bash", "-c", "node $SCRIPT", "sh"}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"/bin/bash", "-c", "node --inspect=0.0.0.0:9229 $SCRIPT", "sh"},
        .env = {{"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
      {"shell in args, quoted word re-quoted",
       {.name = "c", .args = {"/bin/sh", "-c", "python app.py --name 'a b'"}},
       {.runtime = Runtime::kPython,
        .args = {"/bin/sh", "-c",
                 "/dbg/python/launcher --mode debugpy --port 5678 -- python app.py --name "
                 "\"a b\""},
        .ports = {{"dap", 5678}},
        .support = "python"}},
      {"env-only rewrite leaves the line alone",
       {.name = "c", .entrypoint = {"/bin/sh", "-c", "java -jar app.jar"}},
       {.runtime = Runtime::kJvm,
        .entrypoint = {"/bin/sh", "-c", "java -jar app.jar"},
        .env = {{"JAVA_TOOL_OPTIONS",
                 "-agentlib:jdwp=transport=dt_socket,server=y,address=*:5005,suspend=n,quiet=y"}},
        .ports = {{"jdwp", 5005}}}},
      {"open quote: the line is not looked into",
       {.name = "c", .entrypoint = {"/bin/sh", "-c", "node 'index.js"},
        .env = {{"NODE_VERSION", "20"}}},
       {.runtime = Runtime::kNodeJs,
        .entrypoint = {"/bin/sh", "-c", "node 'index.js"},
        .env = {{"NODE_OPTIONS", "--inspect=0.0.0.0:9229"}, {"PATH", "/dbg/nodejs/bin"}},
        .ports = {{"devtools", 9229}},
        .support = "nodejs"}},
  });
}

TEST(TransformContainerTest, UsedPortsOfOtherContainersAreAvoided) {
  absl::StatusOr<DebugTransform> t =
      TransformContainer({.name = "c", .env = {{"JAVA_VERSION", "17"}}}, {5005});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->ports, ElementsAre(DebugPort{"jdwp", 5006}));
}

TEST(TransformPodTest, EachContainerGetsItsOwnPortAndFailuresAreReported) {
  std::vector<ContainerOutcome> out = TransformPod({
      {.name = "a", .env = {{"JAVA_VERSION", "17"}}},
      {.name = "b", .env = {{"JAVA_VERSION", "17"}}},
      {.name = "sidecar", .entrypoint = {"/envoy"}},
      {.name = "c", .env = {{"JAVA_VERSION", "17"}}, .ports = {5007}},
  });
  ASSERT_EQ(out.size(), 4u);
  ASSERT_TRUE(out[0].transform.ok());
  ASSERT_TRUE(out[1].transform.ok());
  ASSERT_TRUE(out[3].transform.ok());
  EXPECT_THAT(out[0].transform->ports, ElementsAre(DebugPort{"jdwp", 5005}));
  EXPECT_THAT(out[1].transform->ports, ElementsAre(DebugPort{"jdwp", 5006}));
  EXPECT_EQ(out[2].container, "sidecar");
  EXPECT_EQ(out[2].transform.status().code(), absl::StatusCode::kNotFound);
  // 5007 is declared by c itself, so c skips it as well.
  EXPECT_THAT(out[3].transform->ports, ElementsAre(DebugPort{"jdwp", 5008}));
}

}  // namespace
}  // namespace devloop::debug
