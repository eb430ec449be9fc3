#include "testing/e2e/example.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "testing/e2e/files.h"

namespace devloop::e2e {
namespace fs = std::filesystem;

std::string ExamplesRoot() {
  if (const char* override_dir = getenv("DEVLOOP_EXAMPLES")) return override_dir;
  if (const char* srcdir = getenv("TEST_SRCDIR")) {
    const char* workspace = getenv("TEST_WORKSPACE");
    return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "devloop",
                        "/testing/examples");
  }
  return "testing/examples";
}

absl::StatusOr<int> PlaceBusybox(const std::string& root, const std::string& busybox) {
  std::error_code ec;
  if (!fs::is_regular_file(busybox, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        busybox, " not found: install Debian's busybox-static (tools/setup.sh does)"));
  }
  int placed = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename() != "Dockerfile") continue;
    fs::path dst = it->path().parent_path() / "busybox";
    fs::copy_file(busybox, dst, fs::copy_options::overwrite_existing, ec);
    if (ec) break;
    fs::permissions(dst, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec,
                    ec);
    if (ec) break;
    ++placed;
  }
  if (ec) return absl::UnknownError(absl::StrCat("placing busybox under ", root, ": ", ec.message()));
  return placed;
}

absl::StatusOr<std::string> CopyExample(absl::string_view name) {
  fs::path src = fs::path(ExamplesRoot()) / std::string(name);
  std::error_code ec;
  if (!fs::is_directory(src, ec)) {
    return absl::NotFoundError(absl::StrCat(
        "example ", name, " not found at ", src.string(),
        "; add data = [\"//testing/examples:", name, "\"] to the test target"));
  }
  absl::StatusOr<std::string> parent = MakeTempDir(absl::StrCat("example-", name));
  if (!parent.ok()) return parent.status();
  fs::path dst = fs::path(*parent) / std::string(name);
  // Runfiles are symlinks into the output tree; copy what they point to.
  fs::copy(src, dst, fs::copy_options::recursive, ec);
  if (ec) {
    return absl::UnknownError(
        absl::StrCat("copying ", src.string(), " to ", dst.string(), ": ", ec.message()));
  }
  // Sources may arrive read-only; tests edit them.
  for (auto it = fs::recursive_directory_iterator(dst, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_write, fs::perm_options::add, ec);
  }
  if (ec) return absl::UnknownError(absl::StrCat("making ", dst.string(), " writable: ", ec.message()));
  absl::StatusOr<int> placed = PlaceBusybox(dst.string());
  if (!placed.ok()) return placed.status();
  if (*placed == 0) {
    return absl::FailedPreconditionError(absl::StrCat("example ", name, " has no Dockerfile"));
  }
  return dst.string();
}

}  // namespace devloop::e2e
