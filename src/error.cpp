#include "billing/error.hpp"

#include <fmt/format.h>

namespace billing {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unknown_currency: return "unknown_currency";
    case ErrorCode::invalid_amount: return "invalid_amount";
    case ErrorCode::currency_mismatch: return "currency_mismatch";
    case ErrorCode::overflow: return "overflow";
    case ErrorCode::division_by_zero: return "division_by_zero";
    case ErrorCode::storage: return "storage";
    case ErrorCode::invariant_violation: return "invariant_violation";
    case ErrorCode::misuse: return "misuse";
    case ErrorCode::idempotency_mismatch: return "idempotency_mismatch";
    case ErrorCode::idempotency_conflict: return "idempotency_conflict";
  }
  return "unknown";
}

Error::Error(ErrorCode code, std::string field, const std::string& message)
    : std::runtime_error(field.empty() ? message : fmt::format("{}: {}", field, message)),
      code_(code),
      field_(std::move(field)) {}

namespace detail {
void assertion_failed(const char* condition, const char* file, int line) {
  throw InvariantViolation("", fmt::format("assertion failed: {} ({}:{})", condition, file, line));
}
}  // namespace detail

}  // namespace billing
