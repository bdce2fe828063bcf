// The PostgreSQL order rows (tables `orders`, `order_lines` and `order_history`, see
// migrations/v3_orders.inc) and the repository over them. Internal to the adapter.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/order_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

/// The SQL of each listing (no filter, by status, by email, by both), for the adapter's tests (EXPLAIN).
[[nodiscard]] std::vector<std::string> order_listing_sql();

class Orders final : public OrderRepository {
 public:
  explicit Orders(Session& session) noexcept : session_(session) {}

  bool insert(const Order& order) override;
  std::optional<Order> find(const OrderId& id) override;
  void change_status(const OrderChange& change) override;
  void mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) override;
  std::vector<OrderChange> history(const OrderId& id) override;
  std::vector<Order> list(const OrderFilter& filter, const std::string& after, std::size_t limit) override;

 private:
  /// The order `id` with its lines, read with `sql` (k_find or k_find_for_update), or nullopt.
  std::optional<Order> find_with(Connection& connection, const std::string& sql, const OrderId& id);

  Session& session_;
};

}  // namespace billing::detail::postgres
