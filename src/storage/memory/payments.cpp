#include "payments.hpp"

#include "../integrity.hpp"

namespace billing::detail::memory {
namespace {

void index(PaymentTable& table, const Payment& payment) {
  table.by_status.emplace(payment.status, payment.id.str());
  table.by_customer.emplace(payment.customer_id, payment.id.str());
}

void unindex(PaymentTable& table, const Payment& payment) {
  table.by_status.erase({payment.status, payment.id.str()});
  table.by_customer.erase({payment.customer_id, payment.id.str()});
}

}  // namespace

bool Payments::insert(const Payment& payment) {
  session_.require_write();
  integrity::check_new_payment(payment);
  if (table_.rows.contains(payment.id.str())) return false;
  if (payment.request_key && table_.by_request_key.contains(*payment.request_key)) {
    integrity::duplicate_request_key();
  }
  const auto row = table_.rows.emplace(payment.id.str(), payment).first;
  index(table_, payment);
  if (payment.request_key) table_.by_request_key.emplace(*payment.request_key, payment.id.str());
  session_.on_rollback([this, key = row->first] {
    const auto it = table_.rows.find(key);
    unindex(table_, it->second);
    if (it->second.request_key) table_.by_request_key.erase(*it->second.request_key);
    table_.rows.erase(it);
  });
  return true;
}

std::optional<Payment> Payments::find(const PaymentId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

std::optional<Payment> Payments::find_by_request_key(std::string_view key) {
  session_.require_open();
  const auto it = table_.by_request_key.find(key);
  if (it == table_.by_request_key.end()) return std::nullopt;
  return table_.rows.find(it->second)->second;
}

void Payments::update(const Payment& payment, const PaymentChange& change) {
  session_.require_write();
  integrity::check_payment_change(payment, change);
  const auto it = table_.rows.find(payment.id.str());
  if (it == table_.rows.end()) integrity::missing_payment(payment.id);
  Payment& row = it->second;
  integrity::check_payment_update(row, payment, change);
  session_.on_rollback([this, &row, before = row] {
    unindex(table_, row);
    row = before;
    index(table_, row);
  });
  unindex(table_, row);
  row = payment;
  index(table_, row);
  auto& changes = table_.history[payment.id.str()];
  changes.push_back(change);
  session_.on_rollback([&changes] { changes.pop_back(); });
}

std::vector<PaymentChange> Payments::history(const PaymentId& id) {
  session_.require_open();
  const auto it = table_.history.find(id.str());
  if (it == table_.history.end()) return {};
  return it->second;
}

std::vector<Payment> Payments::list(const PaymentFilter& filter, const std::string& after, std::size_t limit) {
  session_.require_open();
  std::vector<Payment> out;
  const auto row = [&](const std::string& id) -> const Payment& { return table_.rows.find(id)->second; };
  if (filter.customer_id) {
    const std::string& customer = *filter.customer_id;
    for (auto it = table_.by_customer.upper_bound({customer, after});
         it != table_.by_customer.end() && it->first == customer && out.size() < limit; ++it) {
      const Payment& payment = row(it->second);
      if (!filter.status || payment.status == *filter.status) out.push_back(payment);
    }
  } else if (filter.status) {
    for (auto it = table_.by_status.upper_bound({*filter.status, after});
         it != table_.by_status.end() && it->first == *filter.status && out.size() < limit; ++it) {
      out.push_back(row(it->second));
    }
  } else {
    for (auto it = table_.rows.upper_bound(after); it != table_.rows.end() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
  }
  return out;
}

}  // namespace billing::detail::memory
