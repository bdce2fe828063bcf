// The PostgreSQL payment rows (tables `payments` and `payment_history`, see migrations/v5_payments.inc)
// and the repository over them. Internal to the adapter.
//
// Writers in other processes run at once (READ COMMITTED): in a write transaction find() locks the row it
// returns (FOR UPDATE), so the version and status a caller checks are still the row's when it updates it,
// and update() moves the row only from the version and status it names; a payment that may not exist yet
// is locked by its id or request key (Session::lock_key) before it is looked for, so two creates of one
// payment take turns.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/payment_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

/// The SQL of each listing (no filter, by status, by customer, by both), then of find by request key, find,
/// update and history, for the adapter's tests (EXPLAIN).
[[nodiscard]] std::vector<std::string> payment_reads_for_testing();

class Payments final : public PaymentRepository {
 public:
  explicit Payments(Session& session) noexcept : session_(session) {}

  bool insert(const Payment& payment) override;
  std::optional<Payment> find(const PaymentId& id) override;
  std::optional<Payment> find_by_request_key(std::string_view key) override;
  void update(const Payment& payment, const PaymentChange& change) override;
  std::vector<PaymentChange> history(const PaymentId& id) override;
  std::vector<Payment> list(const PaymentFilter& filter, const std::string& after, std::size_t limit) override;

 private:
  /// The payment `id`, read with `sql` (plain or FOR UPDATE), or nullopt.
  std::optional<Payment> find_with(Connection& connection, const std::string& sql, const PaymentId& id);
  /// In a write transaction, locks the request key `key` until the transaction ends, unless it holds it already.
  void lock_request_key(std::string_view key);

  Session& session_;
  std::string locked_request_key_;  // the last request key this transaction locked
  bool request_key_locked_ = false;
};

}  // namespace billing::detail::postgres
