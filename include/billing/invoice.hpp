// Invoices: the values. An invoice bills one customer account for one period: its lines (a plan's flat fee,
// usage priced by a Price with the tier breakdown, adjustments such as proration, tax), the subtotal, an
// optional tax rate and the total. It moves DRAFT -> OPEN (finalised: numbered from a gapless sequence and
// posted to the ledger) -> PAID, VOID or UNCOLLECTIBLE. The rules are in invoices.hpp; docs/invoices.md has the
// postings. Plain values; safe to share once built.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/account.hpp"
#include "billing/decimal.hpp"
#include "billing/entry.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/price.hpp"
#include "billing/subscription.hpp"
#include "billing/time.hpp"

namespace billing {

struct InvoiceIdTag {
  static constexpr std::string_view k_field = "invoice_id";
};
using InvoiceId = Id<InvoiceIdTag>;

/// Where an invoice is in its life. Only DRAFT may change its lines; OPEN is numbered and posted; the other
/// three are final.
enum class InvoiceStatus : std::uint8_t { draft, open, paid, voided, uncollectible };

inline constexpr InvoiceStatus k_invoice_statuses[] = {InvoiceStatus::draft, InvoiceStatus::open, InvoiceStatus::paid,
                                                       InvoiceStatus::voided, InvoiceStatus::uncollectible};

/// The allowed status changes, read row (from) by column (to).
///
///   from \ to      DRAFT OPEN PAID VOID UNCOLLECTIBLE
///   DRAFT            .    x    .    x        .
///   OPEN             .    .    x    x        x
///   PAID             .    .    .    .        .
///   VOID             .    .    .    .        .
///   UNCOLLECTIBLE    .    .    x    x        .
inline constexpr std::array<std::array<bool, 5>, 5> k_invoice_transitions = {{
    {false, true, false, true, false},
    {false, false, true, true, true},
    {false, false, false, false, false},
    {false, false, false, false, false},
    {false, false, true, true, false},
}};

[[nodiscard]] constexpr bool invoice_transition_allowed(InvoiceStatus from, InvoiceStatus to) noexcept {
  const auto row = static_cast<std::size_t>(from);
  const auto column = static_cast<std::size_t>(to);
  return row < k_invoice_transitions.size() && column < k_invoice_transitions.size() &&
         k_invoice_transitions[row][column];
}

[[nodiscard]] std::vector<std::pair<InvoiceStatus, InvoiceStatus>> invoice_transitions();

/// What a line bills.
enum class InvoiceLineKind : std::uint8_t {
  flat_fee,    ///< a plan's recurring fee for the period (prorated for a stub)
  usage,       ///< a meter's usage in the period, priced by the plan's Price for it
  adjustment,  ///< a subscription adjustment (proration credit or charge) or a line a host added
  tax,         ///< the tax on the subtotal at the invoice's tax rate
};

/// One line of an invoice.
struct InvoiceLine {
  InvoiceLineKind kind = InvoiceLineKind::flat_fee;
  std::string description{};  ///< 1 to k_max_invoice_description_bytes of UTF-8, no control characters
  Timestamp period_start{};
  Timestamp period_end{};
  Decimal quantity{1};             ///< units billed (1 for a fee)
  std::optional<Decimal> unit_price{};  ///< for a single-rate line (the rate, for tax); absent for tiered usage
  Money amount;                    ///< in the invoice's currency; negative for a credit
  std::string meter{};             ///< the meter code of a usage line
  std::vector<ChargeLine> tiers{};  ///< a usage line's breakdown (Price::charge), which sums to amount

  friend bool operator==(const InvoiceLine&, const InvoiceLine&) = default;
};

/// An invoice as stored.
struct Invoice {
  InvoiceId id;
  std::optional<std::uint64_t> number{};  ///< 1, 2, ...: assigned when finalised, gapless per books (invoice_number)
  AccountId account_id;
  std::optional<SubscriptionId> subscription_id{};
  Currency currency;
  Timestamp period_start{};
  Timestamp period_end{};
  InvoiceStatus status = InvoiceStatus::draft;
  std::vector<InvoiceLine> lines{};   ///< the tax line, when there is one, last
  Money subtotal;                     ///< the sum of every line but tax
  std::optional<Decimal> tax_rate{};  ///< 0 to 1 (0.2 is 20%), at most 6 places
  Money tax;                          ///< subtotal x tax_rate, half to even (zero without a rate)
  Money total;                        ///< subtotal + tax
  std::optional<EntryId> posted_entry{};   ///< the finalisation's entry: receivable against revenue and tax
  std::optional<EntryId> settled_entry{};  ///< the payment's entry (mark_paid)
  std::optional<EntryId> voided_entry{};   ///< the reversal of posted_entry (void after finalising)
  std::uint64_t version = 1;
  Timestamp created_at{};
  std::optional<Timestamp> finalized_at{};
  std::optional<Timestamp> closed_at{};  ///< when it became PAID, VOID or UNCOLLECTIBLE

  friend bool operator==(const Invoice&, const Invoice&) = default;
};

/// The outcome of an invoice change, checked in this order.
enum class InvoiceResult : std::uint8_t {
  ok,
  not_found,
  transition_forbidden,  ///< the status table does not allow it
  empty,                 ///< finalize: an invoice with no lines
  version_conflict,      ///< expected_version given and not the stored version
  rejected,              ///< the ledger refused the posting (see `reason`); nothing changed
};

struct [[nodiscard]] InvoiceOutcome {
  InvoiceResult result{};
  std::optional<Invoice> invoice{};
  std::string reason{};  ///< for rejected: the ledger's result
  [[nodiscard]] bool ok() const noexcept { return result == InvoiceResult::ok; }
};

[[nodiscard]] std::string_view to_string(InvoiceStatus status) noexcept;
[[nodiscard]] std::string_view to_string(InvoiceLineKind kind) noexcept;
[[nodiscard]] std::string_view to_string(InvoiceResult result) noexcept;

/// The number an invoice gets as the n-th finalised in its books: "INV-" and n in at least 6 digits.
[[nodiscard]] std::string invoice_number(std::uint64_t n);

inline constexpr std::size_t k_max_invoice_lines = 1000;
inline constexpr std::size_t k_max_invoice_description_bytes = 1024;  // as an adjustment's (ledger.hpp)
inline constexpr int k_max_tax_rate_places = 6;

}  // namespace billing
