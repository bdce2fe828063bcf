// The payments area's storage: the repository interface the payment rules (payments.hpp) use, and the
// listing filter. An adapter implements it in src/storage/<adapter>/payments.cpp. One instance belongs to
// one Transaction and to the thread that uses it.
//
// A stored payment never holds a card number or a CVC: the row has no column that could (the brand, the
// last four, the expiry, the fingerprint and the gateway's token only). The adapter keeps each request
// idempotency key on at most one payment, and serves listings by status and by customer from indexes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/payment.hpp"

namespace billing {

/// Which payments a listing returns: those in `status` and of `customer_id`, when given.
struct PaymentFilter {
  std::optional<PaymentStatus> status{};
  std::optional<std::string> customer_id{};
};

/// Payment rows and their history. A payment's identity, amount, customer, method, accounts, description,
/// metadata and request key never change; its status moves along k_payment_transitions with its version one
/// higher each time. History rows are append-only. Every function that writes throws InvariantViolation
/// for a row the rules could never produce, and stores nothing then.
class PaymentRepository {
 public:
  virtual ~PaymentRepository() = default;

  /// Stores a new payment. Returns false, storing nothing, when a payment with its id exists. Throws
  /// InvariantViolation (field "idempotency_key") when another payment holds its request key, and unless
  /// it is VALIDATED at version 1 with no attempt, created when updated, with a positive amount.
  [[nodiscard]] virtual bool insert(const Payment& payment) = 0;
  /// The payment with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Payment> find(const PaymentId& id) = 0;
  /// The payment created under request idempotency key `key`, or nullopt.
  [[nodiscard]] virtual std::optional<Payment> find_by_request_key(std::string_view key) = 0;
  /// Replaces the stored row of payment.id with `payment` (its status and the fields that move with it:
  /// attempts, next_attempt_at, attempt_started_at, gateway_reference, failure_reason, entry_id,
  /// processed_at, version, updated_at) and appends `change` to its history. Throws InvariantViolation when
  /// no payment has the id at version payment.version - 1 in status change.from, when change does not say
  /// from -> payment.status at payment.version, when k_payment_transitions refuses it, or when `payment`
  /// differs from the stored row in a field that never changes. Leaves the row unchanged then.
  virtual void update(const Payment& payment, const PaymentChange& change) = 0;
  /// The history of `id`, oldest first; empty when there is none.
  [[nodiscard]] virtual std::vector<PaymentChange> history(const PaymentId& id) = 0;
  /// Up to `limit` payments that match `filter`, whose id sorts after `after` (from the start when empty),
  /// in id order.
  [[nodiscard]] virtual std::vector<Payment> list(const PaymentFilter& filter, const std::string& after,
                                                  std::size_t limit) = 0;
};

}  // namespace billing
