// The PostgreSQL invoices and their lines (tables `invoices` and `invoice_lines`, see migrations/v9_invoices.inc)
// and the repository over them. Internal to the adapter.
//
// The semantics are the SQLite adapter's (src/storage/sqlite/invoices.cpp), refusal for refusal. What differs is
// how, for two reasons:
//  - PostgreSQL aborts the whole transaction at a failed statement, so every refusal is decided before or without
//    one: insert() is a conditional INSERT ... ON CONFLICT DO NOTHING that changes no row for a taken id or
//    period or a missing account or subscription (then a look says which), and update() checks everything in C++
//    before it writes.
//  - Two writers may run at once. In a write transaction find() locks the invoice's row (FOR NO KEY UPDATE)
//    before it reads the lines, and last_number() takes the books' numbering lock (an advisory lock held to the
//    end of the transaction) before it reads the highest number, so two finalisations never take one number.
//    While this transaction holds an invoice's row (it found it so, or inserted it) no other can change it: the
//    repository keeps that row as it stored it and serves find() and update() from it, and once it holds the
//    numbering lock it keeps the highest number likewise, instead of asking the server again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/storage/invoice_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

/// The SQL of find_for_period, of each listing (no filter, by account, by status, by both), then of find, update,
/// the lines of an invoice, last_number and count_open_finalized_before, for the adapter's tests (EXPLAIN: each
/// must be served by an index). The reads are the plain ones, without the lock a write transaction adds.
[[nodiscard]] std::vector<std::string> invoice_reads_for_testing();

class Invoices final : public InvoiceRepository {
 public:
  explicit Invoices(Session& session) noexcept : session_(session) {}

  InvoiceInsert insert(const Invoice& invoice) override;
  std::optional<Invoice> find(const InvoiceId& id) override;
  std::optional<Invoice> find_for_period(const SubscriptionId& subscription, Timestamp period_start) override;
  bool update(const Invoice& next) override;
  std::uint64_t last_number() override;
  std::vector<Invoice> list(const InvoiceFilter& filter, const std::string& after, std::size_t limit) override;
  std::uint64_t count_open_finalized_before(Timestamp before) override;

 private:
  /// Whether an invoice holds `id`, or, with a subscription, the (subscription, period start) of `invoice`.
  [[nodiscard]] std::optional<InvoiceInsert> taken(const Invoice& invoice);
  /// After an insert that changed no row: InvariantViolation naming the account or subscription of `invoice`
  /// that is not stored; returns when both are.
  void name_missing_reference(const Invoice& invoice);
  /// Writes `lines` as the lines of invoice `id` (which has none): one statement per 500 lines.
  void insert_lines(const InvoiceId& id, const std::vector<InvoiceLine>& lines);
  /// In a write transaction: the invoice `id` read with its row locked, and kept as held().
  [[nodiscard]] std::optional<Invoice> find_locked(const InvoiceId& id);
  /// The invoices that `query` (bound, not yet stepped) selects, each row an invoice's columns then one of its
  /// lines (NULL for none), in invoice then position order.
  [[nodiscard]] static std::vector<Invoice> read_joined(Statement& query, std::string_view operation);

  Session& session_;
  /// The invoice whose row this write transaction holds (it found it locked or inserted it), as stored.
  std::optional<Invoice> held_;
  /// The highest number, once this write transaction holds the numbering lock.
  std::optional<std::uint64_t> last_number_;
};

}  // namespace billing::detail::postgres
