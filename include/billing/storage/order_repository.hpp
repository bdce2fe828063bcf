// The orders area's storage: the repository interface its rules use, and the listing filter. An adapter
// implements it in src/storage/<adapter>/orders.cpp.
// One instance belongs to one Transaction and to the thread that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/order.hpp"

namespace billing {

/// Which live orders a listing returns: those in `status` and of `customer_email`, when given.
struct OrderFilter {
  std::optional<OrderStatus> status{};
  std::optional<std::string> customer_email{};
};

/// Order rows, their lines and their history. An order's identity, lines and metadata never change; its
/// status moves along k_order_transitions with its version one higher each time, and a delete leaves a
/// tombstone (deleted_at set), so an id is never reused and the history keeps its order. History rows
/// are append-only. Every function that writes throws InvariantViolation for a row the rules could
/// never produce, and stores nothing then.
class OrderRepository {
 public:
  virtual ~OrderRepository() = default;

  /// Stores a new order with its lines. Returns false, storing nothing, when an order with its id exists
  /// (deleted or not). Throws InvariantViolation unless the order is PENDING at version 1, live, updated
  /// when created, with 1 or more lines in one currency whose totals sum to its total.
  [[nodiscard]] virtual bool insert(const Order& order) = 0;
  /// The order with `id`, deleted or not (deleted_at tells), or nullopt.
  [[nodiscard]] virtual std::optional<Order> find(const OrderId& id) = 0;
  /// Moves the live order change.order_id from change.from at version change.version - 1 to change.to at
  /// change.version, sets its updated_at to change.at, and appends `change` to its history. Throws
  /// InvariantViolation when the table does not allow from -> to, or no live order has that id, status
  /// and version.
  virtual void change_status(const OrderChange& change) = 0;
  /// Marks the live order `id` at version `version` deleted at `at`: version + 1, updated_at and
  /// deleted_at `at`. Throws InvariantViolation when no live order has that id and version, or when its
  /// status is one k_order_deletable refuses.
  virtual void mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) = 0;
  /// The history of `id`, oldest first; empty when there is none.
  [[nodiscard]] virtual std::vector<OrderChange> history(const OrderId& id) = 0;
  /// Up to `limit` live orders that match `filter`, whose id sorts after `after` (from the start when
  /// empty), in id order.
  [[nodiscard]] virtual std::vector<Order> list(const OrderFilter& filter, const std::string& after,
                                                std::size_t limit) = 0;
};

}  // namespace billing
