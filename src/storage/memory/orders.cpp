#include "orders.hpp"

#include "../integrity.hpp"

namespace billing::detail::memory {
namespace {

void index(OrderTable& table, const Order& order) {
  if (order.deleted_at) return;
  table.by_status.emplace(order.status, order.id.str());
  table.by_email.emplace(order.customer_email, order.id.str());
}

void unindex(OrderTable& table, const Order& order) {
  table.by_status.erase({order.status, order.id.str()});
  table.by_email.erase({order.customer_email, order.id.str()});
}

}  // namespace

bool Orders::insert(const Order& order) {
  session_.require_write();
  integrity::check_new_order(order);
  const auto [it, inserted] = table_.rows.emplace(order.id.str(), order);
  if (!inserted) return false;
  index(table_, order);
  session_.on_rollback([this, key = it->first] {
    const auto row = table_.rows.find(key);
    unindex(table_, row->second);
    table_.rows.erase(row);
  });
  return true;
}

std::optional<Order> Orders::find(const OrderId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

void Orders::change_status(const OrderChange& change) {
  session_.require_write();
  integrity::check_order_change(change);
  Order& row = live_at(change.order_id, change.version - 1);
  if (row.status != change.from) integrity::order_not_at(change.order_id, change.version - 1);
  Order updated = row;
  updated.status = change.to;
  updated.version = change.version;
  updated.updated_at = change.at;
  replace(row, updated);
  auto& changes = table_.history[change.order_id.str()];
  changes.push_back(change);
  session_.on_rollback([&changes] { changes.pop_back(); });
}

void Orders::mark_deleted(const OrderId& id, std::uint64_t version, Timestamp at) {
  session_.require_write();
  Order& row = live_at(id, version);
  if (!order_deletable(row.status)) integrity::order_not_at(id, version);
  Order updated = row;
  updated.version = version + 1;
  updated.updated_at = at;
  updated.deleted_at = at;
  replace(row, updated);
}

std::vector<OrderChange> Orders::history(const OrderId& id) {
  session_.require_open();
  const auto it = table_.history.find(id.str());
  if (it == table_.history.end()) return {};
  return it->second;
}

std::vector<Order> Orders::list(const OrderFilter& filter, const std::string& after, std::size_t limit) {
  session_.require_open();
  std::vector<Order> out;
  const auto keep = [&](const std::string& id) {
    const Order& order = table_.rows.find(id)->second;
    if (!filter.status || order.status == *filter.status) out.push_back(order);
  };
  if (filter.customer_email) {
    const std::string& email = *filter.customer_email;
    for (auto it = table_.by_email.upper_bound({email, after});
         it != table_.by_email.end() && it->first == email && out.size() < limit; ++it) {
      keep(it->second);
    }
  } else if (filter.status) {
    for (auto it = table_.by_status.upper_bound({*filter.status, after});
         it != table_.by_status.end() && it->first == *filter.status && out.size() < limit; ++it) {
      out.push_back(table_.rows.find(it->second)->second);
    }
  } else {
    for (auto it = table_.rows.upper_bound(after); it != table_.rows.end() && out.size() < limit; ++it) {
      if (!it->second.deleted_at) out.push_back(it->second);
    }
  }
  return out;
}

Order& Orders::live_at(const OrderId& id, std::uint64_t version) {
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end() || it->second.deleted_at || it->second.version != version) {
    integrity::order_not_at(id, version);
  }
  return it->second;
}

void Orders::replace(Order& row, const Order& updated) {
  session_.on_rollback([this, &row, before = row] {
    unindex(table_, row);
    row = before;
    index(table_, row);
  });
  unindex(table_, row);
  row = updated;
  index(table_, row);
}

}  // namespace billing::detail::memory
