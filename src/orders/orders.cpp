#include "billing/orders.hpp"

#include <fmt/format.h>

#include "billing/email.hpp"
#include "billing/error.hpp"
#include "billing/storage/order_repository.hpp"
#include "context.hpp"
#include "text.hpp"

namespace billing {
namespace {

// The grammar is the library's one (billing/email.hpp), shared with payment validation. The message never
// quotes the address: an email is personal data.
void validate_email(std::string_view text, std::string_view field) {
  if (const std::string_view problem = email_problem(text); !problem.empty()) {
    throw InvalidArgument(std::string(field), fmt::format("is not an email: it {}", problem));
  }
}

void validate_line(const OrderLine& line, std::size_t index) {
  detail::validate_name(line.item, fmt::format("lines[{}].item", index), k_max_order_item_bytes);
  if (line.quantity < 1 || line.quantity > k_max_order_quantity) {
    throw InvalidArgument(fmt::format("lines[{}].quantity", index),
                          fmt::format("{} is outside 1..{}", line.quantity, k_max_order_quantity));
  }
  if (line.unit_price.sign() < 0) {
    throw InvalidArgument(fmt::format("lines[{}].unit_price", index), "must not be negative");
  }
}

/// The order's total, once every field of the request is checked.
Money validated_total(const OrderRequest& request) {
  detail::validate_name(request.customer_name, "customer_name", k_max_customer_name_bytes);
  validate_email(request.customer_email, "customer_email");
  if (request.lines.empty() || request.lines.size() > k_max_order_lines) {
    throw InvalidArgument("lines",
                          fmt::format("an order has 1 to {} lines, not {}", k_max_order_lines, request.lines.size()));
  }
  for (std::size_t i = 0; i < request.lines.size(); ++i) validate_line(request.lines[i], i);
  detail::validate_metadata(request.metadata, "metadata");
  return order_total(request.lines);
}

bool same_fields(const Order& stored, const OrderRequest& request) {
  return stored.customer_name == request.customer_name && stored.customer_email == request.customer_email &&
         stored.lines == request.lines && stored.metadata == request.metadata;
}

void check_status(OrderStatus status, std::string_view field) {
  if (static_cast<std::size_t>(status) >= std::size(k_order_statuses)) {
    throw InvalidArgument(std::string(field), fmt::format("{} is not an OrderStatus", static_cast<unsigned>(status)));
  }
}

/// The live order with `id`, or nullopt when there is none or it is deleted.
std::optional<Order> find_live(UnitOfWork& work, const OrderId& id) {
  std::optional<Order> order = work->orders().find(id);
  if (order && order->deleted_at) return std::nullopt;
  return order;
}

}  // namespace

std::string_view to_string(OrderResult result) noexcept {
  switch (result) {
    case OrderResult::ok: return "ok";
    case OrderResult::exists: return "exists";
    case OrderResult::exists_with_different_fields: return "exists_with_different_fields";
    case OrderResult::not_found: return "not_found";
    case OrderResult::transition_forbidden: return "transition_forbidden";
    case OrderResult::version_conflict: return "version_conflict";
    case OrderResult::delete_forbidden: return "delete_forbidden";
  }
  return "?";
}

OrderOutcome Orders::create(const OrderRequest& request) {
  const Money total = validated_total(request);
  return context_.write([&](UnitOfWork& work) -> OrderOutcome {
    const OrderId id = request.id ? *request.id : OrderId(context_.ids().next());
    if (auto existing = work->orders().find(id)) {
      const bool same = same_fields(*existing, request);
      return {same ? OrderResult::exists : OrderResult::exists_with_different_fields, std::move(existing)};
    }
    const Timestamp now = context_.clock().now();
    Order order{.id = id,
                .customer_name = request.customer_name,
                .customer_email = request.customer_email,
                .lines = request.lines,
                .total = total,
                .status = OrderStatus::pending,
                .version = 1,
                .metadata = request.metadata,
                .created_at = now,
                .updated_at = now,
                .deleted_at = std::nullopt};
    const bool inserted = work->orders().insert(order);
    BILLING_ASSERT(inserted);  // find() just saw no order with this id, in the same unit of work
    return {OrderResult::ok, std::move(order)};
  });
}

std::optional<Order> Orders::get(const OrderId& id) {
  return context_.read([&](UnitOfWork& work) { return find_live(work, id); });
}

Page<Order> Orders::list(std::optional<OrderStatus> status, const std::optional<std::string>& customer_email,
                         const std::string& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  if (status) check_status(*status, "status");
  if (customer_email) validate_email(*customer_email, "customer_email");
  if (!cursor.empty()) detail::validate_id(cursor, "cursor");  // a cursor is the last id of the page before
  const OrderFilter filter{.status = status, .customer_email = customer_email};
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->orders().list(filter, cursor, limit + 1), limit,
                             [](const Order& order) { return order.id.str(); });
  });
}

OrderOutcome Orders::transition(const OrderId& id, OrderStatus to, std::uint64_t expected_version,
                                std::string_view reason) {
  check_status(to, "to");
  detail::validate_line(reason, "reason", k_max_order_reason_bytes);
  return context_.write([&](UnitOfWork& work) -> OrderOutcome {
    std::optional<Order> order = find_live(work, id);
    if (!order) return {OrderResult::not_found, std::nullopt};
    if (order->version != expected_version) return {OrderResult::version_conflict, std::move(order)};
    if (!order_transition_allowed(order->status, to)) return {OrderResult::transition_forbidden, std::move(order)};
    const OrderChange change{.order_id = id,
                             .from = order->status,
                             .to = to,
                             .at = context_.clock().now(),
                             .reason = std::string(reason),
                             .version = order->version + 1};
    work->orders().change_status(change);
    order->status = to;
    order->version = change.version;
    order->updated_at = change.at;
    return {OrderResult::ok, std::move(order)};
  });
}

OrderOutcome Orders::remove(const OrderId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write([&](UnitOfWork& work) -> OrderOutcome {
    std::optional<Order> order = find_live(work, id);
    if (!order) return {OrderResult::not_found, std::nullopt};
    if (expected_version && order->version != *expected_version) {
      return {OrderResult::version_conflict, std::move(order)};
    }
    if (!order_deletable(order->status)) return {OrderResult::delete_forbidden, std::move(order)};
    const Timestamp now = context_.clock().now();
    work->orders().mark_deleted(id, order->version, now);
    ++order->version;
    order->updated_at = now;
    order->deleted_at = now;
    return {OrderResult::ok, std::move(order)};
  });
}

std::vector<OrderChange> Orders::history(const OrderId& id) {
  return context_.read([&](UnitOfWork& work) { return work->orders().history(id); });
}

}  // namespace billing
