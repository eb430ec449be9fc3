// File helpers for end-to-end tests: read, write and edit files the dev loop
// watches, with errors that name the file.
//
//   DEVLOOP_RETURN_IF_ERROR(ReplaceInFile(dir + "/www/index.html", "Hello", "Bye"));
//
// Free functions: thread-safe for different files.
#ifndef DEVLOOP_TESTING_E2E_FILES_H_
#define DEVLOOP_TESTING_E2E_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::e2e {

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Replaces the file's contents in one write(2) of the whole text, as an editor
// saving does (the watcher sees one modification).
absl::Status WriteFile(const std::string& path, absl::string_view contents);

absl::Status AppendToFile(const std::string& path, absl::string_view text);

// Replaces every occurrence of `from` with `to`. Returns NotFound if `from` does
// not occur, so a test whose fixture drifted fails loudly instead of editing
// nothing.
absl::Status ReplaceInFile(const std::string& path, absl::string_view from, absl::string_view to);

// Creates a fresh directory under $TEST_TMPDIR (or /tmp), named after `prefix`.
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

}  // namespace devloop::e2e

#endif  // DEVLOOP_TESTING_E2E_FILES_H_
