// Early-return helpers for absl::Status / absl::StatusOr (this Abseil version has none).
//
//   TG_RETURN_IF_ERROR(DoThing());
//   TG_ASSIGN_OR_RETURN(auto value, ComputeThing());
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TG_STATUS_CONCAT_INNER_(a, b) a##b
#define TG_STATUS_CONCAT_(a, b) TG_STATUS_CONCAT_INNER_(a, b)

#define TG_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::absl::Status tg_status_ = (expr);             \
    if (!tg_status_.ok()) return tg_status_;        \
  } while (false)

#define TG_ASSIGN_OR_RETURN(lhs, expr) \
  TG_ASSIGN_OR_RETURN_IMPL_(TG_STATUS_CONCAT_(tg_statusor_, __LINE__), lhs, expr)

#define TG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
