// The SQLite payment rows (tables `payments` and `payment_history`, see migrations/v6_payments.inc) and the
// repository over them. Internal to the adapter.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/payment_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

/// The SQL of each listing (no filter, by status, by customer, by both), then of find by request key, find,
/// update and history, for the adapter's tests: each must be served by an index (EXPLAIN QUERY PLAN).
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
  Session& session_;
};

}  // namespace billing::detail::sqlite
