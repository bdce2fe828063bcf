// The in-memory invoices and the repository over them. Internal to the adapter.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "accounts.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "session.hpp"
#include "subscriptions.hpp"

namespace billing::detail::memory {

struct InvoiceTable {
  std::map<std::string, Invoice, std::less<>> rows;  // by id, so that list() runs in id order
  // What the reads use, as SQLite's indexes: every invoice by (account, id) and by (status, id); the one invoice of
  // a (subscription, period start), the key that holds at most one; the numbered ones by number; the OPEN ones by
  // finalisation time.
  std::set<std::pair<std::string, std::string>> by_account;
  std::set<std::pair<InvoiceStatus, std::string>> by_status;
  std::map<std::pair<std::string, Timestamp>, std::string> by_period;
  std::map<std::uint64_t, std::string> by_number;
  std::multiset<Timestamp> open_finalized;
};

class Invoices final : public InvoiceRepository {
 public:
  /// `accounts` and `subscriptions` are the store's, which an invoice must name, as SQLite's foreign keys.
  Invoices(Session& session, InvoiceTable& table, const AccountTable& accounts,
           const SubscriptionTable& subscriptions) noexcept
      : session_(session), table_(table), accounts_(accounts), subscriptions_(subscriptions) {}

  InvoiceInsert insert(const Invoice& invoice) override;
  std::optional<Invoice> find(const InvoiceId& id) override;
  std::optional<Invoice> find_for_period(const SubscriptionId& subscription, Timestamp period_start) override;
  bool update(const Invoice& next) override;
  std::uint64_t last_number() override;
  std::vector<Invoice> list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) override;
  std::uint64_t count_open_finalized_before(Timestamp before) override;

 private:
  /// Throws InvariantViolation unless the account and the subscription (when given) that `invoice` names are
  /// stored.
  void check_references(const Invoice& invoice) const;

  Session& session_;
  InvoiceTable& table_;
  const AccountTable& accounts_;
  const SubscriptionTable& subscriptions_;
};

}  // namespace billing::detail::memory
