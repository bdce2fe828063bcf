// The invoices area's storage: the repository interface its rules (invoices.hpp) use. An adapter implements it
// in src/storage/<adapter>/invoices.cpp. One instance belongs to one Transaction and to the thread that uses it.
//
// An invoice's identity (id, account, subscription, currency, period, created_at) never changes. Its lines and
// totals change only while it is DRAFT; its status moves only along k_invoice_transitions, with its version one
// higher each time; its number is set once, when it leaves DRAFT for OPEN, and is then the next of the books'
// gapless sequence. For a subscription and a period start there is at most one invoice: the store enforces it
// with a unique key, whatever the code above it does. Invoices are never deleted. The adapter decides nothing:
// it stores, loads, and refuses (InvariantViolation) a row the rules could never produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/invoice.hpp"

namespace billing {

/// Which invoices a listing returns: those of `account_id` and in `status`, when given.
struct InvoiceFilter {
  std::optional<AccountId> account_id{};
  std::optional<InvoiceStatus> status{};
};

/// What InvoiceRepository::insert did.
enum class InvoiceInsert : std::uint8_t {
  inserted,
  id_taken,      ///< an invoice with this id exists; nothing stored
  period_taken,  ///< an invoice of this subscription for this period_start exists; nothing stored
};

class InvoiceRepository {
 public:
  virtual ~InvoiceRepository() = default;

  /// Stores a new DRAFT invoice at version 1, without a number. Throws InvariantViolation for a row that
  /// breaks the area's invariants (integrity.hpp: check_invoice: lines in its currency summing to subtotal,
  /// total = subtotal + tax, period_start < period_end, ...) or whose account ("account_id") or subscription
  /// ("subscription_id") does not exist.
  [[nodiscard]] virtual InvoiceInsert insert(const Invoice& invoice) = 0;

  /// The invoice with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Invoice> find(const InvoiceId& id) = 0;

  /// The invoice of `subscription` for the period that starts at `period_start`, or nullopt.
  [[nodiscard]] virtual std::optional<Invoice> find_for_period(const SubscriptionId& subscription,
                                                               Timestamp period_start) = 0;

  /// Replaces the stored invoice `next.id` at version next.version - 1 with `next`. Returns false, changing
  /// nothing, when no invoice has that id at that version. Throws InvariantViolation when `next` changes an
  /// immutable column, changes lines or totals of an invoice that is not DRAFT, moves the status along a pair
  /// the table refuses, sets a number other than last_number() + 1 when it moves to OPEN (any number for DRAFT ->
  /// VOID), changes a number once set, or breaks the invariants; the row stays as it was then.
  [[nodiscard]] virtual bool update(const Invoice& next) = 0;

  /// The highest number given so far (0 before the first): the next finalised invoice gets last_number() + 1.
  [[nodiscard]] virtual std::uint64_t last_number() = 0;

  /// Up to `limit` invoices that match `filter`, with an id after `after` (from the start when empty), in id
  /// order.
  [[nodiscard]] virtual std::vector<Invoice> list(const InvoiceFilter& filter, const std::string& after,
                                                  std::size_t limit) = 0;

  /// How many invoices are OPEN and were finalised before `before` (overdue, for health reports).
  [[nodiscard]] virtual std::uint64_t count_open_finalized_before(Timestamp before) = 0;
};

}  // namespace billing
