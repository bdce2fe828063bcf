// The SQLite order rows (tables `orders`, `order_lines` and `order_history`, see migrations/) and the
// repository over them. Internal to the adapter.
#pragma once

#include "billing/storage/order_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

/// The SQL of each listing (no filter, by status, by email, by both), for the adapter's tests: each must be
/// served by an index (EXPLAIN QUERY PLAN).
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
  /// The lines of the order `id` (in the order's `currency`), in their order.
  std::vector<OrderLine> lines_of(Connection& connection, std::string_view id, Currency currency);
  /// Reads the lines of `order` into it. Throws StorageError when they do not sum to its total.
  void attach_lines(Connection& connection, Order& order);

  Session& session_;
};

}  // namespace billing::detail::sqlite
