// The dashboard's files (infra/http/dashboard/), compiled into the binary by
// tools/build_defs/embed_assets.sh so the HTTP server serves them without a
// build step or a file on disk.
//
//   for (const EmbeddedAsset& a : DashboardAssets()) ...  // {"/", "text/html; ...", "<!doctype..."}
//
// Thread-safe: immutable after first use.
#ifndef DEVLOOP_INFRA_HTTP_DASHBOARD_ASSETS_H_
#define DEVLOOP_INFRA_HTTP_DASHBOARD_ASSETS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace devloop::http {

struct EmbeddedAsset {
  absl::string_view path;  // the URL path it is served at
  absl::string_view content_type;
  absl::string_view body;
};

const std::vector<EmbeddedAsset>& DashboardAssets();

}  // namespace devloop::http

#endif  // DEVLOOP_INFRA_HTTP_DASHBOARD_ASSETS_H_
