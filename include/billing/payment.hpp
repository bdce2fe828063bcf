// Payment: a validated payment request as the store keeps it, with a status that moves through a table
// of allowed changes (k_payment_transitions), a version that grows with every change, and the history of
// those changes. What a stored payment keeps of its card is the brand, the last four digits, the expiry,
// a keyed fingerprint and the gateway's token: never the number or the CVC (PCI DSS 3.3.1, 3.4.1, 3.5.1).
//
// These are plain values and pure functions: the rules that create and move payments live in
// payments.hpp, the gateway they charge through in payment_gateway.hpp. Safe to share between threads.
//
//   payment_transition_allowed(PaymentStatus::validated, PaymentStatus::processing);   // true
//   payment_transition_allowed(PaymentStatus::failed, PaymentStatus::processing);      // false: final
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/account.hpp"
#include "billing/entry.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/payment_validation.hpp"
#include "billing/time.hpp"

namespace billing {

struct PaymentIdTag {
  static constexpr std::string_view k_field = "payment_id";
};
using PaymentId = Id<PaymentIdTag>;

/// Where a payment is in its life (docs/payments.md, "Life cycle"):
///   validated -> processing       process() sends a charge (attempt n)
///   processing -> processed       the gateway approved; the ledger entry posts in the same unit of work
///   processing -> failed          the gateway declined; final
///   processing -> validated       an error with attempts left: a retry is scheduled on the job queue
///   processing -> dead_lettered   an error on the last attempt
///   processing -> unknown         a timeout (or an exception) after the charge left: only the gateway knows
///   unknown -> processed | failed | validated | dead_lettered   reconcile() asks the gateway
///   dead_lettered -> validated    redrive(), with its attempts reset
/// processed and failed are final. A processing payment whose charge outlived PaymentOptions::charge_timeout
/// (its process died mid-charge) is reconciled as an unknown one.
enum class PaymentStatus : std::uint8_t { validated, processing, processed, failed, unknown, dead_lettered };

inline constexpr PaymentStatus k_payment_statuses[] = {PaymentStatus::validated, PaymentStatus::processing,
                                                       PaymentStatus::processed, PaymentStatus::failed,
                                                       PaymentStatus::unknown,   PaymentStatus::dead_lettered};

/// The allowed status changes, read row (from) by column (to). The adapters refuse every other.
///
///   from \ to       VALIDATED PROCESSING PROCESSED FAILED UNKNOWN DEAD_LETTERED
///   VALIDATED           .         x          .        .      .          .
///   PROCESSING          x         .          x        x      x          x
///   PROCESSED           .         .          .        .      .          .
///   FAILED              .         .          .        .      .          .
///   UNKNOWN             x         .          x        x      .          x
///   DEAD_LETTERED       x         .          .        .      .          .
inline constexpr std::array<std::array<bool, 6>, 6> k_payment_transitions = {{
    {false, true, false, false, false, false},
    {true, false, true, true, true, true},
    {false, false, false, false, false, false},
    {false, false, false, false, false, false},
    {true, false, true, true, false, true},
    {true, false, false, false, false, false},
}};

/// Whether the table above allows `from` -> `to`. False for a value that is not a PaymentStatus.
[[nodiscard]] constexpr bool payment_transition_allowed(PaymentStatus from, PaymentStatus to) noexcept {
  const auto row = static_cast<std::size_t>(from);
  const auto column = static_cast<std::size_t>(to);
  return row < k_payment_transitions.size() && column < k_payment_transitions.size() &&
         k_payment_transitions[row][column];
}

/// The allowed (from, to) pairs of k_payment_transitions, row by row.
[[nodiscard]] std::vector<std::pair<PaymentStatus, PaymentStatus>> payment_transitions();

[[nodiscard]] std::string_view to_string(PaymentStatus status) noexcept;

/// What a stored payment keeps of a bank account: the IBAN's country and its last four characters.
struct BankAccountDetails {
  std::string country{};    ///< two upper-case letters: "DE"
  std::string last_four{};  ///< upper case: "3000"

  friend bool operator==(const BankAccountDetails&, const BankAccountDetails&) = default;
};

/// The longest texts a payment keeps from its gateway and its host, in bytes of UTF-8.
inline constexpr std::size_t k_max_gateway_token_bytes = 255;
inline constexpr std::size_t k_max_gateway_reference_bytes = 255;
inline constexpr std::size_t k_max_payment_reason_bytes = 1024;
inline constexpr std::size_t k_max_payment_key_bytes = 255;  ///< a request idempotency key

/// A payment as stored.
struct Payment {
  PaymentId id;
  std::string customer_id{};
  std::optional<std::string> email{};
  Money amount;  ///< more than zero
  PaymentStatus status = PaymentStatus::validated;
  std::optional<CardDetails> card{};                ///< brand, last four and expiry, for a card payment
  std::optional<BankAccountDetails> bank_account{};  ///< country and last four, for an IBAN payment
  /// HMAC-SHA256 under the host's secret (PaymentOptions::fingerprint_secret) of the card number or IBAN,
  /// as 64 lower-case hex digits, so that a repeat card can be recognised without keeping it; empty when
  /// the host gave no secret.
  std::string fingerprint{};
  std::string gateway_token{};               ///< what the gateway's tokenize() returned
  std::optional<std::string> request_key{};  ///< the request idempotency key it was created under
  AccountId debit_account;                   ///< debited by the amount once processed (the clearing account)
  AccountId credit_account;                  ///< credited (the customer's receivable, or revenue)
  std::string description{};
  Metadata metadata{};
  std::uint32_t attempts = 0;      ///< charges sent so far
  std::uint32_t max_attempts = 3;  ///< charges allowed before the payment is dead-lettered
  /// Validated after a failed attempt (or a redrive): when run_due() sends the next charge.
  std::optional<Timestamp> next_attempt_at{};
  std::optional<Timestamp> attempt_started_at{};  ///< when the last charge left
  std::string gateway_reference{};                ///< processed: the gateway's id for the charge
  std::string failure_reason{};                   ///< failed: the decline; otherwise the last error
  std::optional<EntryId> entry_id{};              ///< processed: the ledger entry
  std::optional<Timestamp> processed_at{};
  std::uint64_t version = 1;  ///< 1 when created; one more with every change of status
  Timestamp created_at{};
  Timestamp updated_at{};

  /// The idempotency key every charge of this payment carries: "payment:" and the id. The same on every
  /// attempt, so that a gateway which honours keys never charges twice.
  [[nodiscard]] std::string charge_key() const { return "payment:" + id.str(); }

  friend bool operator==(const Payment&, const Payment&) = default;
};

/// One status change of a payment, as its history keeps it.
struct PaymentChange {
  PaymentId payment_id;
  PaymentStatus from{};
  PaymentStatus to{};
  Timestamp at{};
  std::string reason{};     ///< what happened: "attempt 2", the decline, the error, "redriven"
  std::uint64_t version{};  ///< the payment's version after the change: 2 for the first change
  std::uint32_t attempt{};  ///< the payment's attempts after the change

  friend bool operator==(const PaymentChange&, const PaymentChange&) = default;
};

}  // namespace billing
