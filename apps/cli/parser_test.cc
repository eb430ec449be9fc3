#include "apps/cli/parser.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::cli {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

absl::StatusOr<CliOptions> Parse(const std::string& line) {
  std::vector<std::string> args = absl::StrSplit(line, ' ', absl::SkipEmpty());
  return ParseCommandLine(args);
}

TEST(DefaultsTest, DevHasSkaffoldsDefaultsPlusRpcTailAndPortForward) {
  absl::StatusOr<CliOptions> o = Parse("dev");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kDev);
  EXPECT_FALSE(o->help);
  EXPECT_EQ(o->filename, "skaffold.yaml");
  EXPECT_THAT(o->profiles, IsEmpty());
  EXPECT_EQ(o->trigger, Trigger::kNotify);
  EXPECT_EQ(o->watch_poll_interval, absl::Seconds(1));
  EXPECT_TRUE(o->auto_build);
  EXPECT_TRUE(o->auto_sync);
  EXPECT_TRUE(o->auto_deploy);
  EXPECT_THAT(o->port_forward, ElementsAre("user"));
  EXPECT_TRUE(o->tail);
  EXPECT_TRUE(o->status_check);
  EXPECT_EQ(o->status_check_deadline, absl::Minutes(10));
  EXPECT_TRUE(o->cleanup);
  EXPECT_TRUE(o->enable_rpc);
  EXPECT_EQ(o->rpc_port, 50051);
  EXPECT_EQ(o->rpc_http_port, 50052);
  EXPECT_EQ(o->rpc_bind_address, "127.0.0.1");
  EXPECT_TRUE(o->cache_artifacts);
  EXPECT_EQ(o->verbosity, Verbosity::kWarning);
}

TEST(DefaultsTest, RunDoesNotServeTailOrForwardByDefault) {
  absl::StatusOr<CliOptions> o = Parse("run");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kRun);
  EXPECT_FALSE(o->enable_rpc);
  EXPECT_FALSE(o->tail);
  EXPECT_THAT(o->port_forward, IsEmpty());
  EXPECT_TRUE(o->status_check);
  EXPECT_TRUE(o->cleanup);
}

TEST(DefaultsTest, EveryCommandParsesAlone) {
  for (auto [word, command] : std::vector<std::pair<std::string, Command>>{
           {"dev", Command::kDev},       {"run", Command::kRun},
           {"build", Command::kBuild},   {"deploy", Command::kDeploy},
           {"delete", Command::kDelete}, {"diagnose", Command::kDiagnose},
           {"version", Command::kVersion}, {"verify", Command::kVerify},
           {"test", Command::kTest},     {"debug", Command::kDebug}}) {
    absl::StatusOr<CliOptions> o = Parse(word);
    ASSERT_TRUE(o.ok()) << word << ": " << o.status();
    EXPECT_EQ(o->command, command) << word;
    EXPECT_EQ(*o, DefaultOptions(command)) << word;
  }
}

// One flag per row: the command line and what it must change from the defaults.
struct FlagCase {
  std::string line;
  std::function<void(CliOptions*)> expect;  // applied to DefaultOptions(command)
};

void PrintTo(const FlagCase& c, std::ostream* os) { *os << "\"" << c.line << "\""; }

class FlagTest : public ::testing::TestWithParam<FlagCase> {};

TEST_P(FlagTest, SetsExactlyWhatItSays) {
  const FlagCase& c = GetParam();
  absl::StatusOr<CliOptions> got = Parse(c.line);
  ASSERT_TRUE(got.ok()) << c.line << ": " << got.status();
  CliOptions want = DefaultOptions(got->command);
  c.expect(&want);
  EXPECT_EQ(*got, want) << c.line;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, FlagTest,
    ::testing::Values(
        FlagCase{"dev -f other.yaml", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"dev --filename other.yaml", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"dev --filename=other.yaml", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"dev -f=other.yaml", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"dev -fother.yaml", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"-f other.yaml dev", [](CliOptions* o) { o->filename = "other.yaml"; }},
        FlagCase{"dev -p a,b -p c --profile=d",
                 [](CliOptions* o) { o->profiles = {"a", "b", "c", "d"}; }},
        FlagCase{"run -m web,api", [](CliOptions* o) { o->modules = {"web", "api"}; }},
        FlagCase{"build --default-repo=localhost:5000",
                 [](CliOptions* o) { o->default_repo = "localhost:5000"; }},
        FlagCase{"build -d gcr.io/x", [](CliOptions* o) { o->default_repo = "gcr.io/x"; }},
        FlagCase{"build -t v1 --tag v2", [](CliOptions* o) { o->tag = "v2"; }},
        FlagCase{"dev --trigger=polling", [](CliOptions* o) { o->trigger = Trigger::kPolling; }},
        FlagCase{"dev --trigger manual", [](CliOptions* o) { o->trigger = Trigger::kManual; }},
        FlagCase{"dev --watch-poll-interval=100ms",
                 [](CliOptions* o) { o->watch_poll_interval = absl::Milliseconds(100); }},
        FlagCase{"dev -i 250",  // Skaffold's unit: milliseconds
                 [](CliOptions* o) { o->watch_poll_interval = absl::Milliseconds(250); }},
        FlagCase{"dev --auto-build=false", [](CliOptions* o) { o->auto_build = false; }},
        FlagCase{"dev --auto-sync=false --auto-sync", [](CliOptions* o) { o->auto_sync = true; }},
        FlagCase{"dev --auto-deploy=0", [](CliOptions* o) { o->auto_deploy = false; }},
        FlagCase{"dev --port-forward=false", [](CliOptions* o) { o->port_forward = {}; }},
        FlagCase{"dev --port-forward=off", [](CliOptions* o) { o->port_forward = {}; }},
        // Skaffold's table: the bare flag (once a boolean) means user,services.
        FlagCase{"run --port-forward",
                 [](CliOptions* o) { o->port_forward = {"user", "services"}; }},
        FlagCase{"deploy --port-forward=true",
                 [](CliOptions* o) { o->port_forward = {"user", "services"}; }},
        FlagCase{"dev --port-forward=1",
                 [](CliOptions* o) { o->port_forward = {"user", "services"}; }},
        FlagCase{"dev --port-forward=F", [](CliOptions* o) { o->port_forward = {}; }},
        FlagCase{"dev --port-forward=user,debug",
                 [](CliOptions* o) { o->port_forward = {"user", "debug"}; }},
        FlagCase{"run --port-forward=services,pods,services",
                 [](CliOptions* o) { o->port_forward = {"services", "pods"}; }},
        FlagCase{"dev --port-forward=pods --port-forward=user",  // the last one wins
                 [](CliOptions* o) { o->port_forward = {"user"}; }},
        FlagCase{"dev --port-forward=off --port-forward=debug",
                 [](CliOptions* o) { o->port_forward = {"debug"}; }},
        FlagCase{"run --cleanup=false", [](CliOptions* o) { o->cleanup = false; }},
        FlagCase{"--cleanup=false run", [](CliOptions* o) { o->cleanup = false; }},
        FlagCase{"run --default-repo=", [](CliOptions* o) { o->default_repo = ""; }},
        FlagCase{"dev --tail=false", [](CliOptions* o) { o->tail = false; }},
        FlagCase{"deploy --tail", [](CliOptions* o) { o->tail = true; }},
        FlagCase{"dev --status-check=false", [](CliOptions* o) { o->status_check = false; }},
        FlagCase{"run --status-check-deadline=2m",
                 [](CliOptions* o) { o->status_check_deadline = absl::Minutes(2); }},
        FlagCase{"run --status-check-deadline 90",  // a bare number is seconds
                 [](CliOptions* o) { o->status_check_deadline = absl::Seconds(90); }},
        FlagCase{"dev --cleanup=false", [](CliOptions* o) { o->cleanup = false; }},
        FlagCase{"dev --rpc-port=0 --rpc-http-port 0",
                 [](CliOptions* o) {
                   o->rpc_port = 0;
                   o->rpc_http_port = 0;
                 }},
        FlagCase{"dev --rpc-bind-address=0.0.0.0",
                 [](CliOptions* o) { o->rpc_bind_address = "0.0.0.0"; }},
        FlagCase{"dev --enable-rpc=false", [](CliOptions* o) { o->enable_rpc = false; }},
        FlagCase{"run --enable-rpc", [](CliOptions* o) { o->enable_rpc = true; }},
        // skaffold test takes the API's flags too.
        FlagCase{"test --enable-rpc --rpc-port=7001 --rpc-http-port 7002",
                 [](CliOptions* o) {
                   o->enable_rpc = true;
                   o->rpc_port = 7001;
                   o->rpc_http_port = 7002;
                 }},
        FlagCase{"build --cache-artifacts=false", [](CliOptions* o) { o->cache_artifacts = false; }},
        FlagCase{"build --push --file-output=out.json",
                 [](CliOptions* o) {
                   o->push = true;
                   o->file_output = "out.json";
                 }},
        FlagCase{"deploy --build-artifacts=out.json",
                 [](CliOptions* o) { o->build_artifacts = "out.json"; }},
        FlagCase{"deploy -a out.json", [](CliOptions* o) { o->build_artifacts = "out.json"; }},
        FlagCase{"deploy --images a:1,b:2", [](CliOptions* o) { o->images = {"a:1", "b:2"}; }},
        // --platform: comma lists, repeats adding, each platform once, normalized.
        FlagCase{"run --check-cluster-node-platforms=false",
                 [](CliOptions* o) { o->check_cluster_node_platforms = false; }},
        FlagCase{"build --check-cluster-node-platforms",
                 [](CliOptions* o) { o->check_cluster_node_platforms = true; }},
        FlagCase{"dev --disable-multi-platform-build=false",
                 [](CliOptions* o) { o->disable_multi_platform_build = false; }},
        FlagCase{"run --disable-multi-platform-build",
                 [](CliOptions* o) { o->disable_multi_platform_build = true; }},
        FlagCase{"build --platform=linux/amd64,linux/arm64",
                 [](CliOptions* o) { o->platforms = {"linux/amd64", "linux/arm64"}; }},
        FlagCase{"dev --platform linux/arm64 --platform=linux/amd64,linux/aarch64",
                 [](CliOptions* o) { o->platforms = {"linux/arm64", "linux/amd64"}; }},
        FlagCase{"debug --platform=linux/x86_64",
                 [](CliOptions* o) { o->platforms = {"linux/amd64"}; }},
        FlagCase{"run --platform=linux/arm/v7",
                 [](CliOptions* o) { o->platforms = {"linux/arm/v7"}; }},
        FlagCase{"dev --kube-context=kind -n ns",
                 [](CliOptions* o) {
                   o->kube_context = "kind";
                   o->namespace_ = "ns";
                 }},
        FlagCase{"dev --kubeconfig=/tmp/kc --kubectl /opt/kubectl",
                 [](CliOptions* o) {
                   o->kubeconfig = "/tmp/kc";
                   o->kubectl = "/opt/kubectl";
                 }},
        FlagCase{"dev -v debug", [](CliOptions* o) { o->verbosity = Verbosity::kDebug; }},
        FlagCase{"-v=info dev", [](CliOptions* o) { o->verbosity = Verbosity::kInfo; }},
        FlagCase{"dev --verbosity TRACE", [](CliOptions* o) { o->verbosity = Verbosity::kTrace; }},
        FlagCase{"dev --update-check=false --interactive=false",
                 [](CliOptions* o) {
                   o->update_check = false;
                   o->interactive = false;
                 }},
        FlagCase{"dev --help", [](CliOptions* o) { o->help = true; }},
        FlagCase{"build -h", [](CliOptions* o) { o->help = true; }},
        FlagCase{"help dev", [](CliOptions* o) { o->help = true; }},
        FlagCase{"--help", [](CliOptions* o) { o->help = true; }},
        FlagCase{"dev -- ", [](CliOptions*) {}},
        FlagCase{"dev --event-log-file=events.jsonl",
                 [](CliOptions* o) { o->event_log_file = "events.jsonl"; }},
        FlagCase{"replay events.jsonl", [](CliOptions* o) { o->args = {"events.jsonl"}; }},
        FlagCase{"replay -o table events.jsonl",
                 [](CliOptions* o) {
                   o->args = {"events.jsonl"};
                   o->replay_output = ReplayOutput::kTable;
                 }},
        FlagCase{"replay events.jsonl --output=json",
                 [](CliOptions* o) { o->args = {"events.jsonl"}; }},
        // skaffold test's flags: which configs, and the images to test.
        FlagCase{"test -a build.json", [](CliOptions* o) { o->build_artifacts = "build.json"; }},
        FlagCase{"test --build-artifacts=b.json -f x.yaml -p ci -m web",
                 [](CliOptions* o) {
                   o->build_artifacts = "b.json";
                   o->filename = "x.yaml";
                   o->profiles = {"ci"};
                   o->modules = {"web"};
                 }},
        FlagCase{"replay -- -odd.jsonl", [](CliOptions* o) { o->args = {"-odd.jsonl"}; }},
        FlagCase{"replay --help", [](CliOptions* o) { o->help = true; }},
        FlagCase{"help replay", [](CliOptions* o) { o->help = true; }}));

// A command line that must fail, and words its message must contain.
struct ErrorCase {
  std::string line;
  std::vector<std::string> message_has;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << "\"" << c.line << "\""; }

class ErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTest, FailsWithAMessageNamingTheProblem) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<CliOptions> got = Parse(c.line);
  ASSERT_FALSE(got.ok()) << c.line << " parsed as " << *got;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& want : c.message_has) {
    EXPECT_THAT(got.status().message(), HasSubstr(want)) << c.line;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ErrorTest,
    ::testing::Values(
        ErrorCase{"", {"missing command"}},
        ErrorCase{"deve", {"unknown command \"deve\"", "did you mean \"dev\""}},
        ErrorCase{"biuld", {"unknown command \"biuld\"", "did you mean \"build\""}},
        ErrorCase{"frobnicate", {"unknown command \"frobnicate\""}},
        ErrorCase{"dev --filenmae=x", {"unknown flag --filenmae", "did you mean --filename?"}},
        ErrorCase{"dev --auto-bild", {"unknown flag --auto-bild", "did you mean --auto-build?"}},
        ErrorCase{"dev --zzz", {"unknown flag --zzz", "devloop dev"}},
        ErrorCase{"dev -z", {"unknown flag -z"}},
        ErrorCase{"dev --file-output=x.json",
                  {"flag --file-output is not valid for \"devloop dev\"", "build"}},
        ErrorCase{"build --auto-build=false", {"--auto-build", "not valid", "devloop build"}},
        ErrorCase{"dev --filename", {"flag needs an argument: --filename"}},
        ErrorCase{"dev -f", {"flag needs an argument: -f"}},
        ErrorCase{"dev --auto-build=maybe", {"invalid value \"maybe\" for --auto-build"}},
        ErrorCase{"dev --trigger=inotify", {"invalid value \"inotify\" for --trigger", "notify"}},
        ErrorCase{"dev --status-check-deadline=2x", {"--status-check-deadline", "2m"}},
        ErrorCase{"dev --status-check-deadline=-5s", {"greater than zero"}},
        ErrorCase{"dev --watch-poll-interval=0", {"greater than zero"}},
        ErrorCase{"dev --rpc-port=70000", {"invalid value \"70000\" for --rpc-port"}},
        ErrorCase{"dev --rpc-port=abc", {"--rpc-port"}},
        ErrorCase{"dev --port-forward=sometimes",
                  {"invalid value \"sometimes\" for --port-forward", "unknown mode \"sometimes\"",
                   "user, services, pods, debug"}},
        ErrorCase{"dev --port-forward=user,servces", {"unknown mode \"servces\""}},
        ErrorCase{"dev --port-forward=user,off",
                  {"\"off\" cannot be combined with other modes"}},
        ErrorCase{"run --port-forward=true,pods",
                  {"\"true\" cannot be combined with other modes"}},
        ErrorCase{"dev --port-forward=,", {"invalid value \",\" for --port-forward"}},
        ErrorCase{"dev -v loud", {"invalid value \"loud\" for --verbosity"}},
        ErrorCase{"build --platform=arm64",
                  {"invalid value \"arm64\" for --platform", "expected os/arch[/variant]"}},
        ErrorCase{"dev --platform=linux/amd64,linux", {"\"linux\" is not a platform"}},
        ErrorCase{"deploy --platform=linux/amd64", {"--platform", "not valid", "devloop deploy"}},
        ErrorCase{"dev extra", {"unexpected argument \"extra\"", "devloop dev"}},
        ErrorCase{"help deve", {"unknown command \"deve\""}},
        ErrorCase{"replay", {"\"devloop replay\" needs one argument, FILE"}},
        ErrorCase{"replay a.jsonl b.jsonl",
                  {"unexpected argument \"b.jsonl\"", "it takes one argument, FILE"}},
        ErrorCase{"replay a.jsonl -o yaml", {"invalid value \"yaml\" for --output", "table"}},
        ErrorCase{"run --event-log-file=x", {"--event-log-file", "not valid", "devloop run"}},
        ErrorCase{"dev -o json", {"-o", "not valid", "devloop dev"}},
        ErrorCase{"test --skip-tests", {"--skip-tests", "not valid", "devloop test"}},
        ErrorCase{"test web", {"unexpected argument \"web\"", "it takes no arguments"}}));

TEST(UsageTest, CommandUsageListsItsFlagsWithDefaultsAndNotOthers) {
  std::string dev = Usage(Command::kDev);
  EXPECT_THAT(dev, HasSubstr("Usage: devloop dev [flags]"));
  EXPECT_THAT(dev, HasSubstr("-f, --filename FILE"));
  EXPECT_THAT(dev, HasSubstr("--rpc-port PORT"));
  EXPECT_THAT(dev, HasSubstr("(default 50051)"));
  EXPECT_THAT(dev, HasSubstr("(default 10m)"));
  EXPECT_THAT(dev, HasSubstr("--trigger"));
  EXPECT_THAT(dev, Not(HasSubstr("--file-output")));
  std::string build = Usage(Command::kBuild);
  EXPECT_THAT(build, AllOf(HasSubstr("--file-output"), HasSubstr("--push")));
  EXPECT_THAT(build, Not(HasSubstr("--trigger")));
  EXPECT_THAT(dev, HasSubstr("--event-log-file FILE"));
  std::string replay = Usage(Command::kReplay);
  EXPECT_THAT(replay, HasSubstr("Usage: devloop replay FILE [flags]"));
  EXPECT_THAT(replay, HasSubstr("-o, --output FORMAT"));
  EXPECT_THAT(replay, HasSubstr("(default json)"));
  EXPECT_THAT(replay, HasSubstr("/v1/events"));
  EXPECT_THAT(replay, Not(HasSubstr("--filename")));
}

TEST(UsageTest, RunSaysItsCleanupFlagIsAcceptedAndDoesNothing) {
  EXPECT_THAT(Usage(Command::kRun), HasSubstr("devloop run leaves what it deployed"));
  EXPECT_THAT(Usage(Command::kDev), Not(HasSubstr("devloop run leaves")));
  EXPECT_THAT(Usage(Command::kDev), HasSubstr("debug (the debuggers' ports, under devloop debug)"));
}

TEST(DefaultsTest, DebugTakesDevsFlagsAndForwardsTheDebuggersPorts) {
  absl::StatusOr<CliOptions> o = Parse("debug --trigger=manual --cleanup=false");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kDebug);
  EXPECT_EQ(o->trigger, Trigger::kManual);
  EXPECT_FALSE(o->cleanup);
  EXPECT_TRUE(o->enable_rpc);
  EXPECT_EQ(o->port_forward, (std::vector<std::string>{"user", "debug"}));
  EXPECT_EQ(DefaultOptions(Command::kDev).port_forward, std::vector<std::string>{"user"});
}

// As Skaffold's: the commands that deploy what they build target the
// cluster's nodes, and the interactive ones build one platform.
TEST(DefaultsTest, ClusterNodePlatformsForDeployingCommandsOnePlatformForTheLoop) {
  for (Command c : {Command::kDev, Command::kDebug, Command::kRun}) {
    EXPECT_TRUE(DefaultOptions(c).check_cluster_node_platforms) << CommandName(c);
  }
  for (Command c : {Command::kBuild, Command::kDeploy}) {
    EXPECT_FALSE(DefaultOptions(c).check_cluster_node_platforms) << CommandName(c);
  }
  EXPECT_TRUE(DefaultOptions(Command::kDev).disable_multi_platform_build);
  EXPECT_TRUE(DefaultOptions(Command::kDebug).disable_multi_platform_build);
  EXPECT_FALSE(DefaultOptions(Command::kRun).disable_multi_platform_build);
  EXPECT_FALSE(DefaultOptions(Command::kBuild).disable_multi_platform_build);
}

TEST(EnvironmentTest, DefaultRepoComesFromTheEnvironmentUnlessTheFlagSaysOtherwise) {
  const std::map<std::string, std::string> env = {{"SKAFFOLD_DEFAULT_REPO", "localhost:5000"}};
  absl::StatusOr<CliOptions> plain = Parse("run");
  ASSERT_TRUE(plain.ok());
  ApplyEnvironment(env, &*plain);
  EXPECT_EQ(plain->default_repo, "localhost:5000");

  absl::StatusOr<CliOptions> flag = Parse("run -d gcr.io/p");
  ASSERT_TRUE(flag.ok());
  ApplyEnvironment(env, &*flag);
  EXPECT_EQ(flag->default_repo, "gcr.io/p");

  // --default-repo="" turns the environment's repository off.
  absl::StatusOr<CliOptions> none = Parse("run --default-repo=");
  ASSERT_TRUE(none.ok());
  ApplyEnvironment(env, &*none);
  EXPECT_EQ(none->default_repo, "");

  absl::StatusOr<CliOptions> unset = Parse("run");
  ASSERT_TRUE(unset.ok());
  ApplyEnvironment({}, &*unset);
  EXPECT_EQ(unset->default_repo, std::nullopt);
}

TEST(UsageTest, RootUsageListsEveryCommand) {
  std::string root = Usage(Command::kNone);
  for (const char* c :
       {"dev", "run", "build", "deploy", "delete", "diagnose", "replay", "exec", "verify", "test",
        "version"}) {
    EXPECT_THAT(root, HasSubstr(std::string("  ") + c)) << c;
  }
}

}  // namespace
}  // namespace devloop::cli
