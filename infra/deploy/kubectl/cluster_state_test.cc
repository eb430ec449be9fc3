#include "infra/deploy/kubectl/cluster_state.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace devloop::deploy::kubectl {
namespace {

using domain::ResourceObservation;
using json::Json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The fixtures are answers of a Kubernetes v1.34 cluster (kind) as kubectl
// prints them: `kubectl get deployments,statefulsets,replicasets,pods
// -l dev.devloop.run-id=3f2a9c01 -o json` and `kubectl get events -o json`.
std::string FixtureText(const std::string& name) {
  const std::string path = std::string(std::getenv("TEST_SRCDIR")) +
                           "/devloop/infra/deploy/kubectl/testdata/" + name;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json Parse(const std::string& text) {
  absl::StatusOr<Json> doc = Json::Parse(text);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *std::move(doc) : Json();
}

Json Fixture(const std::string& name) {
  const std::string text = FixtureText(name);
  EXPECT_FALSE(text.empty()) << "no fixture " << name;
  return Parse(text);
}

const Workload kWeb{"Deployment", "web", "default"};
const Json kNoEvents;

ResourceObservation ObserveOne(const Json& list, const Workload& workload,
                               const Json& events = kNoEvents) {
  std::vector<ResourceObservation> seen = ObserveWorkloads(list, {workload}, events);
  EXPECT_EQ(seen.size(), 1u);
  return seen.empty() ? ResourceObservation{} : seen[0];
}

TEST(ResourceNameTest, LowercaseKindSlashName) {
  EXPECT_EQ(ResourceName({"Deployment", "web", "default"}), "deployment/web");
  EXPECT_EQ(ResourceName({"StatefulSet", "db", "data"}), "statefulset/db");
  EXPECT_EQ(ResourceName({"Pod", "job-x", ""}), "pod/job-x");
}

TEST(ObserveWorkloadsTest, RolledOutDeploymentIsReady) {
  // Revision 2 has both replicas; revision 1 is scaled to 0 and its last pod is
  // still terminating, which no status counts.
  EXPECT_EQ(ObserveOne(Fixture("deployment_rolled_out.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web", .ready_replicas = 2, .desired_replicas = 2}));
}

TEST(ObserveWorkloadsTest, RolloutInProgressCountsOnlyTheNewRevisionsAvailablePods) {
  // Three pods are available, but two are of the old revision.
  EXPECT_EQ(ObserveOne(Fixture("deployment_in_progress.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web", .ready_replicas = 1, .desired_replicas = 2}));
}

TEST(ObserveWorkloadsTest, AnUnobservedGenerationIsNotRolledOutYet) {
  // The spec changed (generation 3) and the controller has not caught up: the
  // status still describes the finished revision 2.
  std::string text = FixtureText("deployment_rolled_out.json");
  ASSERT_NE(text.find("\"generation\": 2,"), std::string::npos);
  text.replace(text.find("\"generation\": 2,"), 16, "\"generation\": 3,");
  EXPECT_EQ(ObserveOne(Parse(text), kWeb),
            (ResourceObservation{
                .resource = "deployment/web", .ready_replicas = 1, .desired_replicas = 2}));
}

// The old pod, still serving, was OOM-killed once: neither its restart nor its
// exit code belongs to the new revision's diagnosis.
TEST(ObserveWorkloadsTest, ImagePullBackOffComesFromTheNewReplicaSetNotTheServingOldOne) {
  EXPECT_EQ(
      ObserveOne(Fixture("deployment_image_pull.json"), kWeb),
      (ResourceObservation{
          .resource = "deployment/web",
          .ready_replicas = 0,
          .desired_replicas = 1,
          .waiting_reason = "ImagePullBackOff",
          .waiting_message =
              "Back-off pulling image \"127.0.0.1:5000/web:doesnotexist\": ErrImagePull: rpc "
              "error: code = NotFound desc = failed to pull and unpack image "
              "\"127.0.0.1:5000/web:doesnotexist\": failed to resolve reference "
              "\"127.0.0.1:5000/web:doesnotexist\": 127.0.0.1:5000/web:doesnotexist: not found"}));
}

TEST(ObserveWorkloadsTest, CrashLoopCarriesRestartsAndTheLastExitCode) {
  // Scaled to 2 meanwhile: the older pod, which has had time to show its
  // trouble, speaks before the one still creating its container.
  EXPECT_EQ(ObserveOne(Fixture("deployment_crashloop.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web",
                .ready_replicas = 0,
                .desired_replicas = 2,
                .waiting_reason = "CrashLoopBackOff",
                .waiting_message = "back-off 40s restarting failed container=web "
                                   "pod=web-vmcjxvkh6h-tdn2l_default(08f5c867-4d4c-4241-8dab-"
                                   "9b364258732b)",
                .exit_code = 1,
                .restart_count = 3}));
}

TEST(ObserveWorkloadsTest, ATerminatingPodSaysNothing) {
  // The crash-looping pod was deleted; its replacement is still creating.
  EXPECT_EQ(ObserveOne(Fixture("deployment_pod_replaced.json"), kWeb),
            (ResourceObservation{.resource = "deployment/web",
                                 .ready_replicas = 0,
                                 .desired_replicas = 1,
                                 .waiting_reason = "ContainerCreating"}));
}

TEST(ObserveWorkloadsTest, UnschedulablePodGivesTheSchedulersMessage) {
  EXPECT_EQ(ObserveOne(Fixture("deployment_unschedulable.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web",
                .ready_replicas = 0,
                .desired_replicas = 1,
                .waiting_reason = "Unschedulable",
                .waiting_message = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 "
                                   "nodes are available: 1 No preemption victims found for "
                                   "incoming pod."}));
}

TEST(ObserveWorkloadsTest, UnhealthyTakesTheLatestProbeEventOfThisPod) {
  // The events hold three Unhealthy events of this pod's name: one of an
  // earlier pod (other uid), an older one and the latest (lastTimestamp), and
  // one of another pod.
  EXPECT_EQ(ObserveOne(Fixture("deployment_unhealthy.json"), kWeb,
                       Fixture("events_unhealthy.json")),
            (ResourceObservation{
                .resource = "deployment/web",
                .ready_replicas = 0,
                .desired_replicas = 1,
                .waiting_reason = "Unhealthy",
                .waiting_message =
                    "Readiness probe failed: HTTP probe failed with statuscode: 503"}));
  // Without events, a running pod that is not ready is just not ready yet.
  EXPECT_EQ(ObserveOne(Fixture("deployment_unhealthy.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web", .ready_replicas = 0, .desired_replicas = 1}));
}

TEST(ObserveWorkloadsTest, ProbeFailuresOfAPodThatIsReadyNowAreHistory) {
  // The same pod, now Ready (deployment_min_ready.json): its probe failed
  // while it started, which says nothing any more.
  EXPECT_EQ(ObserveOne(Fixture("deployment_min_ready.json"), kWeb,
                       Fixture("events_unhealthy.json"))
                .waiting_reason,
            "");
}

TEST(ObserveWorkloadsTest, AnEventOfAnEarlierPodOfTheSameNameIsNotRead) {
  // StatefulSet pods keep their names: cache-1 was recreated with a new uid.
  const Json events = Parse(R"({
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "count": 14,
            "eventTime": null,
            "firstTimestamp": "2026-12-04T08:25:10Z",
            "involvedObject": {
                "apiVersion": "v1",
                "fieldPath": "spec.containers{cache}",
                "kind": "Pod",
                "name": "cache-1",
                "namespace": "default",
                "resourceVersion": "402117",
                "uid": "5c0e2b1a-7d3f-4e0b-9a51-0c2f8d6e9b13"
            },
            "kind": "Event",
            "lastTimestamp": "2026-12-04T08:29:58Z",
            "message": "Readiness probe failed: dial tcp 10.244.0.19:6379: connect: connection refused",
            "metadata": {
                "creationTimestamp": "2026-12-04T08:25:10Z",
                "name": "cache-1.187e0d3b5a2f9c44",
                "namespace": "default",
                "resourceVersion": "402160",
                "uid": "e1d2c3b4-a596-4877-8899-aabbccddeeff"
            },
            "reason": "Unhealthy",
            "reportingComponent": "kubelet",
            "reportingInstance": "devloop-control-plane",
            "source": {
                "component": "kubelet",
                "host": "devloop-control-plane"
            },
            "type": "Warning"
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
})");
  EXPECT_EQ(ObserveOne(Fixture("statefulsets.json"), {"StatefulSet", "cache", "default"}, events)
                .waiting_reason,
            "");
}

TEST(ObserveWorkloadsTest, ProgressDeadlineExceededSaysWhatThePodsWereDoing) {
  EXPECT_EQ(ObserveOne(Fixture("deployment_progress_deadline.json"), kWeb),
            (ResourceObservation{
                .resource = "deployment/web",
                .ready_replicas = 0,
                .desired_replicas = 1,
                .waiting_reason = "ProgressDeadlineExceeded",
                .waiting_message = "ReplicaSet \"web-vmcjxvkh6h\" has timed out progressing. Its "
                                   "pods: ContainerCreating"}));
}

TEST(ObserveWorkloadsTest, AStaleProgressDeadlineOfTheLastGenerationIsIgnored) {
  std::string text = FixtureText("deployment_progress_deadline.json");
  ASSERT_NE(text.find("\"generation\": 1,"), std::string::npos);
  text.replace(text.find("\"generation\": 1,"), 16, "\"generation\": 2,");
  EXPECT_EQ(ObserveOne(Parse(text), kWeb).waiting_reason, "ContainerCreating");
}

TEST(ObserveWorkloadsTest, MinReadySecondsReadyButNotYetAvailable) {
  // The pod is Ready, but available only 10 s later: not rolled out.
  EXPECT_EQ(ObserveOne(Fixture("deployment_min_ready.json"), kWeb),
            (ResourceObservation{.resource = "deployment/web",
                                 .ready_replicas = 0,
                                 .desired_replicas = 1,
                                 .min_ready = absl::Seconds(10)}));
}

TEST(ObserveWorkloadsTest, BarePodsSucceededFailedAndRunning) {
  const Json list = Fixture("pods_bare.json");
  EXPECT_THAT(
      ObserveWorkloads(list,
                       {{"Pod", "migrate", "default"},
                        {"Pod", "seed", "default"},
                        {"Pod", "debug", "default"}},
                       kNoEvents),
      ElementsAre(
          ResourceObservation{.resource = "pod/migrate",
                              .ready_replicas = 0,
                              .desired_replicas = 1,
                              .terminated = true,
                              .terminated_reason = "Completed",
                              .exit_code = 0},
          // Its init container and log shipper completed; the failing container
          // says why.
          ResourceObservation{.resource = "pod/seed",
                              .ready_replicas = 0,
                              .desired_replicas = 1,
                              .terminated = true,
                              .terminated_reason = "Error",
                              .exit_code = 2},
          ResourceObservation{
              .resource = "pod/debug", .ready_replicas = 1, .desired_replicas = 1}));
}

TEST(ObserveWorkloadsTest, StatefulSetReadyOnlyWhenOneRevisionIsLeft) {
  EXPECT_THAT(
      ObserveWorkloads(Fixture("statefulsets.json"),
                       {{"StatefulSet", "db", "default"}, {"StatefulSet", "cache", "default"}},
                       kNoEvents),
      ElementsAre(
          ResourceObservation{
              .resource = "statefulset/db", .ready_replicas = 2, .desired_replicas = 2},
          // cache-0 is ready but of the old revision.
          ResourceObservation{
              .resource = "statefulset/cache", .ready_replicas = 1, .desired_replicas = 2}));
}

TEST(ObserveWorkloadsTest, AMissingWorkloadIsTerminatedNotFound) {
  const Json list = Fixture("deployment_rolled_out.json");
  EXPECT_THAT(
      ObserveWorkloads(list,
                       {{"Deployment", "gone", "default"},
                        kWeb,
                        {"Deployment", "web", "staging"},
                        {"StatefulSet", "web", "default"}},
                       kNoEvents),
      ElementsAre(
          ResourceObservation{
              .resource = "deployment/gone", .terminated = true, .terminated_reason = "NotFound"},
          ResourceObservation{
              .resource = "deployment/web", .ready_replicas = 2, .desired_replicas = 2},
          ResourceObservation{
              .resource = "deployment/web", .terminated = true, .terminated_reason = "NotFound"},
          ResourceObservation{.resource = "statefulset/web",
                              .terminated = true,
                              .terminated_reason = "NotFound"}));
  EXPECT_THAT(ObserveWorkloads(Json(), {kWeb}, kNoEvents),
              ElementsAre(ResourceObservation{.resource = "deployment/web",
                                              .terminated = true,
                                              .terminated_reason = "NotFound"}));
}

PodInfo Pod(std::string name, bool ready, bool current, bool terminating, std::string image,
            std::string created, std::string container = "web") {
  return PodInfo{.name = std::move(name),
                 .namespace_name = "default",
                 .ready = ready,
                 .running = true,
                 .current = current,
                 .terminating = terminating,
                 .containers = {{std::move(container), std::move(image)}},
                 .created = std::move(created)};
}

TEST(PodsOfTest, NewestFirstWithTheOldRevisionsTerminatingPodFlagged) {
  EXPECT_THAT(
      PodsOf(Fixture("deployment_rolled_out.json"), kWeb),
      ElementsAre(Pod("web-9x4cx9jgkj-q96qm", true, true, false, "127.0.0.1:5000/web:7be01d44",
                      "2026-12-04T08:30:40Z"),
                  Pod("web-9x4cx9jgkj-jhndg", true, true, false, "127.0.0.1:5000/web:7be01d44",
                      "2026-12-04T08:30:01Z"),
                  Pod("web-vmcjxvkh6h-tdn2l", true, false, true, "127.0.0.1:5000/web:3f2a9c01",
                      "2026-12-04T08:20:02Z")));
}

TEST(PodsOfTest, PodsCreatedInTheSameSecondGoByName) {
  EXPECT_THAT(
      PodsOf(Fixture("deployment_in_progress.json"), kWeb),
      ElementsAre(Pod("web-9x4cx9jgkj-jhndg", true, true, false, "127.0.0.1:5000/web:7be01d44",
                      "2026-12-04T08:30:01Z"),
                  Pod("web-vmcjxvkh6h-fdffb", true, false, false, "127.0.0.1:5000/web:3f2a9c01",
                      "2026-12-04T08:20:02Z"),
                  Pod("web-vmcjxvkh6h-tdn2l", true, false, false, "127.0.0.1:5000/web:3f2a9c01",
                      "2026-12-04T08:20:02Z")));
}

TEST(PodsOfTest, PendingPodIsNeitherRunningNorReady) {
  PodInfo want = Pod("web-9x4cx9jgkj-jhndg", false, true, false,
                     "127.0.0.1:5000/web:doesnotexist", "2026-12-04T08:30:01Z");
  want.running = false;
  EXPECT_THAT(PodsOf(Fixture("deployment_image_pull.json"), kWeb),
              ElementsAre(want, Pod("web-vmcjxvkh6h-tdn2l", true, false, false,
                                    "127.0.0.1:5000/web:3f2a9c01", "2026-12-04T08:20:02Z")));
}

TEST(PodsOfTest, StatefulSetPodsByRevisionHash) {
  EXPECT_THAT(PodsOf(Fixture("statefulsets.json"), {"StatefulSet", "cache", "default"}),
              ElementsAre(Pod("cache-1", false, true, false, "127.0.0.1:5000/cache:7be01d44",
                              "2026-12-04T08:30:04Z", "cache"),
                          Pod("cache-0", true, false, false, "127.0.0.1:5000/cache:3f2a9c01",
                              "2026-12-04T08:20:01Z", "cache")));
}

TEST(PodsOfTest, BarePodIsItselfAndAMissingWorkloadHasNone) {
  const Json list = Fixture("pods_bare.json");
  EXPECT_THAT(PodsOf(list, {"Pod", "debug", "default"}),
              ElementsAre(Pod("debug", true, true, false, "127.0.0.1:5000/web:3f2a9c01",
                              "2026-12-04T08:21:00Z", "debug")));
  EXPECT_THAT(PodsOf(list, {"Deployment", "web", "default"}), IsEmpty());
}

TEST(CheckedWorkloadsTest, DeploymentsStatefulSetsAndPodsWithTheirNamespace) {
  const std::vector<ObjectRef> objects = {
      {"v1", "Service", "web", ""},
      {"apps/v1", "Deployment", "web", ""},
      {"apps/v1", "StatefulSet", "db", "data"},
      {"batch/v1", "Job", "migrate", ""},
      {"apps/v1", "DaemonSet", "agent", ""},
      {"v1", "Pod", "debug", ""},
      {"apps/v1", "Deployment", "web", ""},  // twice in the manifests: checked once
      // A custom resource that reuses the name is not the apps kind.
      {"example.com/v1", "Deployment", "canary", ""},
  };
  EXPECT_THAT(CheckedWorkloads(objects, "dev"),
              ElementsAre(Workload{"Deployment", "web", "dev"},
                          Workload{"StatefulSet", "db", "data"}, Workload{"Pod", "debug", "dev"}));
  EXPECT_THAT(CheckedWorkloads({}, "dev"), IsEmpty());
}

TEST(PrinterTest, WorkloadAndPodInfo) {
  std::ostringstream os;
  os << kWeb << " "
     << Pod("web-1", true, false, true, "127.0.0.1:5000/web:1", "2026-12-04T08:20:02Z");
  EXPECT_EQ(os.str(),
            "{Deployment default/web} {default/web-1 ready running old terminating "
            "web=127.0.0.1:5000/web:1 created 2026-12-04T08:20:02Z}");
}

}  // namespace
}  // namespace devloop::deploy::kubectl
