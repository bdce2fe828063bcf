// The SQLite invoices and their lines (tables `invoices` and `invoice_lines`, see migrations/v10_invoices.inc)
// and the repository over them. Internal to the adapter.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/invoice_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

/// The SQL of find_for_period, of each listing (no filter, by account, by status, by both), then of find, update,
/// the lines of an invoice, last_number and count_open_finalized_before, for the adapter's tests: each must be
/// served by an index (EXPLAIN QUERY PLAN).
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
  /// After a write that a foreign key refused: InvariantViolation naming the account or subscription of
  /// `invoice` that is not stored; returns when both are.
  void name_missing_reference(const Invoice& invoice);
  /// Writes `lines` as the lines of invoice `id`, after removing what it had when `replace`.
  void write_lines(const InvoiceId& id, const std::vector<InvoiceLine>& lines, bool replace);
  /// The invoices the statement `query` selects (bound, not yet stepped), each with its lines.
  std::vector<Invoice> read_all(Statement& query, std::string_view operation);

  Session& session_;
};

}  // namespace billing::detail::sqlite
