#include "infra/deploy/kubectl/cluster_state.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace devloop::deploy::kubectl {
namespace {

using json::Json;

constexpr absl::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";

const std::string& Kind(const Json& obj) { return obj["kind"].AsString(); }
const std::string& Name(const Json& obj) { return obj["metadata"]["name"].AsString(); }
const std::string& Namespace(const Json& obj) { return obj["metadata"]["namespace"].AsString(); }
const std::string& Uid(const Json& obj) { return obj["metadata"]["uid"].AsString(); }
const std::string& Created(const Json& obj) {
  return obj["metadata"]["creationTimestamp"].AsString();
}
bool Terminating(const Json& obj) { return !obj["metadata"]["deletionTimestamp"].is_null(); }

// A namespace the workload left empty matches any (the list is one namespace's).
bool InNamespace(const Json& obj, const std::string& namespace_name) {
  return namespace_name.empty() || Namespace(obj) == namespace_name;
}

// An integer field; `fallback` when the API left it out (zero counts are
// omitted from status, an unset spec.replicas means 1).
int32_t Int(const Json& field, int32_t fallback = 0) {
  return field.is_null() ? fallback : static_cast<int32_t>(field.AsInt());
}

const Json* Find(const Json& list, const Workload& workload) {
  for (const Json& item : list["items"].elements()) {
    if (Kind(item) == workload.kind && Name(item) == workload.name &&
        InNamespace(item, workload.namespace_name)) {
      return &item;
    }
  }
  return nullptr;
}

// True when `obj` names `owner` among its ownerReferences: by uid (a deleted
// and recreated owner of the same name is another object), or by kind and
// name where either side has no uid.
bool OwnedBy(const Json& obj, const Json& owner) {
  if (Namespace(obj) != Namespace(owner)) return false;
  for (const Json& ref : obj["metadata"]["ownerReferences"].elements()) {
    const std::string& uid = ref["uid"].AsString();
    if (!uid.empty() && !Uid(owner).empty()) {
      if (uid == Uid(owner)) return true;
      continue;
    }
    if (ref["kind"].AsString() == Kind(owner) && ref["name"].AsString() == Name(owner)) {
      return true;
    }
  }
  return false;
}

std::vector<const Json*> Owned(const Json& list, const Json& owner, absl::string_view kind) {
  std::vector<const Json*> out;
  for (const Json& item : list["items"].elements()) {
    if (Kind(item) == kind && OwnedBy(item, owner)) out.push_back(&item);
  }
  return out;
}

int64_t Revision(const Json& replica_set) {
  int64_t revision = 0;
  if (!absl::SimpleAtoi(replica_set["metadata"]["annotations"][kRevisionAnnotation].AsString(),
                        &revision)) {
    return 0;
  }
  return revision;
}

// The Deployment's ReplicaSet with the highest revision, or null.
const Json* NewestReplicaSet(const Json& list, const Json& deployment) {
  const Json* newest = nullptr;
  for (const Json* rs : Owned(list, deployment, "ReplicaSet")) {
    if (newest == nullptr || Revision(*rs) > Revision(*newest)) newest = rs;
  }
  return newest;
}

const Json& Condition(const Json& obj, absl::string_view type) {
  static const Json* const kNone = new Json();
  for (const Json& c : obj["status"]["conditions"].elements()) {
    if (c["type"].AsString() == type) return c;
  }
  return *kNone;
}

// A pod behind a workload, and whether it belongs to the workload's current
// revision.
struct Member {
  const Json* pod;
  bool current;
};

// Newest first by creationTimestamp (RFC 3339 in UTC, so the strings sort as
// times); pods created in the same second by name, so the order is stable.
bool NewerFirst(const Member& a, const Member& b) {
  if (Created(*a.pod) != Created(*b.pod)) return Created(*a.pod) > Created(*b.pod);
  return Name(*a.pod) < Name(*b.pod);
}

std::vector<Member> Members(const Json& list, const Json& workload) {
  std::vector<Member> out;
  if (Kind(workload) == "Deployment") {
    const Json* newest = NewestReplicaSet(list, workload);
    for (const Json* rs : Owned(list, workload, "ReplicaSet")) {
      for (const Json* pod : Owned(list, *rs, "Pod")) out.push_back({pod, rs == newest});
    }
  } else if (Kind(workload) == "StatefulSet") {
    const std::string& update = workload["status"]["updateRevision"].AsString();
    for (const Json* pod : Owned(list, workload, "Pod")) {
      const std::string& hash = (*pod)["metadata"]["labels"]["controller-revision-hash"].AsString();
      out.push_back({pod, update.empty() || hash == update});
    }
  } else if (Kind(workload) == "Pod") {
    out.push_back({&workload, true});
  }
  std::sort(out.begin(), out.end(), NewerFirst);
  return out;
}

// The statuses of a pod's containers, init containers first.
std::vector<const Json*> ContainerStatuses(const Json& pod) {
  std::vector<const Json*> out;
  for (const Json& s : pod["status"]["initContainerStatuses"].elements()) out.push_back(&s);
  for (const Json& s : pod["status"]["containerStatuses"].elements()) out.push_back(&s);
  return out;
}

// The time an Event last happened, for picking the latest of several.
absl::Time EventTime(const Json& event) {
  for (absl::string_view field : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, event[field].AsString(), &t, &err)) return t;
  }
  absl::Time t = absl::InfinitePast();
  std::string err;
  absl::ParseTime(absl::RFC3339_full, Created(event), &t, &err);
  return t;
}

// The message of the latest `Unhealthy` event of `pod`, or null.
const Json* LatestUnhealthy(const Json& events, const Json& pod) {
  const Json* latest = nullptr;
  for (const Json& e : events["items"].elements()) {
    const Json& about = e["involvedObject"];
    if (e["reason"].AsString() != "Unhealthy" || about["kind"].AsString() != "Pod" ||
        about["name"].AsString() != Name(pod) || about["namespace"].AsString() != Namespace(pod)) {
      continue;
    }
    // A pod of the same name before this one (StatefulSets reuse names).
    if (!about["uid"].AsString().empty() && about["uid"].AsString() != Uid(pod)) continue;
    if (latest == nullptr || EventTime(e) > EventTime(*latest)) latest = &e;
  }
  return latest;
}

// What the current pods of a workload say about why it is not ready.
struct Diagnosis {
  std::string reason;
  std::string message;
  int32_t restart_count = 0;
  int32_t exit_code = 0;
};

// Reads the current, not terminating pods, oldest first (the pod that has had
// the longest to show its trouble speaks first). A waiting container anywhere
// comes before an unscheduled pod, which comes before a failing probe.
Diagnosis Diagnose(const std::vector<Member>& members, const Json& events) {
  std::vector<const Json*> pods;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->current && !Terminating(*it->pod)) pods.push_back(it->pod);
  }
  Diagnosis d;
  for (const Json* pod : pods) {
    for (const Json* s : ContainerStatuses(*pod)) {
      const int32_t restarts = Int((*s)["restartCount"]);
      if (restarts > d.restart_count) {
        d.restart_count = restarts;
        const Json& terminated = (*s)["state"]["terminated"].is_null()
                                     ? (*s)["lastState"]["terminated"]
                                     : (*s)["state"]["terminated"];
        d.exit_code = Int(terminated["exitCode"]);
      }
    }
  }
  for (const Json* pod : pods) {
    for (const Json* s : ContainerStatuses(*pod)) {
      const Json& waiting = (*s)["state"]["waiting"];
      if (!waiting["reason"].AsString().empty()) {
        d.reason = waiting["reason"].AsString();
        d.message = waiting["message"].AsString();
        return d;
      }
    }
  }
  for (const Json* pod : pods) {
    const Json& scheduled = Condition(*pod, "PodScheduled");
    if (scheduled["status"].AsString() == "False" &&
        scheduled["reason"].AsString() == "Unschedulable") {
      d.reason = "Unschedulable";
      d.message = scheduled["message"].AsString();
      return d;
    }
  }
  for (const Json* pod : pods) {
    bool running_unready = false;
    for (const Json& s : (*pod)["status"]["containerStatuses"].elements()) {
      if (!s["state"]["running"].is_null() && !s["ready"].AsBool()) running_unready = true;
    }
    if (!running_unready) continue;
    if (const Json* event = LatestUnhealthy(events, *pod)) {
      d.reason = "Unhealthy";
      d.message = (*event)["message"].AsString();
      return d;
    }
  }
  return d;
}

void ApplyDiagnosis(const Diagnosis& d, domain::ResourceObservation* obs) {
  obs->waiting_reason = d.reason;
  obs->waiting_message = d.message;
  obs->restart_count = d.restart_count;
  obs->exit_code = d.exit_code;
}

// Below `desired` unless the rollout is complete, so the status check never
// takes a rollout that is still going for a ready one.
int32_t ReadyUnlessComplete(bool complete, int32_t ready, int32_t desired) {
  if (complete) return desired;
  return std::max(0, std::min(ready, desired - 1));
}

void ObserveDeployment(const Json& list, const Json& deployment, const Json& events,
                       domain::ResourceObservation* obs) {
  const Json& spec = deployment["spec"];
  const Json& status = deployment["status"];
  const int32_t desired = Int(spec["replicas"], 1);
  obs->desired_replicas = desired;
  obs->min_ready = absl::Seconds(Int(spec["minReadySeconds"]));
  // As `kubectl rollout status` judges it: the controller has seen this
  // generation, and then every replica is updated, none of an older revision
  // is left, and every updated one is available.
  const bool observed =
      Int(status["observedGeneration"]) >= Int(deployment["metadata"]["generation"]);
  const int32_t updated = Int(status["updatedReplicas"]);
  const bool complete = observed && updated >= desired &&
                        Int(status["replicas"]) <= updated &&
                        Int(status["availableReplicas"]) >= updated;
  const Json* newest = NewestReplicaSet(list, deployment);
  const int32_t available_updated =
      newest == nullptr ? 0 : Int((*newest)["status"]["availableReplicas"]);
  const Json& progressing = Condition(deployment, "Progressing");
  const bool timed_out =
      observed && progressing["reason"].AsString() == "ProgressDeadlineExceeded";
  obs->ready_replicas = ReadyUnlessComplete(complete && !timed_out, available_updated, desired);

  Diagnosis d = Diagnose(Members(list, deployment), events);
  if (timed_out) {
    // Kubernetes gave up: that decides, and what the pods say explains why.
    std::string message = progressing["message"].AsString();
    if (!d.reason.empty()) {
      absl::StrAppend(&message, message.empty() ? "" : " ", "Its pods: ", d.reason,
                      d.message.empty() ? "" : absl::StrCat(": ", d.message));
    }
    d.reason = "ProgressDeadlineExceeded";
    d.message = std::move(message);
  }
  ApplyDiagnosis(d, obs);
}

void ObserveStatefulSet(const Json& list, const Json& sts, const Json& events,
                        domain::ResourceObservation* obs) {
  const Json& status = sts["status"];
  const int32_t desired = Int(sts["spec"]["replicas"], 1);
  obs->desired_replicas = desired;
  obs->min_ready = absl::Seconds(Int(sts["spec"]["minReadySeconds"]));
  // The observedGeneration check keeps the previous, finished rollout from
  // reading as this one before the controller has seen the new spec.
  const bool observed = Int(status["observedGeneration"]) >= Int(sts["metadata"]["generation"]);
  const int32_t ready = Int(status["readyReplicas"]);
  const bool complete = observed && ready >= desired &&
                        status["updateRevision"].AsString() ==
                            status["currentRevision"].AsString();
  obs->ready_replicas = ReadyUnlessComplete(complete, ready, desired);
  ApplyDiagnosis(Diagnose(Members(list, sts), events), obs);
}

// The terminated state that says why a finished pod ended: the first one that
// failed (containers before init containers), else the first one at all.
const Json* FinalTermination(const Json& pod) {
  std::vector<const Json*> states;
  for (const Json& s : pod["status"]["containerStatuses"].elements()) {
    if (!s["state"]["terminated"].is_null()) states.push_back(&s["state"]["terminated"]);
  }
  for (const Json& s : pod["status"]["initContainerStatuses"].elements()) {
    if (!s["state"]["terminated"].is_null()) states.push_back(&s["state"]["terminated"]);
  }
  for (const Json* t : states) {
    if (Int((*t)["exitCode"]) != 0) return t;
  }
  return states.empty() ? nullptr : states.front();
}

void ObservePod(const Json& list, const Json& pod, const Json& events,
                domain::ResourceObservation* obs) {
  obs->desired_replicas = 1;
  obs->ready_replicas = Condition(pod, "Ready")["status"].AsString() == "True" ? 1 : 0;
  ApplyDiagnosis(Diagnose(Members(list, pod), events), obs);
  const std::string& phase = pod["status"]["phase"].AsString();
  if (phase == "Succeeded" || phase == "Failed") {
    obs->terminated = true;
    obs->ready_replicas = 0;
    if (const Json* t = FinalTermination(pod)) {
      obs->terminated_reason = (*t)["reason"].AsString();
      obs->exit_code = Int((*t)["exitCode"]);
    } else {
      // Ended without running a container: evicted, or past activeDeadlineSeconds.
      obs->terminated_reason = pod["status"]["reason"].AsString();
      obs->exit_code = 0;
    }
  }
}

PodInfo ToPodInfo(const Member& m) {
  const Json& pod = *m.pod;
  PodInfo info;
  info.name = Name(pod);
  info.namespace_name = Namespace(pod);
  info.ready = Condition(pod, "Ready")["status"].AsString() == "True";
  info.running = pod["status"]["phase"].AsString() == "Running";
  info.current = m.current;
  info.terminating = Terminating(pod);
  for (const Json& c : pod["spec"]["containers"].elements()) {
    info.containers.push_back({c["name"].AsString(), c["image"].AsString()});
  }
  info.created = Created(pod);
  return info;
}

// The API group a checked kind lives in ("apps" for "apps/v1", "" for "v1").
absl::string_view Group(absl::string_view api_version) {
  const size_t slash = api_version.find('/');
  return slash == absl::string_view::npos ? "" : api_version.substr(0, slash);
}

}  // namespace

std::string ResourceName(const Workload& workload) {
  return absl::StrCat(absl::AsciiStrToLower(workload.kind), "/", workload.name);
}

std::vector<domain::ResourceObservation> ObserveWorkloads(const Json& list,
                                                          const std::vector<Workload>& workloads,
                                                          const Json& events) {
  std::vector<domain::ResourceObservation> out;
  out.reserve(workloads.size());
  for (const Workload& workload : workloads) {
    domain::ResourceObservation obs;
    obs.resource = ResourceName(workload);
    const Json* obj = Find(list, workload);
    if (obj == nullptr) {
      obs.terminated = true;
      obs.terminated_reason = "NotFound";
    } else if (workload.kind == "Deployment") {
      ObserveDeployment(list, *obj, events, &obs);
    } else if (workload.kind == "StatefulSet") {
      ObserveStatefulSet(list, *obj, events, &obs);
    } else if (workload.kind == "Pod") {
      ObservePod(list, *obj, events, &obs);
    } else {
      // Applied but not checked (CheckedWorkloads leaves these out): present
      // is all there is to say.
      obs.ready_replicas = obs.desired_replicas;
    }
    out.push_back(std::move(obs));
  }
  return out;
}

std::vector<PodInfo> PodsOf(const Json& list, const Workload& workload) {
  std::vector<PodInfo> out;
  const Json* obj = Find(list, workload);
  if (obj == nullptr) return out;
  for (const Member& m : Members(list, *obj)) out.push_back(ToPodInfo(m));
  return out;
}

std::vector<Workload> CheckedWorkloads(const std::vector<ObjectRef>& objects,
                                       const std::string& default_namespace) {
  std::vector<Workload> out;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const ObjectRef& o : objects) {
    const absl::string_view group = Group(o.api_version);
    const bool checked = ((o.kind == "Deployment" || o.kind == "StatefulSet") && group == "apps") ||
                         (o.kind == "Pod" && group.empty());
    if (!checked) continue;
    Workload w{o.kind, o.name, o.namespace_name.empty() ? default_namespace : o.namespace_name};
    if (!seen.insert({w.kind, w.name, w.namespace_name}).second) continue;
    out.push_back(std::move(w));
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Workload& workload) {
  return os << "{" << workload.kind << " " << workload.namespace_name << "/" << workload.name
            << "}";
}

std::ostream& operator<<(std::ostream& os, const PodInfo& pod) {
  os << "{" << pod.namespace_name << "/" << pod.name;
  if (pod.ready) os << " ready";
  if (pod.running) os << " running";
  os << (pod.current ? " current" : " old");
  if (pod.terminating) os << " terminating";
  for (const PodInfo::Container& c : pod.containers) os << " " << c.name << "=" << c.image;
  return os << " created " << pod.created << "}";
}

}  // namespace devloop::deploy::kubectl
