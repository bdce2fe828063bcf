// Orders: placing orders, moving them through k_order_transitions (order.hpp) under optimistic
// versions, listing them by status or customer, and deleting them.
//
// Every write is one unit of work, or joins this thread's Books::transaction(). A change carries the
// version its caller saw; a stale one is OrderResult::version_conflict and changes nothing, so two
// callers racing on one order never overwrite each other. Reach it through Books::orders(); safe to
// share between threads.
//
//   auto placed = books.orders().create({.customer_name = "Ada", .customer_email = "ada@example.com",
//                                        .lines = {{"widget", 3, Money::parse("19.99 USD")}}});
//   auto moved = books.orders().transition(placed.order->id, OrderStatus::processing, placed.order->version);
//   if (moved.result == OrderResult::version_conflict) { /* reload moved.order and decide again */ }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/order.hpp"
#include "billing/page.hpp"

namespace billing {

namespace detail {
class Context;
}

/// The outcome of an order write. Each call checks the codes it can return in the order listed on it.
enum class OrderResult : std::uint8_t {
  ok,                            ///< done
  exists,                        ///< create: an order with this id and the same fields exists; it is returned
  exists_with_different_fields,  ///< create: an order with this id and other fields exists; it is returned
  not_found,                     ///< no live order has this id (never created, or deleted)
  transition_forbidden,          ///< k_order_transitions does not allow the change (the same status included)
  version_conflict,              ///< the order's version is not the one the caller saw; it is returned
  delete_forbidden,              ///< the order is PROCESSING, which k_order_deletable does not allow
};

[[nodiscard]] std::string_view to_string(OrderResult result) noexcept;

struct [[nodiscard]] OrderOutcome {
  OrderResult result{};
  /// The order after the call: the new or changed order for ok, the stored one for every other
  /// result but not_found, where it is absent.
  std::optional<Order> order{};

  [[nodiscard]] bool ok() const noexcept { return result == OrderResult::ok; }
};

class Orders {
 public:
  explicit Orders(detail::Context& context) noexcept : context_(context) {}

  /// Places a PENDING order at version 1, its total computed exactly from its lines. Results, in order:
  /// exists or exists_with_different_fields when request.id is taken (also by a deleted order, which is
  /// returned with deleted_at set: ids are never reused), else ok. Throws before anything is stored:
  /// InvalidArgument naming the field for a customer_name or customer_email that breaks its limit or
  /// grammar, no lines or more than k_max_order_lines ("lines"), a line's item, quantity (1 to
  /// k_max_order_quantity) or negative unit price ("lines[2].quantity"), or bad metadata;
  /// CurrencyMismatch for a line in another currency than the first ("lines[2].unit_price"); Overflow
  /// when a line's total or the order's passes the range of Money ("lines[2]").
  OrderOutcome create(const OrderRequest& request);

  /// The live order with `id`, or nullopt (also for a deleted one).
  [[nodiscard]] std::optional<Order> get(const OrderId& id);

  /// Up to `limit` (1 to 1,000) live orders in id order after `cursor` (the previous page's next_cursor,
  /// or empty), only those in `status` and of `customer_email` when given; served by an index in every
  /// adapter. Throws InvalidArgument (field "limit", "cursor" or "customer_email") for a limit outside
  /// 1..1,000, a cursor that is not an order id or an email outside the grammar.
  [[nodiscard]] Page<Order> list(std::optional<OrderStatus> status = std::nullopt,
                                 const std::optional<std::string>& customer_email = std::nullopt,
                                 const std::string& cursor = "", std::size_t limit = 100);

  /// Moves the order to `to` if its version is still `expected_version` and the table allows it, bumping
  /// its version and appending the change to its history. Results, in order: not_found, version_conflict,
  /// transition_forbidden (also for `to` == the current status), ok; only ok changes anything. Throws
  /// InvalidArgument (field "to") for a value that is not an OrderStatus and (field "reason") for a reason
  /// over k_max_order_reason_bytes or with a control character, before anything is read.
  OrderOutcome transition(const OrderId& id, OrderStatus to, std::uint64_t expected_version,
                          std::string_view reason = "");

  /// Deletes the order: it leaves get() and list(), its version grows by one and deleted_at is set; its
  /// history stays readable. Without `expected_version` any version will do. Results, in order:
  /// not_found (also when already deleted), version_conflict, delete_forbidden (while PROCESSING), ok.
  OrderOutcome remove(const OrderId& id, std::optional<std::uint64_t> expected_version = std::nullopt);

  /// The status changes of the order with `id`, oldest first; also for a deleted order. Empty when it has
  /// none or there is no such order.
  [[nodiscard]] std::vector<OrderChange> history(const OrderId& id);

 private:
  detail::Context& context_;
};

}  // namespace billing
