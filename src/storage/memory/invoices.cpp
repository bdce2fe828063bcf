#include "invoices.hpp"

#include <iterator>

#include "../integrity.hpp"
#include "listing.hpp"

namespace billing::detail::memory {
namespace {

void index(InvoiceTable& table, const Invoice& invoice) {
  const std::string& id = invoice.id.str();
  table.by_account.emplace(invoice.account_id.str(), id);
  table.by_status.emplace(invoice.status, id);
  if (invoice.subscription_id)
    table.by_period.emplace(std::pair(invoice.subscription_id->str(), invoice.period_start), id);
  if (invoice.number) table.by_number.emplace(*invoice.number, id);
  if (invoice.status == InvoiceStatus::open && invoice.finalized_at) table.open_finalized.insert(*invoice.finalized_at);
}

void unindex(InvoiceTable& table, const Invoice& invoice) {
  const std::string& id = invoice.id.str();
  table.by_account.erase({invoice.account_id.str(), id});
  table.by_status.erase({invoice.status, id});
  if (invoice.subscription_id) table.by_period.erase({invoice.subscription_id->str(), invoice.period_start});
  if (invoice.number) table.by_number.erase(*invoice.number);
  if (invoice.status == InvoiceStatus::open && invoice.finalized_at) {
    table.open_finalized.erase(table.open_finalized.find(*invoice.finalized_at));
  }
}

}  // namespace

void Invoices::check_references(const Invoice& invoice) const {
  if (!accounts_.rows.contains(invoice.account_id.str())) integrity::missing_account(invoice.account_id);
  if (invoice.subscription_id && !subscriptions_.rows.contains(invoice.subscription_id->str())) {
    integrity::missing_subscription(*invoice.subscription_id);
  }
}

InvoiceInsert Invoices::insert(const Invoice& invoice) {
  session_.require_write();
  integrity::check_new_invoice(invoice);
  if (table_.rows.contains(invoice.id.str())) return InvoiceInsert::id_taken;
  if (invoice.subscription_id && table_.by_period.contains({invoice.subscription_id->str(), invoice.period_start})) {
    return InvoiceInsert::period_taken;
  }
  check_references(invoice);
  const auto it = table_.rows.emplace(invoice.id.str(), invoice).first;
  index(table_, invoice);
  session_.on_rollback([this, key = it->first] {
    const auto row = table_.rows.find(key);
    unindex(table_, row->second);
    table_.rows.erase(row);
  });
  return InvoiceInsert::inserted;
}

std::optional<Invoice> Invoices::find(const InvoiceId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

std::optional<Invoice> Invoices::find_for_period(const SubscriptionId& subscription, Timestamp period_start) {
  session_.require_open();
  const auto it = table_.by_period.find({subscription.str(), period_start});
  if (it == table_.by_period.end()) return std::nullopt;
  return table_.rows.find(it->second)->second;
}

bool Invoices::update(const Invoice& next) {
  session_.require_write();
  integrity::check_invoice(next);
  const auto it = table_.rows.find(next.id.str());
  if (it == table_.rows.end() || it->second.version + 1 != next.version) return false;
  Invoice& row = it->second;
  integrity::check_invoice_update(row, next, last_number());
  session_.on_rollback([this, &row, before = row] {
    unindex(table_, row);
    row = before;
    index(table_, row);
  });
  unindex(table_, row);
  row = next;
  index(table_, row);
  return true;
}

std::uint64_t Invoices::last_number() {
  session_.require_open();
  return table_.by_number.empty() ? 0 : table_.by_number.rbegin()->first;
}

std::vector<Invoice> Invoices::list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) {
  session_.require_open();
  return list_by_account_or_status<Invoice>(table_, filter, after, limit);
}

std::uint64_t Invoices::count_open_finalized_before(Timestamp before) {
  session_.require_open();
  return static_cast<std::uint64_t>(
      std::distance(table_.open_finalized.begin(), table_.open_finalized.lower_bound(before)));
}

}  // namespace billing::detail::memory
