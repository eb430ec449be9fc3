#include "apps/replay/replay.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/json.h"
#include "infra/apimap/apimap.h"
#include "infra/apimap/record_line.h"

namespace devloop::replay {
namespace {

namespace d = ::devloop::domain;

// One phase while its iteration is open: the status of each of its items
// (artifacts built, images synced) and the times of its first and last event.
struct PhaseTracker {
  std::map<std::string, std::string> items;
  std::optional<absl::Time> first;
  absl::Time last;

  void Note(const std::string& item, const std::string& status, absl::Time at) {
    items[item] = status;
    if (!first) first = at;
    last = at;
  }

  PhaseSummary Summary() const {
    PhaseSummary s;
    if (!first) return s;
    s.duration = last - *first;
    // Failed if any item failed; In Progress while any runs; else the (shared)
    // final status of them all.
    bool running = false;
    for (const auto& [item, status] : items) {
      if (status == d::kStatusFailed) {
        s.outcome = std::string(d::kStatusFailed);
        return s;
      }
      if (status == d::kStatusInProgress) running = true;
    }
    s.outcome = running ? std::string(d::kStatusInProgress) : items.begin()->second;
    return s;
  }
};

struct OpenIteration {
  IterationSummary summary;
  absl::Time started;
  absl::Time last;
  PhaseTracker build, sync, deploy, status_check;

  IterationSummary Finish() {
    summary.duration = last - started;
    summary.build = build.Summary();
    summary.sync = sync.Summary();
    summary.deploy = deploy.Summary();
    summary.status_check = status_check.Summary();
    return summary;
  }
};

std::string PhasesOf(const d::PhasesReset& r) {
  std::vector<std::string> phases;
  if (r.build) phases.push_back("build");
  if (r.sync) phases.push_back("sync");
  if (r.deploy) phases.push_back("deploy");
  return absl::StrCat("execute (", absl::StrJoin(phases, ", "), ")");
}

class Summarizer {
 public:
  explicit Summarizer(bool control_records) : control_records_(control_records) {}

  void Add(const d::Record& record) {
    if (const auto* p = std::get_if<d::PhasesReset>(&record)) {
      pending_trigger_ = PhasesOf(*p);
    } else if (const auto* t = std::get_if<d::TriggerChanged>(&record)) {
      if (t->enabled) pending_trigger_ = absl::StrCat("auto ", PhaseName(t->phase), " on");
    } else if (const auto* e = std::get_if<d::LogEntry>(&record)) {
      Add(*e);
    }
  }

  std::vector<IterationSummary> Finish() {
    if (open_) {
      open_->summary.outcome = std::string(d::kStatusInProgress);
      done_.push_back(open_->Finish());
      open_.reset();
    }
    return std::move(done_);
  }

 private:
  static std::string PhaseName(d::Phase phase) {
    std::ostringstream os;
    os << phase;
    return os.str();
  }

  void Add(const d::LogEntry& e) {
    if (const auto* loop = std::get_if<d::DevLoopEvent>(&e.event)) {
      OnDevLoop(*loop, e.timestamp);
      return;
    }
    if (!open_) return;
    open_->last = e.timestamp;
    if (const auto* b = std::get_if<d::BuildEvent>(&e.event)) {
      open_->build.Note(b->artifact, b->status, e.timestamp);
    } else if (const auto* s = std::get_if<d::FileSyncEvent>(&e.event)) {
      open_->sync.Note(s->image, s->status, e.timestamp);
    } else if (const auto* dep = std::get_if<d::DeployEvent>(&e.event)) {
      open_->deploy.Note("", dep->status, e.timestamp);
    } else if (const auto* c = std::get_if<d::StatusCheckEvent>(&e.event)) {
      open_->status_check.Note("", c->status, e.timestamp);
    } else if (std::holds_alternative<d::ResourceStatusCheckEvent>(e.event)) {
      // Part of the status check: it lasts until its resources' last word.
      if (open_->status_check.first) open_->status_check.last = e.timestamp;
    }
  }

  void OnDevLoop(const d::DevLoopEvent& e, absl::Time at) {
    if (e.status == d::kStatusInProgress) {
      if (open_) {  // a loop replaced mid-iteration never closes it
        open_->summary.outcome = std::string(d::kStatusInProgress);
        done_.push_back(open_->Finish());
      }
      open_.emplace();
      open_->summary.iteration = e.iteration;
      open_->started = at;
      open_->last = at;
      open_->summary.trigger = TriggerOf(e.iteration);
      pending_trigger_.clear();
      return;
    }
    if (!open_ || open_->summary.iteration != e.iteration) return;
    open_->last = at;
    open_->summary.outcome = e.status;
    if (e.err.has_value()) open_->summary.error = e.err->message;
    done_.push_back(open_->Finish());
    open_.reset();
  }

  std::string TriggerOf(int32_t iteration) {
    // Iteration 0 is a loop's first: the session's start, or a new loop after
    // the config changed.
    if (iteration == 0) return starts_++ == 0 ? "start" : "config reload";
    if (!pending_trigger_.empty()) return pending_trigger_;
    // A log with the control records says when an intent or a trigger started
    // an iteration; without one, the watcher did. /v1/events cannot tell.
    return control_records_ ? "file change" : "";
  }

  const bool control_records_;
  std::string pending_trigger_;
  int starts_ = 0;
  std::optional<OpenIteration> open_;
  std::vector<IterationSummary> done_;
};

// To the millisecond: "3.005s", "120ms", "0".
std::string DurationText(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
}

std::string Cell(const PhaseSummary& phase) {
  if (phase.outcome.empty()) return "-";
  if (phase.outcome == d::kStatusInProgress) return phase.outcome;
  return absl::StrCat(phase.outcome, " ", DurationText(phase.duration));
}

absl::StatusOr<std::string> ReadInput(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    if (std::cin.bad()) return absl::DataLossError("cannot read stdin");
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", file, ": ", std::strerror(errno)));
  }
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", file));
  return text.str();
}

}  // namespace

absl::StatusOr<ParsedLog> ParseEventLog(absl::string_view name, absl::string_view text) {
  ParsedLog log;
  int64_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    const bool complete = end != absl::string_view::npos;
    const absl::string_view line = text.substr(0, end);
    text.remove_prefix(complete ? end + 1 : text.size());
    if (line.find_first_not_of(" \t\r") == absl::string_view::npos) continue;
    absl::StatusOr<d::Record> record = apimap::FromEventLogLine(line);
    if (!record.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ":", line_number, ": ", record.status().message(),
          complete ? "" : " (the last line is incomplete: was its writer killed mid-line?)"));
    }
    if (!std::holds_alternative<d::LogEntry>(*record)) ++log.control_records;
    log.records.push_back(*std::move(record));
  }
  if (log.records.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": no records; want the file `devloop dev --event-log-file` writes, or the "
              "NDJSON of GET /v1/events"));
  }
  return log;
}

std::string StateJson(const domain::State& state) { return api::ToJson(apimap::ToProto(state)); }

std::vector<IterationSummary> Summarize(const std::vector<domain::Record>& records) {
  const bool control_records =
      std::any_of(records.begin(), records.end(),
                  [](const d::Record& r) { return !std::holds_alternative<d::LogEntry>(r); });
  Summarizer summarizer(control_records);
  for (const d::Record& record : records) summarizer.Add(record);
  return summarizer.Finish();
}

std::string FormatSummary(const std::vector<IterationSummary>& iterations) {
  std::vector<std::vector<std::string>> rows = {{"ITERATION", "TRIGGER", "RESULT", "DURATION",
                                                 "BUILD", "SYNC", "DEPLOY", "STATUS CHECK",
                                                 "ERROR"}};
  for (const IterationSummary& it : iterations) {
    rows.push_back({absl::StrCat(it.iteration), it.trigger.empty() ? "-" : it.trigger, it.outcome,
                    DurationText(it.duration), Cell(it.build), Cell(it.sync), Cell(it.deploy),
                    Cell(it.status_check), it.error});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, absl::StrFormat("%-*s", widths[i] + 2, row[i]));
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const PhaseSummary& phase) {
  return os << (phase.outcome.empty() ? "-" : phase.outcome) << "/"
            << DurationText(phase.duration);
}

std::ostream& operator<<(std::ostream& os, const IterationSummary& it) {
  return os << "{" << it.iteration << " trigger=\"" << it.trigger << "\" " << it.outcome << " "
            << DurationText(it.duration) << " build=" << it.build << " sync=" << it.sync
            << " deploy=" << it.deploy << " statusCheck=" << it.status_check << " error=\""
            << it.error << "\"}";
}

int Run(const Options& options, std::ostream& out, std::ostream& err) {
  const std::string name = options.file == "-" ? "stdin" : options.file;
  absl::StatusOr<std::string> text = ReadInput(options.file);
  if (!text.ok()) {
    err << "devloop replay: " << text.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<ParsedLog> log = ParseEventLog(name, *text);
  if (!log.ok()) {
    err << "devloop replay: " << log.status().message() << "\n";
    return 1;
  }
  const std::string table = FormatSummary(Summarize(log->records));
  switch (options.output) {
    case Options::Output::kJson:
      out << StateJson(domain::Replay(log->records)) << "\n";
      err << table;
      break;
    case Options::Output::kTable:
      out << table;
      break;
  }
  out.flush();
  return out.good() ? 0 : 1;
}

}  // namespace devloop::replay
