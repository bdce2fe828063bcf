// Failures: what a caller cannot plan around, thrown as exceptions under billing::Error.
//
// Expected outcomes (a rejected entry, an invalid card) are values, not exceptions; see result.hpp.
// Every exception carries an ErrorCode to switch on and, for bad input, the name of the field at fault.
// Messages are for humans; never branch on what(). Exceptions are immutable and safe to share between threads.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace billing {

/// What went wrong, for code to switch on. Python sees the same names as billing.ErrorCode.
enum class ErrorCode {
  invalid_argument,     ///< a field of the input is malformed; field() names it
  unknown_currency,     ///< a currency code that is neither ISO 4217 nor registered
  invalid_amount,       ///< an amount that is not a number, or has more places than allowed
  currency_mismatch,    ///< arithmetic or comparison across two currencies
  overflow,             ///< a result beyond the documented range of its type
  division_by_zero,     ///< a division or allocation by zero
  storage,              ///< the storage engine failed (I/O, corruption, a lock timeout)
  invariant_violation,  ///< a rule the library guarantees was found broken: a bug or tampering
  misuse,               ///< the API was called out of order (for example commit twice)
  idempotency_mismatch, ///< an idempotency key reused for another request (thrown by throwing wrappers)
  idempotency_conflict, ///< an idempotency key held by a request still in flight (thrown by throwing wrappers)
};

/// The name of a code, such as "currency_mismatch".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

/// The root of every exception the library throws.
class Error : public std::runtime_error {
 public:
  /// `field` names the input at fault ("amount", "currency"), or is empty when no one field is.
  Error(ErrorCode code, std::string field, const std::string& message);

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  ErrorCode code_;
  std::string field_;
};

#define BILLING_DEFINE_ERROR(Name, code_value)                                                                       \
  class Name : public Error {                                                                                        \
   public:                                                                                                           \
    Name(std::string field, const std::string& message) : Error(ErrorCode::code_value, std::move(field), message) {} \
  }

BILLING_DEFINE_ERROR(InvalidArgument, invalid_argument);
BILLING_DEFINE_ERROR(UnknownCurrency, unknown_currency);
BILLING_DEFINE_ERROR(InvalidAmount, invalid_amount);
BILLING_DEFINE_ERROR(CurrencyMismatch, currency_mismatch);
BILLING_DEFINE_ERROR(Overflow, overflow);
BILLING_DEFINE_ERROR(DivisionByZero, division_by_zero);
BILLING_DEFINE_ERROR(StorageError, storage);
BILLING_DEFINE_ERROR(InvariantViolation, invariant_violation);
BILLING_DEFINE_ERROR(Misuse, misuse);
BILLING_DEFINE_ERROR(IdempotencyMismatch, idempotency_mismatch);
BILLING_DEFINE_ERROR(IdempotencyConflict, idempotency_conflict);

#undef BILLING_DEFINE_ERROR

}  // namespace billing

/// Checks an invariant or precondition in every build type (TigerStyle: assertions stay on).
/// A failed check throws InvariantViolation naming the condition; it never aborts the host.
#define BILLING_ASSERT(condition)                                          \
  do {                                                                     \
    if (!(condition)) [[unlikely]]                                         \
      ::billing::detail::assertion_failed(#condition, __FILE__, __LINE__); \
  } while (false)

namespace billing::detail {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);
}  // namespace billing::detail
