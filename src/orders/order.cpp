#include "billing/order.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing {

std::vector<std::pair<OrderStatus, OrderStatus>> order_transitions() {
  std::vector<std::pair<OrderStatus, OrderStatus>> out;
  for (const OrderStatus from : k_order_statuses) {
    for (const OrderStatus to : k_order_statuses) {
      if (order_transition_allowed(from, to)) out.emplace_back(from, to);
    }
  }
  return out;
}

Money order_total(std::span<const OrderLine> lines) {
  if (lines.empty()) throw InvalidArgument("lines", "an order needs one or more lines");
  const Currency currency = lines.front().unit_price.currency();
  Money total = Money::zero(currency);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Money& price = lines[i].unit_price;
    if (price.currency() != currency) {
      throw CurrencyMismatch(fmt::format("lines[{}].unit_price", i),
                             fmt::format("is in {}, and the order's first line in {}; an order has one currency",
                                         price.currency().code(), currency.code()));
    }
    try {
      total += lines[i].total();
    } catch (const Overflow&) {
      throw Overflow(fmt::format("lines[{}]", i),
                     fmt::format("the total passes the largest amount of Money ({} minor units)", Money::k_max_minor));
    }
  }
  return total;
}

std::string_view to_string(OrderStatus status) noexcept {
  switch (status) {
    case OrderStatus::pending: return "pending";
    case OrderStatus::processing: return "processing";
    case OrderStatus::completed: return "completed";
    case OrderStatus::cancelled: return "cancelled";
  }
  return "?";
}

}  // namespace billing
