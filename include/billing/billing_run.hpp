// The billing run: bills every subscription whose period has ended, once. For each due subscription, in one unit
// of work of its own, it builds the period's invoice (flat fee, adjustments, usage priced from the aggregates),
// finalises it (number and ledger entry), advances the subscription's period, and enqueues the invoice's payment
// job on the durable queue; a trial's end only advances. Killed half-way, run twice, or run by two processes at
// once, it bills each (subscription, period) exactly once: the due read, the invoice (unique per period in the
// store), the advance (under the subscription's version) and the job (deduplicated by the invoice) commit
// together or not at all. docs/billing_run.md has the rules.
//
//   const BillingReport report = books.billing().run(books.clock().now());
//   fmt::print("{} billed, {} invoices\n", report.subscriptions_billed, report.invoices_created);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "billing/currency.hpp"
#include "billing/invoice.hpp"
#include "billing/money.hpp"
#include "billing/subscription.hpp"
#include "billing/time.hpp"

namespace billing {

namespace detail {
class Context;
}
class Invoices;
class Jobs;
class Subscriptions;

/// The job kind of an invoice's payment; its payload is {"invoice_id":"..."}.
inline constexpr std::string_view k_invoice_payment_kind = "invoice.payment";
/// The most subscriptions one run bills (a run past it reports more_due; run it again).
inline constexpr std::size_t k_max_billing_run = 1'000'000;

/// A subscription the run did not bill, and why.
struct BillingSkip {
  SubscriptionId subscription_id;
  Timestamp period_start{};
  std::string reason{};  ///< e.g. "the ledger refused the invoice's entry: account_pending"

  friend bool operator==(const BillingSkip&, const BillingSkip&) = default;
};

/// What a run did.
struct BillingReport {
  Timestamp as_of{};
  std::uint64_t subscriptions_billed = 0;  ///< periods billed (a subscription behind by two periods counts twice)
  std::uint64_t invoices_created = 0;      ///< invoices this run stored (a rerun finds them and creates none)
  std::uint64_t trials_ended = 0;
  std::uint64_t canceled = 0;            ///< subscriptions that reached the end of their last period
  std::uint64_t payment_jobs = 0;        ///< payment jobs enqueued
  std::map<std::string, Money> totals{};  ///< the invoices' totals, by currency code
  std::vector<BillingSkip> skipped{};
  bool more_due = false;                 ///< stopped at the limit with subscriptions still due
};

class BillingRun {
 public:
  BillingRun(detail::Context& context, Subscriptions& subscriptions, Invoices& invoices, Jobs& jobs) noexcept
      : context_(context), subscriptions_(subscriptions), invoices_(invoices), jobs_(jobs) {}

  /// Bills every subscription due by `as_of` (its current period ended at or before it), up to `limit` periods.
  /// A subscription whose invoice the ledger refuses is skipped with the reason and left as it was, so a later
  /// run bills it once the cause is gone; a skipped one is not retried within the same run. Throws Misuse
  /// inside books.transaction(): each subscription commits on its own.
  BillingReport run(Timestamp as_of, std::size_t limit = k_max_billing_run);

 private:
  detail::Context& context_;
  Subscriptions& subscriptions_;
  Invoices& invoices_;
  Jobs& jobs_;
};

}  // namespace billing
