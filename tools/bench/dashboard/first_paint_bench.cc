// The dashboard's first paint on a long event log: devloop's HTTP server (the
// hub, the gateway, the embedded page) in this process on loopback, with a log
// of --events entries shaped like a real session (iterations of builds, syncs,
// deploys and status checks), opened --runs times in a real headless Chromium
// (testing/browser). For each run it reports, from the start of the
// navigation: first contentful paint (the page's own markup), and the time
// until the whole log is folded and shown (every iteration row rendered); and,
// as the floor those stand on, the first contentful paint of a one-line page
// in the same browser just before (a data: URL: the browser's own floor).
// Each run opens the page twice: cold (the site's first page in that browser)
// and warm (again, as a user reopens the dashboard). --url=URL measures
// another page the same way, for comparison (a one-line page on another
// server, say).
//
//   bazel build -c opt //tools/bench/dashboard:first_paint_bench
//   bazel-bin/tools/bench/dashboard/first_paint_bench --events=1000 --runs=5
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "domain/events/event.h"
#include "domain/state/state.h"
#include "infra/control/control.h"
#include "infra/http/http_server.h"
#include "infra/hub/hub.h"
#include "testing/browser/browser.h"

namespace devloop::bench {
namespace {

namespace d = ::devloop::domain;

// Appends iterations until the log holds `events` entries; returns how many
// iterations it made.
int FillLog(hub::Hub* hub, int events) {
  absl::Time t = absl::FromUnixSeconds(1'796'000'000);
  auto add = [&](d::Event e, std::string entry) {
    t += absl::Milliseconds(40);
    hub->Append(d::LogEntry{t, std::move(e), std::move(entry)});
  };
  hub->Append(d::PipelineStarted{{"web", "api"}});
  add(d::MetaEvent{"Starting devloop", std::nullopt}, "Starting devloop");
  int written = 1, iteration = 0;
  while (written < events) {
    add(d::DevLoopEvent{iteration, "In Progress"}, "Update initiated");
    if (iteration % 4 == 0) {
      for (const char* image : {"web", "api"}) {
        add(d::BuildEvent{.artifact = image, .status = "In Progress"},
            absl::StrCat("Build started for artifact ", image));
        add(d::BuildEvent{.artifact = image, .status = "Complete"},
            absl::StrCat("Build completed for artifact ", image));
      }
      add(d::DeployEvent{.status = "In Progress"}, "Deploy started");
      add(d::DeployEvent{.status = "Complete"}, "Deploy completed");
      add(d::StatusCheckEvent{.status = "In Progress"}, "Status check started");
      add(d::ResourceStatusCheckEvent{.resource = "container/web", .status = "Succeeded",
                                      .message = "ready"},
          "container/web is ready");
      add(d::StatusCheckEvent{.status = "Succeeded"}, "Status check succeeded");
      written += 9;
    } else {
      add(d::FileSyncEvent{.file_count = 1, .image = "web:abc", .status = "In Progress"},
          "File sync started for 1 files for web:abc");
      add(d::FileSyncEvent{.file_count = 1, .image = "web:abc", .status = "Succeeded"},
          "File sync succeeded for 1 files for web:abc");
      written += 2;
    }
    add(d::DevLoopEvent{iteration, "Succeeded"}, "Update succeeded");
    written += 2;
    ++iteration;
  }
  return iteration;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

int Run(int argc, char** argv) {
  int events = 1000, runs = 5;
  std::string other_url;  // --url: measure another page's first paint instead (a baseline)
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a.substr(0, 9) == "--events=") {
      events = std::atoi(argv[i] + 9);
    } else if (a.substr(0, 6) == "--url=") {
      other_url = std::string(a.substr(6));
    } else if (a.substr(0, 7) == "--runs=") {
      runs = std::atoi(argv[i] + 7);
    } else {
      std::fprintf(stderr, "unknown argument %s (--events=N --runs=N)\n", argv[i]);
      return 2;
    }
  }
  hub::Hub hub;
  const int iterations = FillLog(&hub, events);
  control::HubControl control(&hub);
  auto server = http::HttpServer::Start({.port = 0}, &hub, &control);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  const std::string url =
      other_url.empty() ? absl::StrCat("http://127.0.0.1:", (*server)->port(), "/") : other_url;
  // The page keeps the newest 200 iterations as rows.
  const int rows = std::min(iterations, 200);
  std::printf("log: %d entries, %d iterations; page %s\n", events, iterations, url.c_str());
  std::printf("run  open   first-contentful-paint  whole-log-shown\n");
  // Per kind of open: first contentful paints and whole-log times.
  std::vector<double> floors, cold_fcps, cold_shown, warm_fcps, warm_shown;
  for (int r = 0; r < runs; ++r) {
    // A fresh browser each run: nothing cached.
    auto browser = browser::Browser::Start();
    if (!browser.ok()) {
      std::fprintf(stderr, "browser: %s\n", std::string(browser.status().message()).c_str());
      return 1;
    }
    // A browser that has painted once (as a user's has): its first page pays
    // Chromium's own start-up (fonts, the compositor's first frame), not the page's.
    if (absl::Status s = (*browser)->Open("data:text/html,<p>warm</p>"); !s.ok()) {
      std::fprintf(stderr, "open: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    absl::StatusOr<absl::Duration> floor = (*browser)->WaitForFirstContentfulPaint();
    if (floor.ok()) floors.push_back(Ms(*floor));
    // Opens the page and records its paint and, for the dashboard, when the
    // last iteration row appeared (on the page's clock).
    auto open = [&](const char* kind, std::vector<double>* fcps,
                    std::vector<double>* shown) -> bool {
      if (absl::Status s = (*browser)->Open(url); !s.ok()) {
        std::fprintf(stderr, "open: %s\n", std::string(s.message()).c_str());
        return false;
      }
      absl::StatusOr<absl::Duration> fcp = (*browser)->WaitForFirstContentfulPaint();
      absl::Status full = absl::OkStatus();
      if (other_url.empty()) {
        full = (*browser)->WaitUntil(absl::StrCat(
            "document.querySelectorAll('#iterations tbody tr').length === ", rows,
            " && (window.shownAt = window.shownAt || performance.now())"));
      } else {
        full = (*browser)->Execute("window.shownAt = performance.now(); return 0;").status();
      }
      absl::StatusOr<google::protobuf::Value> at = (*browser)->Execute("return window.shownAt;");
      if (!fcp.ok() || !full.ok() || !at.ok()) {
        std::fprintf(stderr, "measure: %s %s\n", std::string(fcp.status().message()).c_str(),
                     std::string(full.message()).c_str());
        return false;
      }
      fcps->push_back(Ms(*fcp));
      shown->push_back(at->number_value());
      absl::StatusOr<browser::PageTiming> timing = (*browser)->Timing();
      std::printf("%3d  %-5s %18.1f ms  %12.1f ms   (first byte %.1f ms, DOMContentLoaded %.1f ms)\n",
                  r + 1, kind, fcps->back(), shown->back(),
                  timing.ok() ? Ms(timing->response_start) : -1.0,
                  timing.ok() ? Ms(timing->dom_content_loaded) : -1.0);
      return true;
    };
    // Cold: the first page of this site, so Chromium starts a renderer for
    // it. Warm: the same page again, as a user reopens or reloads the
    // dashboard (the renderer is there; the files revalidate with 304s).
    if (!open("cold", &cold_fcps, &cold_shown) || !open("warm", &warm_fcps, &warm_shown)) return 1;
    (void)(*browser)->Close();
  }
  auto median = [](std::vector<double> v) {
    if (v.empty()) return -1.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("median: cold open: first contentful paint %.1f ms, whole log shown %.1f ms; "
              "warm open: first contentful paint %.1f ms, whole log shown %.1f ms; "
              "a one-line data: page's first contentful paint in the same browser %.1f ms\n",
              median(cold_fcps), median(cold_shown), median(warm_fcps), median(warm_shown),
              median(floors));
  hub.Close();
  (*server)->Shutdown(absl::Seconds(2));
  return 0;
}

}  // namespace
}  // namespace devloop::bench

int main(int argc, char** argv) { return devloop::bench::Run(argc, argv); }
