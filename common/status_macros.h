// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef GRIDBENCH_COMMON_STATUS_MACROS_H_
#define GRIDBENCH_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` is not OK.
#define GB_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    const ::absl::Status gb_status_ = (expr);    \
    if (!gb_status_.ok()) return gb_status_;     \
  } while (0)

#define GB_CONCAT_INNER_(a, b) a##b
#define GB_CONCAT_(a, b) GB_CONCAT_INNER_(a, b)

// `lhs` = value of the StatusOr `expr`, or return its status.
#define GB_ASSIGN_OR_RETURN(lhs, expr) \
  GB_ASSIGN_OR_RETURN_IMPL_(GB_CONCAT_(gb_statusor_, __LINE__), lhs, expr)
#define GB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#endif  // GRIDBENCH_COMMON_STATUS_MACROS_H_
