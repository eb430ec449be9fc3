#include "infra/deploy/kubectl/kubectl_deployer.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "domain/debug/annotation.h"
#include "domain/events/status_code.h"
#include "domain/events/status_payload.h"
#include "infra/deploy/labels.h"
#include "infra/containerfs/container_process.h"
#include "infra/containerfs/root_fs.h"
#include "infra/docker/tar_archive.h"
#include "infra/log/log.h"
#include "infra/portforward/probe.h"

namespace devloop::deploy::kubectl {

using domain::StatusCode;

namespace {

constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";
// What the deployer reads of the cluster: the workloads it checks, the
// ReplicaSets and pods behind them, and the Services port forwards go through.
struct ClusterKind {
  const char* group;  // "" for the core group
  const char* version;
  const char* resource;
  const char* kind;
};
constexpr ClusterKind kClusterKinds[] = {
    {"apps", "v1", "deployments", "Deployment"}, {"apps", "v1", "statefulsets", "StatefulSet"},
    {"apps", "v1", "replicasets", "ReplicaSet"}, {"", "v1", "pods", "Pod"},
    {"", "v1", "services", "Service"},
};

// kClusterKinds as kubectl get's resource argument: "deployments.apps,...,pods,services".
std::string ClusterKindsArg() {
  std::vector<std::string> names;
  for (const ClusterKind& k : kClusterKinds) {
    names.push_back(*k.group == '\0' ? k.resource : absl::StrCat(k.resource, ".", k.group));
  }
  return absl::StrJoin(names, ",");
}

// The kubectl resource argument of an object's kind: "deployment.apps", "service".
std::string KindArg(const ObjectRef& object) {
  std::string kind = absl::AsciiStrToLower(object.kind);
  size_t slash = object.api_version.find('/');
  if (slash == std::string::npos) return kind;
  return absl::StrCat(kind, ".", object.api_version.substr(0, slash));
}

std::string ObjectKey(const ObjectRef& object) {
  return absl::StrCat(KindArg(object), "/", object.namespace_name, "/", object.name);
}

// kubectl's --timestamps are RFC 3339 with up to 9 fraction digits, trailing
// zeros cut; padded to 9 they compare as strings.
std::string SortableTime(absl::string_view t) {
  absl::string_view zone;
  if (absl::ConsumeSuffix(&t, "Z")) zone = "Z";
  size_t dot = t.find('.');
  std::string out(t.substr(0, dot));
  std::string fraction = dot == absl::string_view::npos ? "" : std::string(t.substr(dot + 1));
  fraction.resize(9, '0');
  return absl::StrCat(out, ".", fraction, zone);
}

// A pod as the log followers and sync see it.
struct RunningPod {
  std::string ns;
  std::string name;
  bool terminating = false;
  bool ready = false;
  std::string created;
  std::string ip;  // status.podIP
  std::map<std::string, std::string> labels;
  std::vector<std::pair<std::string, std::string>> containers;  // name, image
  std::set<std::string> started;  // containers that run or ran (have a log)
  std::map<std::string, std::string> container_ids;  // name -> runtime id (64 hex)
  std::map<std::string, int> named_ports;  // container port name -> number
  std::map<int, std::string> port_owner;   // container port -> its container
  std::string debug_config;  // the debug annotation's value; empty when none
  std::set<std::string> owners;  // "<Kind>/<name>" of its ownerReferences
};

std::vector<RunningPod> RunningPods(const json::Json& cluster) {
  std::vector<RunningPod> pods;
  for (const json::Json& item : cluster["items"].elements()) {
    if (item["kind"].AsString() != "Pod") continue;
    RunningPod pod;
    pod.ns = item["metadata"]["namespace"].AsString();
    pod.name = item["metadata"]["name"].AsString();
    pod.terminating = !item["metadata"]["deletionTimestamp"].is_null();
    pod.created = item["metadata"]["creationTimestamp"].AsString();
    pod.ip = item["status"]["podIP"].AsString();
    for (const auto& [k, v] : item["metadata"]["labels"].members()) pod.labels[k] = v.AsString();
    pod.debug_config =
        item["metadata"]["annotations"][std::string(debug::kDebugConfigAnnotation)].AsString();
    for (const json::Json& o : item["metadata"]["ownerReferences"].elements()) {
      pod.owners.insert(absl::StrCat(o["kind"].AsString(), "/", o["name"].AsString()));
    }
    for (const json::Json& c : item["spec"]["containers"].elements()) {
      pod.containers.emplace_back(c["name"].AsString(), c["image"].AsString());
      for (const json::Json& p : c["ports"].elements()) {
        const int number = static_cast<int>(p["containerPort"].AsInt());
        if (p["name"].is_string()) pod.named_ports[p["name"].AsString()] = number;
        pod.port_owner.emplace(number, c["name"].AsString());
      }
    }
    for (const json::Json& s : item["status"]["containerStatuses"].elements()) {
      // "containerd://<64 hex>" (or docker://, cri-o://).
      const std::string& id = s["containerID"].AsString();
      size_t scheme = id.find("://");
      if (scheme != std::string::npos && !s["state"]["running"].is_null()) {
        pod.container_ids[s["name"].AsString()] = id.substr(scheme + 3);
      }
      if (!s["state"]["running"].is_null() || !s["state"]["terminated"].is_null() ||
          s["restartCount"].AsInt() > 0) {
        pod.started.insert(s["name"].AsString());
      }
    }
    for (const json::Json& c : item["status"]["conditions"].elements()) {
      if (c["type"].AsString() == "Ready") pod.ready = c["status"].AsString() == "True";
    }
    pods.push_back(std::move(pod));
  }
  // Newest first.
  std::stable_sort(pods.begin(), pods.end(),
                   [](const RunningPod& a, const RunningPod& b) { return a.created > b.created; });
  return pods;
}

domain::DebuggingContainerEvent DebugEvent(const debug::DebuggingContainer& c) {
  return {.status = std::string(debug::DebugStatusName(c.status)),
          .pod_name = c.pod_name,
          .container_name = c.container_name,
          .namespace_ = c.namespace_name,
          .artifact = c.artifact,
          .runtime = c.runtime,
          .working_dir = c.working_dir,
          .debug_ports = c.debug_ports};
}

}  // namespace

// A long-running kubectl and a thread that waits for its end, so the owner can
// ask whether it still runs. Destroying it stops the process and joins.
class KubectlDeployer::Watched {
 public:
  explicit Watched(std::unique_ptr<process::Process> process)
      : process_(std::move(process)), ended_(std::make_shared<std::atomic<bool>>(false)) {
    process::Process* p = process_.get();
    std::shared_ptr<std::atomic<bool>> ended = ended_;
    waiter_ = std::thread([p, ended] {
      p->Wait();
      ended->store(true);
    });
  }
  ~Watched() {
    process_->Cancel();
    waiter_.join();
  }
  bool ended() const { return ended_->load(); }

 private:
  std::unique_ptr<process::Process> process_;
  std::shared_ptr<std::atomic<bool>> ended_;
  std::thread waiter_;
};


KubectlDeployer::Handover::Handover() = default;
KubectlDeployer::Handover::Handover(Handover&&) = default;
KubectlDeployer::Handover& KubectlDeployer::Handover::operator=(Handover&&) = default;
KubectlDeployer::Handover::~Handover() = default;

absl::StatusOr<std::unique_ptr<KubectlDeployer>> KubectlDeployer::Make(
    process::ProcessRunner* runner, Options options) {
  if (options.run_id.empty()) return absl::InvalidArgumentError("the kubectl deployer needs a run id");
  if (!options.manifests) return absl::InvalidArgumentError("the kubectl deployer needs manifests");
  for (const PortForwardSpec& f : options.port_forwards) {
    const std::string& t = f.resource_type;
    if (t != "pod" && t != "deployment" && t != "service" && t != "statefulset") {
      return absl::InvalidArgumentError(absl::StrCat(
          "portForward resourceType \"", t, "\" of ", f.resource_name,
          " is not one the kubectl deployer forwards (pod, deployment, statefulset, service)"));
    }
    if (f.resource_name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("portForward of resourceType ", t, " needs a resourceName"));
    }
  }
  if (options.debug.enabled && (!options.debug.image_config || !options.debug.support_image)) {
    return absl::InvalidArgumentError(
        "the kubectl deployer debugs only with a way to read images and to place support images");
  }
  return std::unique_ptr<KubectlDeployer>(new KubectlDeployer(runner, std::move(options)));
}

KubectlDeployer::KubectlDeployer(process::ProcessRunner* runner, Options options)
    : runner_(runner),
      options_(std::move(options)),
      host_hooks_(runner, {.env = options_.hook_env}),
      kubectl_(runner, options_.kubectl),
      api_(&kubectl_),
      tail_(options_.on_log) {
  if (!options_.api_proxy) api_.Stop();
  absl::MutexLock lock(&mu_);
  route_ = std::make_shared<LogRoute>(&tail_);
  for (const PortForwardSpec& spec : options_.port_forwards) forward_entries_.push_back({spec});
}

KubectlDeployer::~KubectlDeployer() { Cleanup(/*remove=*/false).IgnoreError(); }

void KubectlDeployer::ReportDebugging(DebugSink sink) {
  absl::MutexLock lock(&mu_);
  on_debug_ = std::move(sink);
}

void KubectlDeployer::ReportForwardMoves(PortSink sink) {
  absl::MutexLock lock(&mu_);
  on_forward_moved_ = std::move(sink);
}

std::string KubectlDeployer::Namespace(const std::string& ns) {
  if (!ns.empty()) return ns;
  if (!options_.default_namespace.empty()) return options_.default_namespace;
  absl::MutexLock lock(&mu_);
  if (context_namespace_.empty()) {
    // The kubeconfig context's namespace, as kubectl itself would take it.
    absl::StatusOr<std::string> out =
        kubectl_.Run(Phase::kDeploy, "reading the context's namespace",
                     {"config", "view", "--minify", "-o", "jsonpath={..namespace}"});
    std::string found = out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "";
    context_namespace_ = found.empty() ? "default" : found;
  }
  return context_namespace_;
}

absl::StatusOr<std::vector<std::string>> KubectlDeployer::Deploy(
    int64_t deploy_id, const domain::ImageTags& images) {
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is ending"),
                                    StatusCode::kDeployCancelled);
    }
    ++deploying_;
  }
  // HandOver waits for this deploy: what it applies is handed over with the rest.
  struct Deploying {
    ~Deploying() {
      absl::MutexLock lock(&deployer->mu_);
      --deployer->deploying_;
    }
    KubectlDeployer* deployer;
  } deploying{this};
  absl::StatusOr<std::vector<ManifestSource>> sources = options_.manifests(images);
  if (!sources.ok()) {
    return domain::WithStatusCode(
        sources.status(), domain::StatusCodeOr(sources.status(), StatusCode::kDeployReadManifestErr));
  }
  RenderOptions render;
  render.images = images;
  render.labels = options_.labels;
  render.labels[kManagedByLabel] = "devloop";
  render.labels[kRunIdLabel] = options_.run_id;
  absl::StatusOr<Rendered> rendered = Render(*sources, render);
  if (!rendered.ok()) {
    return domain::WithStatusCode(rendered.status(), StatusCode::kDeployReadManifestErr);
  }
  if (rendered->objects.empty()) {
    return domain::WithStatusCode(
        absl::InvalidArgumentError("the manifests hold no Kubernetes object to deploy"),
        StatusCode::kDeployReadManifestErr);
  }
  const std::string ns = Namespace("");
  std::vector<DebugWorkload> debugged;
  if (options_.debug.enabled) {
    absl::StatusOr<DebugManifests> rewritten =
        RewriteForDebug(rendered->yaml, {.images = images,
                                         .runtime_types = options_.debug.runtime_types,
                                         .image_config = options_.debug.image_config,
                                         .support_image = options_.debug.support_image});
    if (!rewritten.ok()) {
      return domain::WithStatusCode(
          rewritten.status(), domain::StatusCodeOr(rewritten.status(), StatusCode::kDeployUnknown));
    }
    for (const std::string& why : rewritten->skipped) {
      DEVLOOP_LOG(WARNING) << "not debugging " << why;
    }
    rendered->yaml = std::move(rewritten->yaml);
    debugged = std::move(rewritten->workloads);
    for (DebugWorkload& w : debugged) {
      if (w.namespace_name.empty()) w.namespace_name = ns;
    }
  }
  std::set<std::string> target_namespaces;
  for (const ObjectRef& o : rendered->objects) {
    target_namespaces.insert(o.namespace_name.empty() ? ns : o.namespace_name);
  }
  {
    // Known before they are applied, so that the run's cleanup (or the next
    // config's deployer) covers them even if this deploy is cut short.
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is ending"),
                                    StatusCode::kDeployCancelled);
    }
    for (const ObjectRef& o : rendered->objects) {
      kinds_.insert(KindArg(o));
      const std::string& where = o.namespace_name.empty() ? ns : o.namespace_name;
      if (namespaces_.insert(where).second) StartWatch(where);
    }
  }
  // Before: in what runs now (the deployment this one replaces), and here.
  if (absl::Status s = RunHooks(options_.hooks.before, "before", target_namespaces,
                                /*wait_for_pods=*/false);
      !s.ok()) {
    return s;
  }
  std::vector<std::string> apply = {"apply", "-f", "-"};
  if (!options_.default_namespace.empty()) {
    apply.push_back("--namespace=" + options_.default_namespace);
  }
  apply.insert(apply.end(), options_.apply_flags.begin(), options_.apply_flags.end());
  absl::StatusOr<std::string> applied =
      kubectl_.Run(Phase::kDeploy, "applying manifests", apply, rendered->yaml);
  if (!applied.ok() && absl::StrContains(applied.status().message(), "field is immutable")) {
    // A Job (or another object with an immutable spec) changed: replace it.
    std::vector<ObjectRef> immutable;
    for (ObjectRef o : rendered->objects) {
      if (o.kind != "Job") continue;
      if (o.namespace_name.empty()) o.namespace_name = ns;
      immutable.push_back(o);
    }
    if (!immutable.empty()) {
      DEVLOOP_LOG(INFO) << "replacing " << immutable.size() << " Job(s) whose spec cannot change";
      if (absl::Status d = Delete(Phase::kDeploy, immutable, /*wait=*/true); !d.ok()) return d;
      applied = kubectl_.Run(Phase::kDeploy, "applying manifests", apply, rendered->yaml);
    }
  }
  if (!applied.ok()) return applied.status();
  // After: here, and in the containers of the new rollout once they run.
  if (absl::Status s = RunHooks(options_.hooks.after, "after", target_namespaces,
                                /*wait_for_pods=*/true);
      !s.ok()) {
    return s;
  }

  Applied a;
  a.images = images;
  a.debugged = std::move(debugged);
  for (ObjectRef o : rendered->objects) {
    if (o.namespace_name.empty()) o.namespace_name = ns;
    a.objects.push_back(std::move(o));
  }
  a.workloads = CheckedWorkloads(a.objects, ns);
  PruneTakenOver(a.objects);
  std::vector<std::string> resources;
  for (const Workload& w : a.workloads) resources.push_back(ResourceName(w));
  std::vector<domain::DebuggingContainerEvent> still;
  DebugSink sink;
  {
    absl::MutexLock lock(&mu_);
    deployments_[deploy_id] = std::move(a);
    // A deploy starts the API's list of debugging containers afresh (as it
    // does the forwarded ports): those still running are reported again; the
    // ones this deploy replaces are reported Terminated as their pods go.
    sink = on_debug_;
    for (const auto& [key, e] : debugging_) still.push_back(e);
  }
  if (sink) {
    for (domain::DebuggingContainerEvent& e : still) sink(std::move(e));
  }
  return resources;
}

absl::Status KubectlDeployer::RunHooks(const std::vector<config::DeployHook>& hooks,
                                       const std::string& when,
                                       const std::set<std::string>& namespaces,
                                       bool wait_for_pods) {
  // The context kubectl deploys to, named for the hooks even when it is the
  // kubeconfig's current one.
  std::string kube_context = options_.kubectl.context;
  bool any_host = false;
  for (const config::DeployHook& hook : hooks) {
    any_host = any_host || hook.where == config::DeployHook::Where::kHost;
  }
  if (kube_context.empty() && any_host) {
    absl::StatusOr<std::string> current =
        kubectl_.Run(Phase::kDeploy, "reading the current context", {"config", "current-context"});
    if (current.ok()) kube_context = std::string(absl::StripAsciiWhitespace(*current));
  }
  size_t number = 0;
  for (const config::DeployHook& hook : hooks) {
    ++number;
    const std::string what = absl::StrCat(when, "-deploy hook `", absl::StrJoin(hook.command, " "), "`");
    if (hook.where == config::DeployHook::Where::kHost) {
      hooks::HookRun run{.phase = absl::StrCat(when, "-deploy"),
                         .env = {{"SKAFFOLD_RUN_ID", options_.run_id},
                                 {"SKAFFOLD_KUBE_CONTEXT", kube_context},
                                 {"SKAFFOLD_NAMESPACES", absl::StrJoin(namespaces, ",")}},
                         .on_output = options_.on_hook_output,
                         .failure_code = StatusCode::kDeployUnknown,
                         .first_number = number};
      if (absl::Status s = host_hooks_.Run({{hook.command, hook.dir}}, run); !s.ok()) return s;
      continue;
    }
    // In containers: every started container of this run's pods whose pod and
    // container names match the globs (after a deploy: of its newest rollout,
    // waited for up to a minute).
    int ran = 0;
    const absl::Time give_up = absl::Now() + (wait_for_pods ? absl::Minutes(1) : absl::ZeroDuration());
    while (true) {
      for (const std::string& ns : namespaces) {
        absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
        if (!cluster.ok()) return cluster.status();
        for (const RunningPod& pod : RunningPods(*cluster)) {
          if (pod.terminating || fnmatch(hook.pod_name.c_str(), pod.name.c_str(), 0) != 0) continue;
          for (const auto& [container, image] : pod.containers) {
            if (!pod.container_ids.count(container) ||
                fnmatch(hook.container_name.c_str(), container.c_str(), 0) != 0) {
              continue;
            }
            std::vector<std::string> args = {"exec", "--namespace=" + ns, pod.name, "-c",
                                             container, "--"};
            args.insert(args.end(), hook.command.begin(), hook.command.end());
            absl::StatusOr<std::string> out =
                kubectl_.Run(Phase::kDeploy, absl::StrCat(what, " in pod/", pod.name), args);
            if (!out.ok()) return out.status();
            for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
              tail_.Add("hook", {.name = absl::StrCat(pod.name, " ", container), .pod = pod.name},
                        line);
            }
            ++ran;
          }
        }
      }
      if (ran > 0 || absl::Now() >= give_up) break;
      absl::SleepFor(absl::Milliseconds(500));
    }
    if (ran == 0 && wait_for_pods) {
      return domain::WithStatusCode(
          absl::FailedPreconditionError(absl::StrCat(
              what, ": no running container matches pod \"", hook.pod_name, "\" and container \"",
              hook.container_name, "\"")),
          StatusCode::kDeployUnknown);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<json::Json> KubectlDeployer::ReadCluster(Phase phase, const std::string& ns) {
  // The status check, the namespace watch, ForwardPorts and hooks all read
  // the same objects, often at once; each kubectl is a process of its own
  // (~0.1 s of CPU, more on a loaded machine). Callers share reads instead:
  // each gets the result of a read that started after it asked, one read a
  // namespace at a time.
  absl::MutexLock lock(&read_mu_);
  SharedRead& r = reads_[ns];
  const int64_t ticket = r.started + 1;
  while (r.finished < ticket) {
    if (!r.running) {
      r.running = true;
      const int64_t number = ++r.started;
      read_mu_.Unlock();
      absl::StatusOr<json::Json> result = ReadClusterOnce(phase, ns);
      read_mu_.Lock();
      r.running = false;
      r.finished = number;
      r.result = std::move(result);
      r.phase = phase;
      continue;
    }
    auto done = [&r, ticket] { return !r.running || r.finished >= ticket; };
    read_mu_.Await(absl::Condition(&done));
  }
  if (!r.result.ok() && r.phase != phase) {
    // Its error's status code belongs to the other phase: read for this one.
    read_mu_.Unlock();
    absl::StatusOr<json::Json> own = ReadClusterOnce(phase, ns);
    read_mu_.Lock();
    return own;
  }
  return r.result;
}

absl::StatusOr<json::Json> KubectlDeployer::ReadClusterThroughApi(const std::string& ns) {
  const std::string query = "?labelSelector=" + QueryEscape(RunSelector(options_.run_id));
  json::Json items = json::Json::Array();
  for (const ClusterKind& k : kClusterKinds) {
    const std::string gv = *k.group == '\0' ? k.version : absl::StrCat(k.group, "/", k.version);
    const std::string target = absl::StrCat(*k.group == '\0' ? "/api/" : "/apis/", gv,
                                            "/namespaces/", QueryEscape(ns), "/", k.resource, query);
    absl::StatusOr<json::Json> list = api_.Get(target);
    if (!list.ok()) return list.status();
    for (const json::Json& item : (*list)["items"].elements()) {
      // A list's items carry no kind of their own; kubectl get's do.
      json::Json typed = item;
      typed.Set("kind", json::Json::String(k.kind));
      typed.Set("apiVersion", json::Json::String(gv));
      items.Append(std::move(typed));
    }
  }
  json::Json out = json::Json::Object();
  out.Set("apiVersion", json::Json::String("v1"));
  out.Set("kind", json::Json::String("List"));
  out.Set("items", std::move(items));
  return out;
}

absl::StatusOr<json::Json> KubectlDeployer::ReadClusterOnce(Phase phase, const std::string& ns) {
  absl::StatusOr<json::Json> fast = ReadClusterThroughApi(ns);
  if (fast.ok()) return fast;
  DEVLOOP_VLOG(1) << "reading " << ns << " with kubectl get: " << fast.status().message();
  absl::StatusOr<std::string> out =
      kubectl_.Run(phase, "reading the run's workloads",
                   {"get", ClusterKindsArg(), "--namespace=" + ns, "-l", RunSelector(options_.run_id),
                    "-o", "json"},
                   std::nullopt, absl::Seconds(30));
  if (!out.ok()) return out.status();
  absl::StatusOr<json::Json> parsed = json::Json::Parse(*out);
  if (!parsed.ok()) {
    return domain::WithStatusCode(
        absl::InternalError(absl::StrCat("kubectl get answered what is not JSON: ",
                                         parsed.status().message())),
        phase == Phase::kStatusCheck ? StatusCode::kStatusCheckKubectlClientFetchErr
                                     : StatusCode::kDeployKubectlUserErr);
  }
  return parsed;
}

json::Json KubectlDeployer::ReadUnhealthyEvents(const std::string& ns) {
  absl::StatusOr<json::Json> fast = api_.Get(absl::StrCat(
      "/api/v1/namespaces/", QueryEscape(ns), "/events?fieldSelector=", QueryEscape("reason=Unhealthy")));
  if (fast.ok()) return *std::move(fast);
  absl::StatusOr<std::string> events = kubectl_.Run(
      Phase::kStatusCheck, "reading events",
      {"get", "events", "--namespace=" + ns, "--field-selector=reason=Unhealthy", "-o", "json"},
      std::nullopt, absl::Seconds(30));
  if (!events.ok()) return json::Json();
  absl::StatusOr<json::Json> parsed = json::Json::Parse(*events);
  return parsed.ok() ? *std::move(parsed) : json::Json();
}

absl::StatusOr<std::vector<domain::ResourceObservation>> KubectlDeployer::Observe(
    int64_t deploy_id) {
  Applied a;
  bool newest = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    // A stopped (or never made) deployment has nothing left to observe.
    if (it == deployments_.end()) return std::vector<domain::ResourceObservation>{};
    a = it->second;
    newest = std::next(it) == deployments_.end();
  }
  std::map<std::string, std::vector<Workload>> by_namespace;
  for (const Workload& w : a.workloads) by_namespace[w.namespace_name].push_back(w);
  std::map<std::string, domain::ResourceObservation> seen;
  for (const auto& [ns, workloads] : by_namespace) {
    absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kStatusCheck, ns);
    if (!cluster.ok()) return cluster.status();
    std::vector<domain::ResourceObservation> obs = ObserveWorkloads(*cluster, workloads, {});
    bool probe_trouble = false;
    for (const domain::ResourceObservation& o : obs) {
      probe_trouble |= o.waiting_reason.empty() && !o.terminated &&
                       o.ready_replicas < o.desired_replicas;
    }
    if (probe_trouble) {
      // A pod that runs but is not ready: its readiness probe's events say why.
      json::Json events = ReadUnhealthyEvents(ns);
      if (!events.is_null()) obs = ObserveWorkloads(*cluster, workloads, events);
    }
    for (size_t i = 0; i < workloads.size() && i < obs.size(); ++i) {
      std::vector<PodInfo> pods = PodsOf(*cluster, workloads[i]);
      if (!pods.empty() && !pods.front().containers.empty() &&
          (obs[i].terminated || obs[i].restart_count > 0 || !obs[i].waiting_reason.empty())) {
        obs[i].last_log_lines = tail_.Last(absl::StrCat(
            pods.front().namespace_name, "/", pods.front().name, "/",
            pods.front().containers.front().name));
      }
      seen[obs[i].resource] = obs[i];
    }
    FollowPods(ns, *cluster);
    if (newest) RetargetForwards(ns, *cluster);
  }
  std::vector<domain::ResourceObservation> out;
  for (const Workload& w : a.workloads) out.push_back(seen[ResourceName(w)]);
  bool forwarding;
  {
    absl::MutexLock lock(&mu_);
    forwarding = forwarding_.count(deploy_id) > 0;
  }
  if (forwarding) {
    // The iteration ends when its check succeeds, and its port forwards belong
    // in it: while ForwardPorts still waits for ready pods to point them at,
    // the deployment does not read as ready yet.
    for (domain::ResourceObservation& o : out) {
      o.ready_replicas = std::min(o.ready_replicas, o.desired_replicas - 1);
    }
  }
  return out;
}

void KubectlDeployer::ReportDebuggers(const std::string& ns, const json::Json& cluster) {
  if (!options_.debug.enabled) return;
  std::vector<domain::DebuggingContainerEvent> changed;
  DebugSink sink;
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) return;
    sink = on_debug_;
    std::set<std::string> running;
    for (const RunningPod& pod : RunningPods(cluster)) {
      if (pod.terminating || pod.debug_config.empty()) continue;
      absl::StatusOr<std::map<std::string, debug::ContainerDebugConfig>> config =
          debug::ParseDebugConfig(pod.debug_config);
      if (!config.ok()) {
        DEVLOOP_VLOG(1) << "pod " << pod.name << ": " << config.status();
        continue;
      }
      for (const auto& [container, c] : *config) {
        if (!pod.container_ids.count(container)) continue;  // not running (yet, or any more)
        const std::string key = absl::StrCat(pod.ns, "/", pod.name, "/", container);
        running.insert(key);
        if (debugging_.count(key)) continue;
        domain::DebuggingContainerEvent e = DebugEvent(debug::MakeDebuggingContainer(
            debug::DebugStatus::kStarted, pod.name, pod.ns, container, c));
        debugging_[key] = e;
        changed.push_back(std::move(e));
      }
    }
    for (auto it = debugging_.begin(); it != debugging_.end();) {
      if (it->second.namespace_ != ns || running.count(it->first)) {
        ++it;
        continue;
      }
      domain::DebuggingContainerEvent gone = std::move(it->second);
      gone.status = std::string(debug::DebugStatusName(debug::DebugStatus::kTerminated));
      changed.push_back(std::move(gone));
      it = debugging_.erase(it);
    }
  }
  if (!sink) return;
  for (domain::DebuggingContainerEvent& e : changed) sink(std::move(e));
}

void KubectlDeployer::FollowPods(const std::string& ns, const json::Json& cluster) {
  ReportDebuggers(ns, cluster);
  std::vector<RunningPod> pods = RunningPods(cluster);
  absl::MutexLock lock(&mu_);
  if (cleaned_up_) return;
  known_pods_[ns] = cluster;
  for (const RunningPod& pod : pods) {
    for (const auto& [container, image] : pod.containers) {
      if (!pod.started.count(container)) continue;
      const std::string key = absl::StrCat(pod.ns, "/", pod.name, "/", container);
      Follower& f = followers_[key];
      if (f.watched != nullptr && !f.watched->ended()) continue;
      if (f.watched != nullptr && pod.terminating) continue;  // it printed its last line
      if (f.last == nullptr) {
        f.mu = std::make_shared<absl::Mutex>();
        f.last = std::make_shared<std::string>();
      }
      std::vector<std::string> args = {"logs", "-f", "--timestamps", "--namespace=" + pod.ns,
                                       "pod/" + pod.name, "-c", container};
      {
        absl::MutexLock last_lock(f.mu.get());
        // Again after its end: from the last line's second on, skipping what was printed.
        if (!f.last->empty()) args.push_back("--since-time=" + f.last->substr(0, 19) + "Z");
      }
      std::shared_ptr<absl::Mutex> mu = f.mu;
      std::shared_ptr<std::string> last = f.last;
      auto on_line = [mu, last, route = route_, key,
                      source = LogSource{.name = container, .pod = pod.name}](absl::string_view line) {
        std::pair<absl::string_view, absl::string_view> parts =
            absl::StrSplit(line, absl::MaxSplits(' ', 1));
        std::string at = SortableTime(parts.first);
        {
          absl::MutexLock l(mu.get());
          if (!last->empty() && at <= *last) return;  // printed before a restart
          *last = at;
        }
        route->Add(key, source, parts.second);
      };
      absl::StatusOr<std::unique_ptr<process::Process>> started =
          kubectl_.Start(args, on_line, [key](absl::string_view line) {
            DEVLOOP_VLOG(1) << "kubectl logs " << key << ": " << line;
          });
      if (!started.ok()) {
        DEVLOOP_LOG(WARNING) << "cannot follow the logs of " << key << ": "
                             << started.status().message();
        continue;
      }
      f.watched = std::make_unique<Watched>(*std::move(started));
    }
  }
}

void KubectlDeployer::StartWatch(const std::string& ns) {
  // Pods that appear after the status check (a restart, a reschedule) get
  // their logs followed too: a `kubectl get pods --watch` says when anything
  // changes, and a refresh then reads the pods. REQUIRES: mu_ held.
  auto watcher = std::make_unique<NamespaceWatch>();
  NamespaceWatch* w = watcher.get();
  w->thread = std::thread([this, w, ns] {
    while (true) {
      {
        absl::MutexLock lock(&w->mu);
        if (w->stop) return;
      }
      std::unique_ptr<Watched> watch;
      absl::StatusOr<std::unique_ptr<process::Process>> started = kubectl_.Start(
          {"get", "pods", "--namespace=" + ns, "-l", RunSelector(options_.run_id), "--watch",
           "-o", "name"},
          [w](absl::string_view) {
            absl::MutexLock lock(&w->mu);
            w->dirty = true;
          },
          nullptr);
      if (started.ok()) watch = std::make_unique<Watched>(*std::move(started));
      while (true) {
        bool refresh = false;
        {
          absl::MutexLock lock(&w->mu);
          auto wake = [w] { return w->stop || w->dirty; };
          w->mu.AwaitWithTimeout(absl::Condition(&wake), absl::Seconds(1));
          if (w->stop) return;
          refresh = w->dirty;
          w->dirty = false;
        }
        if (refresh) {
          // A pod changed: follow new ones' logs, and move forwards onto a
          // newly ready pod at once rather than at the status check's next poll.
          absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
          if (cluster.ok()) {
            FollowPods(ns, *cluster);
            RetargetForwards(ns, *cluster);
          }
        }
        if (watch == nullptr || watch->ended()) break;  // started again below
      }
      absl::MutexLock lock(&w->mu);
      auto stopped = [w] { return w->stop; };
      w->mu.AwaitWithTimeout(absl::Condition(&stopped), absl::Seconds(1));
    }
  });
  watches_.push_back(std::move(watcher));
}

absl::StatusOr<std::vector<KubectlDeployer::RunningPodRef>> KubectlDeployer::ForwardCandidates(
    const PortForwardSpec& spec, const json::Json& cluster, int* port) {
  const std::string ns = Namespace(spec.namespace_name);
  std::vector<RunningPod> pods = RunningPods(cluster);
  std::vector<RunningPodRef> out;
  *port = spec.port;
  auto add = [&](const RunningPod& p) {
    if (!p.ready || p.terminating) return;
    out.push_back({p.ns, p.name, p.ip, p.container_ids, p.named_ports, p.port_owner,
                   p.containers.empty() ? "" : p.containers.front().first});
  };
  const std::string& type = spec.resource_type;
  if (type == "pod") {
    for (const RunningPod& p : pods) {
      if (p.name == spec.resource_name) add(p);
    }
    return out;
  }
  // Debug forwards only (debug_manifests.h): the pods a DaemonSet, a bare
  // ReplicaSet or a Job owns, newest first.
  for (const char* kind : {"DaemonSet", "ReplicaSet", "Job"}) {
    if (type != absl::AsciiStrToLower(kind)) continue;
    const std::string owner = absl::StrCat(kind, "/", spec.resource_name);
    for (const RunningPod& p : pods) {
      if (p.ns == ns && p.owners.count(owner)) add(p);
    }
    return out;
  }
  if (type == "deployment" || type == "statefulset") {
    Workload w{type == "deployment" ? "Deployment" : "StatefulSet", spec.resource_name, ns};
    std::set<std::string> current;
    for (const PodInfo& p : PodsOf(cluster, w)) {
      if (p.current) current.insert(p.name);
    }
    for (const RunningPod& p : pods) {
      if (current.count(p.name)) add(p);
    }
    return out;
  }
  // A Service: the pods its selector picks, on the target port of `port`.
  for (const json::Json& item : cluster["items"].elements()) {
    if (item["kind"].AsString() != "Service" ||
        item["metadata"]["name"].AsString() != spec.resource_name) {
      continue;
    }
    std::map<std::string, std::string> selector;
    for (const auto& [k, v] : item["spec"]["selector"].members()) selector[k] = v.AsString();
    std::string named_target;
    for (const json::Json& p : item["spec"]["ports"].elements()) {
      if (p["port"].AsInt() != spec.port) continue;
      const json::Json& target = p["targetPort"];
      if (target.is_string()) {
        if (!absl::SimpleAtoi(target.AsString(), port)) named_target = target.AsString();
      } else if (target.AsInt() > 0) {
        *port = static_cast<int>(target.AsInt());
      }
    }
    if (selector.empty()) return out;
    for (const RunningPod& p : pods) {
      bool match = true;
      for (const auto& [k, v] : selector) {
        auto it = p.labels.find(k);
        match &= it != p.labels.end() && it->second == v;
      }
      if (!match) continue;
      if (!named_target.empty()) {
        auto it = p.named_ports.find(named_target);
        if (it == p.named_ports.end()) continue;
        *port = it->second;
      }
      add(p);
    }
    return out;
  }
  return absl::NotFoundError(absl::StrCat("service/", spec.resource_name, " is not part of this run"));
}

std::optional<portforward::Target> KubectlDeployer::DirectTarget(const RunningPodRef& pod,
                                                                 int port) {
  if (!options_.forward_direct || pod.ip.empty()) return std::nullopt;
  {
    absl::MutexLock lock(&mu_);
    if (direct_unreachable_) return std::nullopt;
  }
  const portforward::Target target{pod.ip, port};
  // A pod on this machine: wait until its app listens (as seen in the pod's
  // own network namespace), so that neither path forwards to a closed port.
  auto owner = pod.port_owner.find(port);
  auto id = pod.container_ids.find(owner != pod.port_owner.end() ? owner->second
                                                                 : pod.first_container);
  std::optional<containerfs::ContainerProcess> here;
  if (id != pod.container_ids.end()) here = ProcessHere(id->second);
  if (here.has_value()) {
    const absl::Time give_up = absl::Now() + options_.answer_wait;
    while (true) {
      absl::StatusOr<bool> listens = containerfs::ListensOn(*here, port);
      if (!listens.ok() || *listens) break;
      if (absl::Now() > give_up) {
        DEVLOOP_LOG(WARNING) << "port forward: pod " << pod.name << " does not listen on port "
                             << port << " after " << absl::FormatDuration(options_.answer_wait)
                             << "; forwarding to it anyway";
        break;
      }
      {
        absl::MutexLock lock(&mu_);
        if (cleaned_up_) return std::nullopt;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  if (portforward::ProbeTcp(target, absl::Milliseconds(300)) == portforward::Reach::kAnswers) {
    return target;
  }
  DEVLOOP_VLOG(1) << "pod " << pod.name << " at " << target
                  << " does not answer from here: forwards go through kubectl";
  absl::MutexLock lock(&mu_);
  direct_unreachable_ = true;
  return std::nullopt;
}

absl::StatusOr<std::pair<std::unique_ptr<process::Process>, int>> KubectlDeployer::StartTunnel(
    const RunningPodRef& pod, int port) {
  struct Seen {
    absl::Mutex mu;
    int local_port = 0;
    std::string error;
  };
  auto seen = std::make_shared<Seen>();
  const std::string expect = absl::StrCat(" -> ", port);
  absl::StatusOr<std::unique_ptr<process::Process>> started = kubectl_.Start(
      {"port-forward", "--address=127.0.0.1", "--namespace=" + pod.ns, "pod/" + pod.name,
       absl::StrCat(":", port)},
      [seen](absl::string_view line) {
        // "Forwarding from 127.0.0.1:40123 -> 8080"
        absl::string_view rest = line;
        if (!absl::ConsumePrefix(&rest, "Forwarding from 127.0.0.1:")) return;
        int local = 0;
        if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &local)) return;
        absl::MutexLock lock(&seen->mu);
        if (seen->local_port == 0) seen->local_port = local;
      },
      [seen](absl::string_view line) {
        absl::MutexLock lock(&seen->mu);
        if (seen->error.empty()) seen->error = std::string(line);
      });
  if (!started.ok()) return started.status();
  absl::MutexLock lock(&seen->mu);
  auto answered = [&seen] { return seen->local_port != 0 || !seen->error.empty(); };
  seen->mu.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(20));
  if (seen->local_port == 0) {
    (*started)->Cancel();
    return domain::WithStatusCode(
        absl::UnavailableError(absl::StrCat(
            "kubectl port-forward to pod/", pod.name, ":", port, " did not start",
            seen->error.empty() ? "" : absl::StrCat(": ", seen->error))),
        StatusCode::kDeployKubectlUserErr);
  }
  return std::make_pair(*std::move(started), seen->local_port);
}

absl::StatusOr<domain::PortEvent> KubectlDeployer::PointForward(
    size_t index, const json::Json& cluster, Report report,
    const std::function<void(domain::PortEvent)>& on_event) {
  // One caller at a time (the status check's poll, the namespace watch and
  // ForwardPorts all move forwards), so a new pod gets one tunnel, not two,
  // and the events of one forward are reported in the order it moved.
  absl::MutexLock forwarding(&forward_mu_);
  absl::StatusOr<domain::PortEvent> event = PointForwardLocked(index, cluster);
  if (!event.ok()) return event;
  auto last = reported_.find(index);
  switch (report) {
    case Report::kAlways:
      reported_.insert_or_assign(index, *event);
      if (on_event) on_event(*event);
      break;
    case Report::kWhenMoved: {
      // Not reported yet: ForwardPorts reports it first. Unchanged: the API
      // already names the pod it reaches.
      if (last == reported_.end() || last->second == *event) break;
      last->second = *event;
      PortSink sink;
      {
        absl::MutexLock lock(&mu_);
        sink = on_forward_moved_;
      }
      if (sink) sink(*event);
      break;
    }
  }
  return event;
}

absl::StatusOr<domain::PortEvent> KubectlDeployer::PointForwardLocked(size_t index,
                                                                      const json::Json& cluster) {
  const ForwardEntry entry = Forward(index);
  const PortForwardSpec& spec = entry.spec;
  int port = spec.port;
  absl::StatusOr<std::vector<RunningPodRef>> candidates = ForwardCandidates(spec, cluster, &port);
  if (!candidates.ok()) return candidates.status();
  if (candidates->empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no ready pod behind ", spec.resource_type,
                                                      "/", spec.resource_name, " to forward to"));
  }
  std::optional<portforward::Target> kept;
  std::string pod_name;
  {
    absl::MutexLock lock(&mu_);
    auto it = tunnels_.find(index);
    // Kept while it reaches the best pod (the newest ready one): a rollout's
    // new pod takes the forward as soon as it is ready.
    const RunningPodRef& best = candidates->front();
    if (it != tunnels_.end() &&
        (it->second.watched == nullptr || !it->second.watched->ended()) &&
        absl::StrCat(best.ns, "/", best.name) == it->second.pod) {
      kept = it->second.target;
      pod_name = best.name;
    }
  }
  // The API names the pod and the container behind the port.
  auto named = [&](absl::StatusOr<domain::PortEvent> event,
                   const RunningPodRef& pod) -> absl::StatusOr<domain::PortEvent> {
    if (!event.ok()) return event;
    auto owner = pod.port_owner.find(port);
    event->pod_name = pod.name;
    event->container_name = owner != pod.port_owner.end() ? owner->second : pod.first_container;
    event->namespace_ = pod.ns;
    if (entry.report_as_pod) {
      event->resource_type = "pod";
      event->resource_name = pod.name;
    }
    if (!entry.port_name.empty()) event->port_name = entry.port_name;
    return event;
  };
  if (kept.has_value()) {
    for (const RunningPodRef& c : *candidates) {
      if (c.name == pod_name) {
        return named(forwards_.Point(static_cast<int>(index), spec, *kept, pod_name), c);
      }
    }
  }
  const RunningPodRef& best = candidates->front();
  Tunnel fresh;
  fresh.pod = absl::StrCat(best.ns, "/", best.name);
  if (std::optional<portforward::Target> direct = DirectTarget(best, port)) {
    fresh.target = *direct;
  } else {
    absl::StatusOr<std::pair<std::unique_ptr<process::Process>, int>> tunnel =
        StartTunnel(best, port);
    if (!tunnel.ok()) return tunnel.status();
    fresh.target = {"127.0.0.1", tunnel->second};
    fresh.watched = std::make_unique<Watched>(std::move(tunnel->first));
  }
  absl::StatusOr<domain::PortEvent> event =
      named(forwards_.Point(static_cast<int>(index), spec, fresh.target, best.name), best);
  if (!event.ok()) return event.status();
  Tunnel old;
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) return absl::CancelledError("the run is ending");
    old = std::move(tunnels_[index]);
    tunnels_[index] = std::move(fresh);
  }
  // `old` stops here, after the listener already sends new connections on.
  return event;
}

KubectlDeployer::ForwardEntry KubectlDeployer::Forward(size_t index) {
  absl::MutexLock lock(&mu_);
  return forward_entries_[index];
}

size_t KubectlDeployer::ForwardCount() {
  absl::MutexLock lock(&mu_);
  return forward_entries_.size();
}

std::vector<size_t> KubectlDeployer::AutoForwardsOf(int64_t deploy_id) {
  std::vector<size_t> numbers;
  if (!options_.auto_forwards.any()) return numbers;
  Applied a;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it == deployments_.end()) return numbers;
    a = it->second;
  }
  std::vector<PortForwardSpec> user = options_.port_forwards;
  for (PortForwardSpec& u : user) u.namespace_name = Namespace(u.namespace_name);
  if (options_.debug.enabled && options_.debug.forward_ports) {
    // --port-forward=pods,debug: a debug port is forwarded once, as a debug one.
    for (const DebugWorkload& w : a.debugged) {
      for (const auto& [container, c] : w.containers) {
        for (const auto& [name, port] : c.ports) {
          user.push_back({.resource_type = absl::AsciiStrToLower(w.kind),
                          .resource_name = w.name,
                          .namespace_name = w.namespace_name,
                          .port = static_cast<int>(port)});
        }
      }
    }
  }
  std::set<std::string> namespaces;
  for (const ObjectRef& o : a.objects) namespaces.insert(o.namespace_name);
  for (const std::string& ns : namespaces) {
    // The Services' ports and the pod templates as applied.
    absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
    if (!cluster.ok()) {
      DEVLOOP_LOG(WARNING) << "cannot read what to forward in namespace " << ns << ": "
                           << cluster.status().message();
      continue;
    }
    for (const AutoForward& f : AutoForwards(options_.auto_forwards, a.objects, *cluster, user)) {
      absl::MutexLock lock(&mu_);
      auto [it, added] = auto_forward_numbers_.emplace(f.key, forward_entries_.size());
      if (added) {
        forward_entries_.push_back({f.spec, f.report_as_pod});
        Claim(absl::StrCat("auto:", f.key), it->second, f.spec);
      }
      numbers.push_back(it->second);
    }
  }
  return numbers;
}

std::vector<size_t> KubectlDeployer::DebugForwardsOf(int64_t deploy_id) {
  std::vector<size_t> numbers;
  absl::MutexLock lock(&mu_);
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end()) return numbers;
  for (const DebugWorkload& w : it->second.debugged) {
    // The kinds whose pods a forward finds and follows (a CronJob's pods
    // belong to Jobs of generated names).
    if (w.kind == "CronJob") {
      DEVLOOP_LOG(WARNING) << "the debug ports of CronJob " << w.name
                           << " are not forwarded; use kubectl port-forward to its pod";
      continue;
    }
    const std::string type = absl::AsciiStrToLower(w.kind);
    for (const auto& [container, c] : w.containers) {
      for (const auto& [name, port] : c.ports) {
        const std::string key =
            absl::StrCat(type, "/", w.namespace_name, "/", w.name, "/", container, "/", name);
        auto [number, added] = debug_forward_numbers_.emplace(key, forward_entries_.size());
        if (added) {
          forward_entries_.push_back({.spec = {.resource_type = type,
                                               .resource_name = w.name,
                                               .namespace_name = w.namespace_name,
                                               .port = static_cast<int>(port),
                                               .local_port = static_cast<int>(port)},
                                      .report_as_pod = true,
                                      .port_name = name});
          Claim(absl::StrCat("debug:", key), number->second, forward_entries_.back().spec);
        }
        numbers.push_back(number->second);
      }
    }
  }
  return numbers;
}

void KubectlDeployer::RetargetForwards(const std::string& ns, const json::Json& cluster) {
  const size_t count = ForwardCount();
  for (size_t i = 0; i < count; ++i) {
    const ForwardEntry entry = Forward(i);
    if (Namespace(entry.spec.namespace_name) != ns) continue;
    {
      absl::MutexLock lock(&mu_);
      if (!tunnels_.count(i)) continue;  // not started yet: ForwardPorts starts it
    }
    absl::StatusOr<domain::PortEvent> moved = PointForward(i, cluster, Report::kWhenMoved);
    if (!moved.ok()) DEVLOOP_VLOG(1) << "forward " << i << " not moved yet: " << moved.status();
  }
}

std::vector<domain::PortEvent> KubectlDeployer::ForwardPorts(int64_t deploy_id) {
  std::vector<domain::PortEvent> events;
  StreamPortForwards(deploy_id, [&events](domain::PortEvent e) { events.push_back(std::move(e)); });
  return events;
}

void KubectlDeployer::StreamPortForwards(
    int64_t deploy_id, const std::function<void(domain::PortEvent)>& on_event) {
  const bool debug_forwards = options_.debug.enabled && options_.debug.forward_ports;
  // The replaced deployer's automatic forwards this deployment does not make
  // again (its object is gone) close, before the forwards of this one bind:
  // a forward that takes over the local port of one that closes gets it.
  auto drop_unclaimed = [this] {
    std::map<std::string, Adoptable> unclaimed;
    {
      absl::MutexLock lock(&mu_);
      unclaimed.swap(adoptable_);
    }
    // Closed here, outside the lock: each joins its I/O thread.
  };
  if (options_.port_forwards.empty() && !options_.auto_forwards.any() && !debug_forwards) {
    drop_unclaimed();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    forwarding_.insert(deploy_id);
  }
  // The configured forwards, then what this deployment adds.
  std::vector<size_t> numbers;
  for (size_t i = 0; i < options_.port_forwards.size(); ++i) numbers.push_back(i);
  for (size_t i : AutoForwardsOf(deploy_id)) numbers.push_back(i);
  if (debug_forwards) {
    for (size_t i : DebugForwardsOf(deploy_id)) numbers.push_back(i);
  }
  drop_unclaimed();
  for (size_t i : numbers) {
    const ForwardEntry entry = Forward(i);
    const PortForwardSpec& spec = entry.spec;
    const std::string ns = Namespace(spec.namespace_name);
    // Right after an apply no pod may be ready yet: wait for one, as a user's
    // `kubectl port-forward` would have to.
    const absl::Time give_up = absl::Now() + options_.forward_wait;
    absl::StatusOr<domain::PortEvent> event = absl::UnknownError("not tried");
    while (true) {
      absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
      event = cluster.ok() ? PointForward(i, *cluster, Report::kAlways, on_event)
                           : absl::StatusOr<domain::PortEvent>(cluster.status());
      if (event.ok() || event.status().code() != absl::StatusCode::kFailedPrecondition ||
          absl::Now() > give_up) {
        break;
      }
      {
        absl::MutexLock lock(&mu_);
        if (cleaned_up_) break;
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
    if (!event.ok()) {
      DEVLOOP_LOG(WARNING) << "cannot forward " << spec.resource_type << "/" << spec.resource_name
                           << ":" << spec.port << " (deployment " << deploy_id
                           << "): " << event.status().message();
    }
  }
  absl::MutexLock lock(&mu_);
  forwarding_.erase(deploy_id);
}

absl::Status KubectlDeployer::Delete(Phase phase, const std::vector<ObjectRef>& objects,
                                     bool wait) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> names;
  for (const ObjectRef& o : objects) names[{o.namespace_name, KindArg(o)}].push_back(o.name);
  for (const auto& [where, list] : names) {
    std::vector<std::string> args = {"delete", where.second};
    args.insert(args.end(), list.begin(), list.end());
    args.push_back("--namespace=" + where.first);
    args.push_back("--ignore-not-found");
    args.push_back(wait ? "--wait=true" : "--wait=false");
    args.insert(args.end(), options_.delete_flags.begin(), options_.delete_flags.end());
    absl::StatusOr<std::string> out = kubectl_.Run(phase, "deleting objects", args);
    if (!out.ok()) return out.status();
  }
  return absl::OkStatus();
}

absl::Status KubectlDeployer::Stop(int64_t deploy_id) {
  std::vector<ObjectRef> gone;
  {
    absl::MutexLock lock(&mu_);
    auto it = deployments_.find(deploy_id);
    if (it == deployments_.end()) return absl::OkStatus();
    std::set<std::string> kept;
    for (const auto& [id, a] : deployments_) {
      if (id == deploy_id) continue;
      for (const ObjectRef& o : a.objects) kept.insert(ObjectKey(o));
    }
    for (const ObjectRef& o : it->second.objects) {
      if (!kept.count(ObjectKey(o))) gone.push_back(o);
    }
    deployments_.erase(it);
  }
  if (gone.empty()) return absl::OkStatus();
  return Delete(Phase::kDeploy, gone, /*wait=*/false);
}

absl::StatusOr<KubectlDeployer::ImageTarget> KubectlDeployer::TargetOf(int64_t deploy_id,
                                                                        const std::string& image) {
  ImageTarget target;
  absl::MutexLock lock(&mu_);
  auto it = deployments_.find(deploy_id);
  if (it == deployments_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("deployment ", deploy_id, " is not live"));
  }
  const Applied& a = it->second;
  auto ref = a.images.find(image);
  if (ref == a.images.end()) {
    return absl::FailedPreconditionError(absl::StrCat(image, " is not deployed"));
  }
  target.ref = ref->second;
  for (const ObjectRef& o : a.objects) target.namespaces.insert(o.namespace_name);
  return target;
}

absl::Status KubectlDeployer::Sync(int64_t deploy_id, const std::string& image,
                                   const SyncRequest& request) {
  absl::StatusOr<ImageTarget> target = TargetOf(deploy_id, image);
  if (!target.ok()) return target.status();
  const std::string& ref = target->ref;
  const std::set<std::string>& namespaces = target->namespaces;
  // The archive for `kubectl exec … tar x`, made only when a container needs
  // it (not when every copy goes straight through /proc).
  std::optional<std::string> tar;
  auto archive = [&]() -> absl::StatusOr<std::string> {
    if (!tar.has_value()) {
      std::vector<docker::FileCopy> files;
      for (const SyncRequest::Copy& c : request.copies) files.push_back({c.host_path, c.dest});
      absl::StatusOr<std::string> made = docker::TarFiles(files);
      if (!made.ok()) return made.status();
      tar = *std::move(made);
    }
    return *tar;
  };
  // Runs `command` in `container` of `pod`. An image without that tool on its
  // PATH but with /bin/busybox (FROM scratch + busybox) gets busybox's; which
  // containers need that is remembered, so a sync costs one kubectl exec.
  auto exec = [&](const RunningPod& pod, const std::string& container,
                  const std::vector<std::string>& command, const std::string& what,
                  std::optional<std::string> input) -> absl::Status {
    const std::string key = absl::StrCat(pod.ns, "/", pod.name, "/", container);
    bool busybox;
    {
      absl::MutexLock lock(&mu_);
      busybox = busybox_tools_.count(key) > 0;
    }
    std::vector<std::string> args = {"exec", "-i", "--namespace=" + pod.ns, pod.name,
                                     "-c",   container, "--"};
    if (busybox) args.push_back("/bin/busybox");
    args.insert(args.end(), command.begin(), command.end());
    absl::StatusOr<std::string> out = kubectl_.Run(Phase::kDeploy, what, args, input);
    if (out.ok() || busybox ||
        !absl::StrContains(out.status().message(), "executable file not found")) {
      return out.status();
    }
    args.insert(args.end() - command.size(), "/bin/busybox");
    out = kubectl_.Run(Phase::kDeploy, what, args, std::move(input));
    if (out.ok()) {
      absl::MutexLock lock(&mu_);
      busybox_tools_.insert(key);
    }
    return out.status();
  };
  // Copies into every started container of `pods` running the artifact.
  auto sync_into = [&](const std::vector<RunningPod>& pods, int* synced) -> absl::Status {
    for (const RunningPod& pod : pods) {
      if (pod.terminating) continue;
      for (const auto& [container, container_image] : pod.containers) {
        if (container_image != ref || !pod.started.count(container)) continue;
        auto id = pod.container_ids.find(container);
        if (id != pod.container_ids.end()) {
          absl::Status direct = SyncOnThisNode(id->second, request);
          if (direct.ok()) {
            ++*synced;
            continue;
          }
          DEVLOOP_VLOG(1) << "syncing into pod/" << pod.name << " with kubectl exec: "
                          << direct.message();
        }
        if (!request.copies.empty()) {
          absl::StatusOr<std::string> made = archive();
          if (!made.ok()) return made.status();
          absl::Status s = exec(pod, container, {"tar", "xmf", "-", "-C", "/"},
                                absl::StrCat("copying files into pod/", pod.name), *made);
          if (!s.ok()) return s;
        }
        if (!request.deletes.empty()) {
          std::vector<std::string> rm = {"rm", "-rf", "--"};
          rm.insert(rm.end(), request.deletes.begin(), request.deletes.end());
          absl::Status s = exec(pod, container, rm,
                                absl::StrCat("deleting files in pod/", pod.name), std::nullopt);
          if (!s.ok()) return s;
        }
        ++*synced;
      }
    }
    return absl::OkStatus();
  };
  int synced = 0;
  for (const std::string& ns : namespaces) {
    // The pods as the namespace watch last saw them; read afresh when there is
    // no such view, or when it was stale (a pod gone, none found).
    std::optional<json::Json> known;
    {
      absl::MutexLock lock(&mu_);
      auto it = known_pods_.find(ns);
      if (it != known_pods_.end()) known = it->second;
    }
    int here = 0;
    absl::Status s = known.has_value() ? sync_into(RunningPods(*known), &here)
                                       : absl::NotFoundError("no view of the pods yet");
    if (!s.ok() || here == 0) {
      absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
      if (!cluster.ok()) return cluster.status();
      here = 0;
      s = sync_into(RunningPods(*cluster), &here);
      if (!s.ok()) return s;
    }
    synced += here;
  }
  if (synced == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no running pod of deployment ", deploy_id, " runs ", ref));
  }
  return absl::OkStatus();
}

absl::Status KubectlDeployer::Exec(int64_t deploy_id, const std::string& image,
                                   const std::vector<std::string>& command,
                                   const std::function<void(absl::string_view line)>& on_output) {
  absl::StatusOr<ImageTarget> target = TargetOf(deploy_id, image);
  if (!target.ok()) return target.status();
  const std::string& ref = target->ref;
  const std::set<std::string>& namespaces = target->namespaces;
  int ran = 0;
  for (const std::string& ns : namespaces) {
    absl::StatusOr<json::Json> cluster = ReadCluster(Phase::kDeploy, ns);
    if (!cluster.ok()) return cluster.status();
    for (const RunningPod& pod : RunningPods(*cluster)) {
      if (pod.terminating) continue;
      for (const auto& [container, container_image] : pod.containers) {
        if (container_image != ref || !pod.started.count(container)) continue;
        std::vector<std::string> args = {"exec", "--namespace=" + ns, pod.name, "-c", container,
                                         "--"};
        args.insert(args.end(), command.begin(), command.end());
        absl::StatusOr<std::string> out = kubectl_.Run(
            Phase::kDeploy,
            absl::StrCat("running `", absl::StrJoin(command, " "), "` in pod/", pod.name), args);
        if (!out.ok()) {
          return absl::AbortedError(absl::StrCat("`", absl::StrJoin(command, " "), "` in pod/",
                                                 pod.name, " container ", container,
                                                 " failed: ", out.status().message()));
        }
        if (on_output) {
          for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
            on_output(line);
          }
        }
        ++ran;
      }
    }
  }
  if (ran == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no running pod of deployment ", deploy_id, " runs ", ref));
  }
  return absl::OkStatus();
}

std::optional<containerfs::ContainerProcess> KubectlDeployer::ProcessHere(
    const std::string& container_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = processes_.find(container_id);
    if (it != processes_.end()) return it->second;
  }
  absl::StatusOr<containerfs::ContainerProcess> found =
      containerfs::FindContainerProcess(container_id);
  absl::MutexLock lock(&mu_);
  if (found.ok()) {
    processes_[container_id] = *found;
    return *found;
  }
  // NotFound: it runs elsewhere (remembered); other errors are tried again.
  if (found.status().code() == absl::StatusCode::kNotFound) processes_[container_id] = std::nullopt;
  return std::nullopt;
}

absl::Status KubectlDeployer::SyncOnThisNode(const std::string& container_id,
                                             const SyncRequest& request) {
  if (!options_.sync_on_this_node) return absl::UnimplementedError("turned off");
  std::optional<containerfs::ContainerProcess> known = ProcessHere(container_id);
  if (!known.has_value()) return absl::NotFoundError("the container does not run on this machine");
  absl::StatusOr<containerfs::RootFs> root = containerfs::OpenContainerRoot(*known);
  if (!root.ok()) {
    // Its process changed (a restart): find it by the container's id again.
    {
      absl::MutexLock lock(&mu_);
      processes_.erase(container_id);
    }
    known = ProcessHere(container_id);
    if (!known.has_value()) return absl::NotFoundError("the container does not run on this machine");
    root = containerfs::OpenContainerRoot(*known);
  }
  if (!root.ok()) return root.status();
  for (const SyncRequest::Copy& c : request.copies) {
    if (absl::Status s = root->CopyFile(c.host_path, c.dest); !s.ok()) return s;
  }
  for (const std::string& path : request.deletes) {
    if (absl::Status s = root->Remove(path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void KubectlDeployer::PruneTakenOver(const std::vector<ObjectRef>& applied) {
  std::vector<ObjectRef> gone;
  {
    absl::MutexLock lock(&mu_);
    if (taken_over_.empty()) return;
    std::set<std::string> kept;
    for (const ObjectRef& o : applied) kept.insert(ObjectKey(o));
    for (ObjectRef& o : taken_over_) {
      if (!kept.count(ObjectKey(o))) gone.push_back(std::move(o));
    }
    taken_over_.clear();
  }
  if (gone.empty()) return;
  DEVLOOP_LOG(INFO) << "deleting " << gone.size()
                    << " object(s) the replaced config applied and this one no longer has";
  absl::Status deleted = Delete(Phase::kDeploy, gone, /*wait=*/false);
  if (deleted.ok()) return;
  DEVLOOP_LOG(WARNING) << "cannot delete what the replaced config applied (tried again at the "
                          "next deploy): "
                       << deleted.message();
  absl::MutexLock lock(&mu_);
  taken_over_.insert(taken_over_.end(), gone.begin(), gone.end());
}

bool KubectlDeployer::MakesForward(absl::string_view key) const {
  if (absl::StartsWith(key, "auto:service/")) return options_.auto_forwards.services;
  if (absl::StartsWith(key, "auto:")) return options_.auto_forwards.pods;
  if (absl::StartsWith(key, "debug:")) {
    return options_.debug.enabled && options_.debug.forward_ports;
  }
  return false;
}

void KubectlDeployer::Claim(const std::string& key, size_t index, const PortForwardSpec& spec) {
  auto it = adoptable_.find(key);
  if (it == adoptable_.end()) return;
  Adoptable adopted = std::move(it->second);
  adoptable_.erase(it);
  if (adopted.listening.spec != spec) return;  // changed: it closes, Point starts afresh
  if (!forwards_.AdoptAt(static_cast<int>(index), std::move(adopted.listening))) return;
  if (adopted.tunnel.has_value()) tunnels_[index] = std::move(*adopted.tunnel);
}

KubectlDeployer::Handover KubectlDeployer::HandOver() {
  Handover handover;
  std::vector<std::unique_ptr<NamespaceWatch>> watches;
  {
    absl::MutexLock lock(&mu_);
    cleaned_up_ = true;  // a forward waiting for a pod gives up; no follower starts
    // A deploy the replaced loop left under way finishes first, so that what
    // it applies is handed over too.
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return deploying_ == 0; };
    mu_.Await(absl::Condition(&idle));
    watches.swap(watches_);
  }
  // Before forward_mu_: a watch may be moving a forward.
  for (std::unique_ptr<NamespaceWatch>& w : watches) {
    {
      absl::MutexLock lock(&w->mu);
      w->stop = true;
    }
    w->thread.join();
  }
  // After a PointForward under way: it stores no tunnel from now on.
  absl::MutexLock forwarding(&forward_mu_);
  std::map<size_t, Tunnel> tunnels;
  std::vector<ForwardEntry> entries;
  std::map<size_t, std::string> keys;  // forward number -> its automatic key
  {
    absl::MutexLock lock(&mu_);
    handed_over_ = true;
    handover.run_id_ = options_.run_id;
    // Every object of every live deployment (a redeploy's old one may not be
    // stopped yet), and what this deployer took over and had not yet pruned.
    std::set<std::string> seen;
    auto add = [&](const ObjectRef& o) {
      if (seen.insert(ObjectKey(o)).second) handover.objects_.push_back(o);
    };
    for (auto it = deployments_.rbegin(); it != deployments_.rend(); ++it) {
      for (const ObjectRef& o : it->second.objects) add(o);
    }
    for (const ObjectRef& o : taken_over_) add(o);
    deployments_.clear();
    taken_over_.clear();
    handover.kinds_ = kinds_;
    handover.namespaces_ = namespaces_;
    handover.context_namespace_ = context_namespace_;
    handover.direct_unreachable_ = direct_unreachable_;
    handover.debugging_.swap(debugging_);
    handover.followers_.swap(followers_);
    tunnels.swap(tunnels_);
    entries = forward_entries_;
    for (const auto& [key, number] : auto_forward_numbers_) keys[number] = "auto:" + key;
    for (const auto& [key, number] : debug_forward_numbers_) keys[number] = "debug:" + key;
    // Forwards this deployer took over and never claimed go on unclaimed.
    for (auto& [key, a] : adoptable_) {
      handover.forwards_.push_back({.entry = {.spec = a.listening.spec},
                                    .key = key,
                                    .adoptable = std::move(a)});
    }
    adoptable_.clear();
    handover.route_ = route_;
  }
  for (auto& [number, listening] : forwards_.ReleaseNumbered()) {
    const size_t index = static_cast<size_t>(number);
    Handover::Forward f;
    f.entry = index < entries.size() ? entries[index] : ForwardEntry{.spec = listening.spec};
    if (auto key = keys.find(index); key != keys.end()) f.key = key->second;
    f.adoptable.listening = std::move(listening);
    if (auto t = tunnels.find(index); t != tunnels.end()) {
      f.adoptable.tunnel = std::move(t->second);
      tunnels.erase(t);
    }
    handover.forwards_.push_back(std::move(f));
  }
  api_.Stop();
  return handover;  // `tunnels` left behind belong to no listening forward: they stop here
}

absl::Status KubectlDeployer::TakeOver(Handover handover) {
  if (handover.run_id_ != options_.run_id) {
    return absl::InvalidArgumentError(absl::StrCat("the deployer of run ", options_.run_id,
                                                   " cannot take over what run ",
                                                   handover.run_id_, " applied"));
  }
  std::vector<Handover::Forward> closing;  // closed outside the lock
  {
    absl::MutexLock lock(&mu_);
    if (cleaned_up_) {
      return domain::WithStatusCode(absl::CancelledError("the run is being cleaned up"),
                                    StatusCode::kDeployCancelled);
    }
    // The followers' lines, those of earlier configs' too, go to this
    // deployer's sink from now on; the followers it starts share the route,
    // so that the next reload moves them all.
    if (handover.route_ != nullptr) {
      handover.route_->MoveTo(&tail_);
      route_ = handover.route_;
    }
    taken_over_ = std::move(handover.objects_);
    kinds_.insert(handover.kinds_.begin(), handover.kinds_.end());
    if (context_namespace_.empty()) context_namespace_ = handover.context_namespace_;
    direct_unreachable_ = direct_unreachable_ || handover.direct_unreachable_;
    debugging_.merge(handover.debugging_);
    followers_.merge(handover.followers_);
    // Watched as they were: logs of new pods there are followed before the
    // first deploy, and the run's cleanup covers them.
    for (const std::string& ns : handover.namespaces_) {
      if (namespaces_.insert(ns).second) StartWatch(ns);
    }
    std::set<size_t> taken;
    for (Handover::Forward& f : handover.forwards_) {
      if (!f.key.empty()) {
        // An automatic forward waits for the first ForwardPorts to claim it,
        // unless this config never makes one of its kind: that one closes now,
        // since with no forwarding at all no ForwardPorts comes to drop it.
        if (MakesForward(f.key)) {
          adoptable_.emplace(f.key, std::move(f.adoptable));
        } else {
          closing.push_back(std::move(f));
        }
        continue;
      }
      // A configured forward: the first of this config's with the same spec.
      bool adopted = false;
      for (size_t i = 0; i < options_.port_forwards.size() && !adopted; ++i) {
        if (taken.count(i) || forward_entries_[i].spec != f.entry.spec) continue;
        std::optional<Tunnel> tunnel = std::move(f.adoptable.tunnel);
        if (!forwards_.AdoptAt(static_cast<int>(i), std::move(f.adoptable.listening))) break;
        taken.insert(i);
        if (tunnel.has_value()) tunnels_[i] = std::move(*tunnel);
        adopted = true;
      }
      if (!adopted) closing.push_back(std::move(f));
    }
  }
  return absl::OkStatus();
}

absl::Status KubectlDeployer::Cleanup(bool remove) {
  std::vector<std::unique_ptr<NamespaceWatch>> watches;
  std::map<std::string, Follower> followers;
  std::map<size_t, Tunnel> tunnels;
  std::set<std::string> kinds, namespaces;
  std::map<std::string, domain::DebuggingContainerEvent> debugging;
  DebugSink debug_sink;
  std::map<std::string, Adoptable> adoptable;
  {
    absl::MutexLock lock(&mu_);
    // What runs is the next deployer's now.
    if (handed_over_) return absl::OkStatus();
    cleaned_up_ = true;
    adoptable.swap(adoptable_);
    debugging.swap(debugging_);
    debug_sink = on_debug_;
    watches.swap(watches_);
    followers.swap(followers_);
    tunnels.swap(tunnels_);
    kinds = kinds_;
    namespaces = namespaces_;
  }
  for (std::unique_ptr<NamespaceWatch>& w : watches) {
    {
      absl::MutexLock lock(&w->mu);
      w->stop = true;
    }
    w->thread.join();
  }
  forwards_.CloseAll();
  tunnels.clear();
  adoptable.clear();
  followers.clear();
  api_.Stop();
  if (debug_sink) {
    // What the run leaves (or removes) runs under no debugger of this run's.
    for (auto& [key, e] : debugging) {
      e.status = std::string(debug::DebugStatusName(debug::DebugStatus::kTerminated));
      debug_sink(std::move(e));
    }
  }
  if (!remove || kinds.empty()) return absl::OkStatus();
  absl::Status result;
  for (const std::string& ns : namespaces) {
    std::vector<std::string> args = {"delete", absl::StrJoin(kinds, ","), "--namespace=" + ns,
                                     "-l", RunSelector(options_.run_id), "--ignore-not-found",
                                     "--wait=false"};
    args.insert(args.end(), options_.delete_flags.begin(), options_.delete_flags.end());
    absl::StatusOr<std::string> out = kubectl_.Run(Phase::kCleanup, "cleaning up", args);
    if (!out.ok()) result.Update(out.status());
  }
  return result;
}

}  // namespace devloop::deploy::kubectl
