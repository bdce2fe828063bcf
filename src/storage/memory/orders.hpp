// The in-memory order rows, their history, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "billing/storage/order_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct OrderTable {
  std::map<std::string, Order, std::less<>> rows;  // by id, deleted ones included, so that list() runs in id order
  // The live orders by (status, id) and by (email, id): what list() reads for a filter, as SQLite's indexes.
  std::set<std::pair<OrderStatus, std::string>> by_status;
  std::set<std::pair<std::string, std::string>> by_email;
  std::map<std::string, std::vector<OrderChange>, std::less<>> history;  // by order id, oldest first
};

class Orders final : public OrderRepository {
 public:
  Orders(Session& session, OrderTable& table) noexcept : session_(session), table_(table) {}

  bool insert(const Order& order) override;
  std::optional<Order> find(const OrderId& id) override;
  void change_status(const OrderChange& change) override;
  void mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) override;
  std::vector<OrderChange> history(const OrderId& id) override;
  std::vector<Order> list(const OrderFilter& filter, const std::string& after, std::size_t limit) override;

 private:
  /// The live order `id` at `version`, for a write; order_not_at otherwise.
  Order& live_at(const OrderId& id, std::uint64_t version);
  /// Replaces the row of `order` (and its index entries), registering the undo.
  void replace(Order& row, const Order& updated);

  Session& session_;
  OrderTable& table_;
};

}  // namespace billing::detail::memory
