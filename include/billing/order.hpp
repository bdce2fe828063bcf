// Order: a customer's order of one or more lines, with a status that moves through a table of allowed
// changes, a version that grows with every change, and the history of those changes.
//
// These are plain values and pure functions: the rules that create, move and delete orders live in
// orders.hpp. Values are safe to share between threads.
//
//   OrderLine line{.item = "widget", .quantity = 3, .unit_price = Money::parse("19.99 USD")};
//   line.total();                                                   // 59.97 USD, exact
//   order_transition_allowed(OrderStatus::pending, OrderStatus::processing);   // true
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/account.hpp"
#include "billing/email.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing {

struct OrderIdTag {
  static constexpr std::string_view k_field = "order_id";
};
using OrderId = Id<OrderIdTag>;

/// The longest customer name, in bytes of UTF-8.
inline constexpr std::size_t k_max_customer_name_bytes = 256;
/// The longest customer email, in bytes: the library's limit on an address (billing/email.hpp).
inline constexpr std::size_t k_max_customer_email_bytes = k_max_email_bytes;
/// The longest item of a line, in bytes of UTF-8.
inline constexpr std::size_t k_max_order_item_bytes = 256;
/// The most lines an order holds.
inline constexpr std::size_t k_max_order_lines = 1000;
/// The largest quantity of a line. Quantities are whole numbers of the item, 1 to this.
inline constexpr std::int64_t k_max_order_quantity = 1'000'000'000;
/// The longest reason a status change carries, in bytes of UTF-8.
inline constexpr std::size_t k_max_order_reason_bytes = 1024;

/// Where an order is in its life.
enum class OrderStatus : std::uint8_t { pending, processing, completed, cancelled };

inline constexpr OrderStatus k_order_statuses[] = {OrderStatus::pending, OrderStatus::processing,
                                                   OrderStatus::completed, OrderStatus::cancelled};

/// The allowed status changes, read row (from) by column (to). Everything else, a change to the same
/// status included, is OrderResult::transition_forbidden.
///
///   from \ to    PENDING PROCESSING COMPLETED CANCELLED
///   PENDING         .        x          .         x
///   PROCESSING      .        .          x         x
///   COMPLETED       .        .          .         .
///   CANCELLED       .        .          .         .
inline constexpr std::array<std::array<bool, 4>, 4> k_order_transitions = {{
    {false, true, false, true},
    {false, false, true, true},
    {false, false, false, false},
    {false, false, false, false},
}};

/// The statuses in which an order may be deleted: all but PROCESSING, whose work is under way.
inline constexpr std::array<bool, 4> k_order_deletable = {true, false, true, true};

/// Whether the table above allows `from` -> `to`. False for a value that is not an OrderStatus.
[[nodiscard]] constexpr bool order_transition_allowed(OrderStatus from, OrderStatus to) noexcept {
  const auto row = static_cast<std::size_t>(from);
  const auto column = static_cast<std::size_t>(to);
  return row < k_order_transitions.size() && column < k_order_transitions.size() && k_order_transitions[row][column];
}

/// Whether an order in `status` may be deleted. False for a value that is not an OrderStatus.
[[nodiscard]] constexpr bool order_deletable(OrderStatus status) noexcept {
  const auto index = static_cast<std::size_t>(status);
  return index < k_order_deletable.size() && k_order_deletable[index];
}

/// The allowed (from, to) pairs of k_order_transitions, row by row.
[[nodiscard]] std::vector<std::pair<OrderStatus, OrderStatus>> order_transitions();

/// One line of an order: `quantity` of `item` at `unit_price` each.
struct OrderLine {
  std::string item{};       ///< 1 to 256 bytes of UTF-8, not only white space, no control characters
  std::int64_t quantity{};  ///< 1 to k_max_order_quantity
  Money unit_price;         ///< >= 0; every line of an order is in one currency

  /// quantity * unit_price, exact. Throws Overflow beyond the range of Money.
  [[nodiscard]] Money total() const { return unit_price.multiply(quantity); }

  friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

/// What a host asks for when it places an order.
struct OrderRequest {
  std::optional<OrderId> id{};     ///< made by the IdSource when absent
  std::string customer_name{};     ///< 1 to 256 bytes of UTF-8, not only white space, no control characters
  std::string customer_email{};    ///< up to 254 bytes, in the grammar of docs/orders.md ("Emails")
  std::vector<OrderLine> lines{};  ///< 1 to k_max_order_lines
  Metadata metadata{};
};

/// An order as stored.
struct Order {
  OrderId id;
  std::string customer_name{};
  std::string customer_email{};
  std::vector<OrderLine> lines{};
  Money total;  ///< the sum of the lines' totals, in their currency
  OrderStatus status = OrderStatus::pending;
  std::uint64_t version = 1;  ///< 1 when created; one more with every status change and with the delete
  Metadata metadata{};
  Timestamp created_at{};
  Timestamp updated_at{};  ///< when the version last grew
  /// When it was deleted; absent for a live order. Orders::get never returns a deleted order, but
  /// creating one again with its id does (OrderResult::exists).
  std::optional<Timestamp> deleted_at{};

  friend bool operator==(const Order&, const Order&) = default;
};

/// One status change of an order, as its history keeps it.
struct OrderChange {
  OrderId order_id;
  OrderStatus from{};
  OrderStatus to{};
  Timestamp at{};
  std::string reason{};
  std::uint64_t version{};  ///< the order's version after the change: 2 for the first change

  friend bool operator==(const OrderChange&, const OrderChange&) = default;
};

/// The sum of the lines' totals. Throws InvalidArgument (field "lines") for no lines,
/// CurrencyMismatch (field "lines[i].unit_price") for a line in another currency than the first, and
/// Overflow (field "lines[i]") when a line's total or the running sum passes the range of Money.
[[nodiscard]] Money order_total(std::span<const OrderLine> lines);

[[nodiscard]] std::string_view to_string(OrderStatus status) noexcept;

}  // namespace billing
