// Status propagation macros (Debian's Abseil 20220623 has none).
//
//   absl::StatusOr<Config> Load(absl::string_view path) {
//     DEVLOOP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     DEVLOOP_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }
#ifndef DEVLOOP_DOMAIN_BASE_STATUS_MACROS_H_
#define DEVLOOP_DOMAIN_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the enclosing function if it is not OK.
#define DEVLOOP_RETURN_IF_ERROR(expr)                        \
  do {                                                       \
    ::absl::Status devloop_status_ = (expr);                 \
    if (!devloop_status_.ok()) return devloop_status_;       \
  } while (false)

#define DEVLOOP_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define DEVLOOP_STATUS_MACROS_CONCAT_(a, b) DEVLOOP_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, otherwise moves the value into `lhs` (a declaration or an
// lvalue).
#define DEVLOOP_ASSIGN_OR_RETURN(lhs, rexpr) \
  DEVLOOP_ASSIGN_OR_RETURN_IMPL_(            \
      DEVLOOP_STATUS_MACROS_CONCAT_(devloop_statusor_, __LINE__), lhs, rexpr)

#define DEVLOOP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // DEVLOOP_DOMAIN_BASE_STATUS_MACROS_H_
