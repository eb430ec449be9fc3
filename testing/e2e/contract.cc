#include "testing/e2e/contract.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/e2e/events_client.h"

namespace devloop::e2e {
namespace {

bool IsDevLoop(const proto::LogEntry& e, int iteration) {
  return e.event().has_devloopevent() && e.event().devloopevent().iteration() == iteration;
}

// An error naming what was wrong, where, and showing the iteration's entries.
absl::Status Mismatch(const std::vector<proto::LogEntry>& entries, const IterationSpan& span,
                      size_t at, const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat("entry ", at, ": ", what, "\niteration:\n",
                                                    Describe(entries, span.begin, span.end + 1)));
}

absl::Status CheckDevLoopBounds(const std::vector<proto::LogEntry>& entries,
                                const IterationSpan& span) {
  const proto::LogEntry& first = entries[span.begin];
  if (first.entry() != "Update initiated") {
    return Mismatch(entries, span, span.begin,
                    absl::StrCat("devLoopEvent In Progress has entry \"", first.entry(),
                                 "\", want \"Update initiated\""));
  }
  const proto::LogEntry& last = entries[span.end];
  if (last.event().devloopevent().status() != "Succeeded") {
    return Mismatch(entries, span, span.end,
                    absl::StrCat("the iteration ended ", last.event().devloopevent().status(),
                                 ", want Succeeded"));
  }
  if (last.entry() != "Update succeeded") {
    return Mismatch(entries, span, span.end,
                    absl::StrCat("devLoopEvent Succeeded has entry \"", last.entry(),
                                 "\", want \"Update succeeded\""));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Describe(const std::vector<proto::LogEntry>& entries, size_t begin, size_t end) {
  if (end > entries.size()) end = entries.size();
  std::vector<proto::LogEntry> part(entries.begin() + std::min(begin, end), entries.begin() + end);
  std::vector<std::string> kinds = Summaries(part);
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    absl::StrAppend(&out, "  [", begin + i, "] ", kinds[i], " \"", part[i].entry(), "\"\n");
  }
  return out;
}

absl::StatusOr<IterationSpan> FindIteration(const std::vector<proto::LogEntry>& entries,
                                            int iteration, size_t from) {
  IterationSpan span;
  size_t i = from;
  for (; i < entries.size(); ++i) {
    if (IsDevLoop(entries[i], iteration) &&
        entries[i].event().devloopevent().status() == "In Progress") {
      break;
    }
  }
  if (i == entries.size()) {
    return absl::NotFoundError(absl::StrCat("no devLoopEvent ", iteration,
                                            " In Progress from entry ", from, "; got:\n",
                                            Describe(entries, from)));
  }
  span.begin = i;
  for (++i; i < entries.size(); ++i) {
    if (IsDevLoop(entries[i], iteration) &&
        entries[i].event().devloopevent().status() != "In Progress") {
      span.end = i;
      return span;
    }
  }
  return absl::NotFoundError(absl::StrCat("iteration ", iteration, " did not end; got:\n",
                                          Describe(entries, span.begin)));
}

absl::Status CheckBuildIteration(const std::vector<proto::LogEntry>& entries,
                                 const BuildIterationSpec& spec) {
  absl::StatusOr<IterationSpan> found = FindIteration(entries, spec.iteration);
  if (!found.ok()) return found.status();
  const IterationSpan span = *found;
  auto bad = [&](size_t at, const std::string& what) { return Mismatch(entries, span, at, what); };
  if (spec.iteration == 0) {
    if (entries.empty() || !entries[0].event().has_metaevent()) {
      return bad(0, "the stream does not start with a metaEvent");
    }
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].event().has_metaevent()) {
        return bad(i, "a second metaEvent");
      }
    }
    if (span.begin != 1) {
      return bad(span.begin,
                      "iteration 0 does not follow the metaEvent directly");
    }
  }
  if (absl::Status s = CheckDevLoopBounds(entries, span); !s.ok()) return s;

  // The phases, in the order the contract gives them.
  enum class Phase { kBuilding, kDeploying, kDeployed };
  Phase phase = Phase::kBuilding;
  std::set<std::string> started, completed;
  std::map<std::string, int> ports_seen;
  std::map<std::string, std::string> debugging_seen;           // container -> runtime
  std::set<std::pair<std::string, std::string>> debug_ports;   // (container, port name) to forward
  std::set<std::pair<std::string, std::string>> debug_forwarded;
  bool check_started = false, check_succeeded = false;
  auto debugged = [&](size_t i) -> absl::Status {
    const proto::LogEntry& e = entries[i];
    const proto::DebuggingContainerEvent& d = e.event().debuggingcontainerevent();
    if (d.status() != "Started") return bad(i, absl::StrCat("debugging status ", d.status()));
    if (d.podname().empty() || d.artifact().empty() || d.debugports().empty()) {
      return bad(i, "a debugging container without podName, artifact or debugPorts");
    }
    std::map<std::string, uint32_t> ordered(d.debugports().begin(), d.debugports().end());
    std::string ports;
    for (const auto& [name, port] : ordered) {
      absl::StrAppend(&ports, ports.empty() ? "" : ", ", name, " ", port);
      debug_ports.emplace(d.containername(), name);
    }
    if (e.entry() != absl::StrCat("Debugging container ", d.containername(), " (", d.runtime(),
                                  ") on ", ports)) {
      return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
    }
    if (!debugging_seen.emplace(d.containername(), d.runtime()).second) {
      return bad(i, absl::StrCat("a second debugging container ", d.containername()));
    }
    return absl::OkStatus();
  };
  std::map<std::string, std::string> resources;  // last status of each
  const std::set<std::string> artifacts(spec.artifacts.begin(), spec.artifacts.end());
  for (size_t i = span.begin + 1; i < span.end; ++i) {
    const proto::LogEntry& e = entries[i];
    const proto::Event& ev = e.event();
    if (ev.has_buildevent()) {
      const proto::BuildEvent& b = ev.buildevent();
      if (phase != Phase::kBuilding) return bad(i, "a build after the deploy began");
      if (!artifacts.count(b.artifact())) {
        return bad(i, absl::StrCat("a build of unexpected artifact ", b.artifact()));
      }
      if (b.status() == "In Progress") {
        if (!started.insert(b.artifact()).second) {
          return bad(i, absl::StrCat(b.artifact(), " started twice"));
        }
        if (e.entry() != absl::StrCat("Build started for artifact ", b.artifact())) {
          return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
        }
      } else if (b.status() == "Complete") {
        if (!started.count(b.artifact()) || !completed.insert(b.artifact()).second) {
          return bad(i,
                          absl::StrCat(b.artifact(), " completed without starting, or twice"));
        }
        if (e.entry() != absl::StrCat("Build completed for artifact ", b.artifact())) {
          return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
        }
        if (b.errcode() != proto::StatusCode::OK &&
            b.errcode() != proto::StatusCode::BUILD_SUCCESS) {
          return bad(i, "a completed build carries an error code");
        }
      } else {
        return bad(i, absl::StrCat("build status ", b.status()));
      }
    } else if (ev.has_deployevent()) {
      const proto::DeployEvent& d = ev.deployevent();
      if (d.status() == "In Progress") {
        if (phase != Phase::kBuilding || completed != artifacts) {
          return bad(i, "the deploy started before every build completed");
        }
        if (e.entry() != "Deploy started") {
          return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
        }
        phase = Phase::kDeploying;
      } else if (d.status() == "Complete") {
        if (phase != Phase::kDeploying) return bad(i, "deploy Complete without In Progress");
        if (e.entry() != "Deploy completed") {
          return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
        }
        phase = Phase::kDeployed;
      } else {
        return bad(i, absl::StrCat("deploy status ", d.status()));
      }
    } else if (ev.has_debuggingcontainerevent()) {
      if (phase == Phase::kBuilding) return bad(i, "a debugging container before the deploy");
      if (absl::Status s = debugged(i); !s.ok()) return s;
    } else if (ev.has_portevent()) {
      const proto::PortEvent& p = ev.portevent();
      if (phase != Phase::kDeployed) return bad(i, "a portEvent before the deploy completed");
      if (e.entry() != absl::StrCat("Forwarding container ", p.containername(), " to local port ",
                                    p.localport())) {
        return bad(i, absl::StrCat("wrong entry text \"", e.entry(), "\""));
      }
      // A debugger's forward may come before its container is reported (once
      // the debugger listens).
      if (!p.portname().empty() && spec.debugging.contains(p.containername())) {
        if (!debug_forwarded.emplace(p.containername(), p.portname()).second) {
          return bad(i, absl::StrCat("a second forward of ", p.containername(), "'s debug port ",
                                     p.portname()));
        }
        continue;
      }
      if (!ports_seen.emplace(p.containername(), p.localport()).second) {
        return bad(i, absl::StrCat("a second portEvent for ", p.containername()));
      }
    } else if (ev.has_statuscheckevent()) {
      const std::string& status = ev.statuscheckevent().status();
      if (phase != Phase::kDeployed) return bad(i, "a status check before the deploy completed");
      if (status == "In Progress" && !check_started && !check_succeeded) {
        check_started = true;
      } else if (status == "Succeeded" && check_started && !check_succeeded) {
        check_succeeded = true;
      } else {
        return bad(i, absl::StrCat("status check ", status, " out of order"));
      }
    } else if (ev.has_resourcestatuscheckevent()) {
      const proto::ResourceStatusCheckEvent& r = ev.resourcestatuscheckevent();
      if (!check_started || check_succeeded) {
        return bad(i, "a resource status outside the status check");
      }
      std::string& last = resources[r.resource()];
      if (last == "Succeeded" || last == "Failed") {
        return bad(i, absl::StrCat(r.resource(), " reported after its final status"));
      }
      if (last == r.status()) {
        return bad(i, absl::StrCat(r.resource(), " repeated status ", r.status()));
      }
      last = r.status();
    } else {
      return bad(i, "an event that has no place in a build-and-deploy iteration");
    }
  }
  if (completed != artifacts) return bad(span.end, "not every artifact was built");
  if (phase != Phase::kDeployed) return bad(span.end, "the deploy did not complete");
  if (spec.may_follow) {
    for (size_t i = span.end + 1; i < entries.size(); ++i) {
      if (entries[i].event().has_devloopevent()) break;  // the next iteration's
      if (entries[i].event().has_debuggingcontainerevent()) {
        if (absl::Status s = debugged(i); !s.ok()) return s;
      }
    }
    for (size_t i = span.end + 1; i < entries.size(); ++i) {
      if (entries[i].event().has_devloopevent()) break;
      if (!entries[i].event().has_portevent()) continue;
      const proto::PortEvent& p = entries[i].event().portevent();
      if (!p.portname().empty() && spec.debugging.contains(p.containername())) {
        debug_forwarded.emplace(p.containername(), p.portname());
      } else {
        ports_seen.emplace(p.containername(), p.localport());
      }
    }
  }
  if (ports_seen != spec.ports) {
    std::string want, got;
    for (const auto& [c, p] : spec.ports) absl::StrAppend(&want, c, ":", p, " ");
    for (const auto& [c, p] : ports_seen) absl::StrAppend(&got, c, ":", p, " ");
    return bad(span.end,
                    absl::StrCat("port forwards: got {", got, "}, want {", want, "}"));
  }
  if (debugging_seen != spec.debugging) {
    std::string want, got;
    for (const auto& [c, r] : spec.debugging) absl::StrAppend(&want, c, ":", r, " ");
    for (const auto& [c, r] : debugging_seen) absl::StrAppend(&got, c, ":", r, " ");
    return bad(span.end, absl::StrCat("debugging containers: got {", got, "}, want {", want, "}"));
  }
  if (debug_forwarded != debug_ports) {
    return bad(span.end, absl::StrCat("forwarded ", debug_forwarded.size(), " of ",
                                      debug_ports.size(), " debug ports"));
  }
  if (!check_succeeded) return bad(span.end, "no status check Succeeded");
  for (const auto& [resource, status] : resources) {
    if (status != "Succeeded") {
      return bad(span.end, absl::StrCat(resource, " ended ", status));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CheckSyncIteration(const std::vector<proto::LogEntry>& entries,
                                               const SyncIterationSpec& spec) {
  absl::StatusOr<IterationSpan> found = FindIteration(entries, spec.iteration);
  if (!found.ok()) return found.status();
  const IterationSpan span = *found;
  auto bad = [&](size_t at, const std::string& what) { return Mismatch(entries, span, at, what); };
  if (absl::Status s = CheckDevLoopBounds(entries, span); !s.ok()) return s;
  if (span.end - span.begin != 3) {
    return bad(span.begin,
                    "a sync iteration holds exactly two fileSyncEvents between its devLoopEvents");
  }
  const proto::LogEntry& started = entries[span.begin + 1];
  const proto::LogEntry& done = entries[span.begin + 2];
  for (const proto::LogEntry* e : {&started, &done}) {
    if (!e->event().has_filesyncevent()) {
      return bad(e == &started ? span.begin + 1 : span.begin + 2,
                      "not a fileSyncEvent");
    }
  }
  const proto::FileSyncEvent& s = started.event().filesyncevent();
  const proto::FileSyncEvent& d = done.event().filesyncevent();
  if (s.status() != "In Progress" || d.status() != "Succeeded") {
    return bad(span.begin + 1,
                    absl::StrCat("file sync went ", s.status(), " -> ", d.status(),
                                 ", want In Progress -> Succeeded"));
  }
  if (s.image() != d.image() || !absl::StartsWith(s.image(), spec.image_prefix) ||
      s.image().size() <= spec.image_prefix.size()) {
    return bad(span.begin + 1,
                    absl::StrCat("synced image \"", s.image(), "\" / \"", d.image(),
                                 "\", want one tag of ", spec.image_prefix));
  }
  if (s.filecount() != spec.file_count || d.filecount() != spec.file_count) {
    return bad(span.begin + 1,
                    absl::StrCat("fileCount ", s.filecount(), "/", d.filecount(), ", want ",
                                 spec.file_count));
  }
  const std::string n = absl::StrCat(spec.file_count, " files for ", s.image());
  if (started.entry() != absl::StrCat("File sync started for ", n) ||
      done.entry() != absl::StrCat("File sync succeeded for ", n)) {
    return bad(span.begin + 1, "wrong entry texts");
  }
  return s.image();
}

std::vector<proto::PortEvent> PortEvents(const std::vector<proto::LogEntry>& entries,
                                         size_t begin) {
  std::vector<proto::PortEvent> out;
  for (size_t i = begin; i < entries.size(); ++i) {
    if (entries[i].event().has_portevent()) out.push_back(entries[i].event().portevent());
  }
  return out;
}

std::string DescribePorts(const std::vector<proto::PortEvent>& events) {
  std::vector<std::string> lines;
  for (const proto::PortEvent& e : events) {
    lines.push_back(absl::StrCat(e.resourcetype(), "/", e.resourcename(), ":", e.remoteport(),
                                 " -> ", e.address(), ":", e.localport(), " pod ", e.podname(),
                                 " container ", e.containername(), " ns ", e.namespace_()));
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace devloop::e2e
