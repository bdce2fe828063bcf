// Invoices: the service. Builds a subscription's invoice for a period (the period plan's flat fee, the period's
// adjustments, and each metered charge of the plan priced on the usage aggregates of the period), previews the
// next one without writing, finalises (a gapless number, and the ledger entry: the customer's account debited,
// revenue and tax payable credited), marks paid (the settlement entry), voids (reversals) and writes off
// (UNCOLLECTIBLE). docs/invoices.md has the rules and the postings.
//
// Every write joins this thread's Books::transaction() when one is open and is otherwise one unit of work.
// Reach it through Books::invoices(); safe to share between threads.
//
//   const Invoice next = books.invoices().preview(subscription_id);      // writes nothing
//   const InvoiceOutcome made = books.invoices().create_for_period(subscription_id);
//   books.invoices().finalize(made.invoice->id);
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "billing/invoice.hpp"
#include "billing/page.hpp"

namespace billing {

namespace detail {
class Context;
}
class UnitOfWork;
class Accounts;
class Ledger;
class Plans;
class Subscriptions;
class Usage;

/// The accounts invoices post to, per currency; each is opened on first use when it does not exist.
struct InvoiceAccounts {
  std::string revenue_prefix = "invoices:revenue:";  ///< + currency code: credited with the subtotal
  std::string tax_prefix = "invoices:tax:";          ///< + currency code: credited with the tax
  std::string cash_prefix = "invoices:cash:";        ///< + currency code: debited by mark_paid
};

struct InvoiceOptions {
  InvoiceAccounts accounts{};
  std::optional<Decimal> tax_rate{};  ///< applied to every invoice built from a subscription; 0 to 1, 6 places
};

class Invoices {
 public:
  Invoices(detail::Context& context, Accounts& accounts, Ledger& ledger, Plans& plans, Subscriptions& subscriptions,
           Usage& usage) noexcept
      : context_(context),
        accounts_(accounts),
        ledger_(ledger),
        plans_(plans),
        subscriptions_(subscriptions),
        usage_(usage) {}

  /// Replaces the options. Throws InvalidArgument naming "tax_rate" outside 0..1 or beyond 6 places, or the
  /// prefix at fault when it would not make an account id.
  void configure(const InvoiceOptions& options);
  [[nodiscard]] InvoiceOptions options() const;

  /// The invoice the subscription's current period would get, built now and never stored: the period plan's
  /// flat fee (period_fee(): prorated for a stub, zero in a trial), the period's adjustments, and one usage line
  /// per charge of the subscription's plan, priced on the usage total of the account (the usage subject) on
  /// that meter over [period start, period end). Throws InvalidArgument naming "subscription_id" when there is
  /// no such subscription.
  [[nodiscard]] Invoice preview(const SubscriptionId& id);
  [[nodiscard]] Invoice build(UnitOfWork& work, const Subscription& subscription);

  /// Stores the invoice of the subscription's current period as a DRAFT, once: when the period already has
  /// one, that invoice is returned with result ok and nothing is written (the store's unique key on
  /// (subscription, period start) holds this even across processes).
  InvoiceOutcome create_for_period(const SubscriptionId& id);
  InvoiceOutcome create_for_period(UnitOfWork& work, const Subscription& subscription);

  [[nodiscard]] std::optional<Invoice> get(const InvoiceId& id);
  /// Invoices in id order, a page at a time; of `account_id` and in `status` only, when given.
  [[nodiscard]] Page<Invoice> list(const std::optional<AccountId>& account_id = std::nullopt,
                                   std::optional<InvoiceStatus> status = std::nullopt,
                                   const std::optional<std::string>& cursor = std::nullopt, std::size_t limit = 100);

  /// DRAFT -> OPEN: gives the next number of the books' gapless sequence and posts one entry (the invoice's
  /// total debited to the customer's account, the subtotal credited to revenue and the tax to tax payable, in
  /// the invoice's currency; a negative total posts the other way round), in the same unit of work.
  InvoiceOutcome finalize(const InvoiceId& id, std::optional<std::uint64_t> expected_version = std::nullopt);
  /// OPEN or UNCOLLECTIBLE -> PAID: posts the settlement (cash debited, the customer's account credited).
  InvoiceOutcome mark_paid(const InvoiceId& id, std::optional<std::uint64_t> expected_version = std::nullopt);

  /// OPEN or UNCOLLECTIBLE -> PAID by `settlement`, an entry another area posted (a payment's, which credits the
  /// customer's account with the total): records it as the settled entry and posts nothing. Throws
  /// InvalidArgument naming "settlement" when the ledger has no such entry, or when it does not credit the
  /// customer's account with the invoice's total (debit it, for a credit note); nothing changes then.
  InvoiceOutcome mark_paid_by(const InvoiceId& id, const EntryId& settlement);
  /// DRAFT, OPEN or UNCOLLECTIBLE -> VOID: for a finalised invoice, posts the reversal of its entry.
  InvoiceOutcome void_invoice(const InvoiceId& id, std::optional<std::uint64_t> expected_version = std::nullopt);
  /// OPEN -> UNCOLLECTIBLE (dunning gave up); posts nothing: the receivable stays on the customer's account.
  InvoiceOutcome mark_uncollectible(const InvoiceId& id, std::optional<std::uint64_t> expected_version = std::nullopt);

  InvoiceOutcome finalize(UnitOfWork& work, const InvoiceId& id, std::optional<std::uint64_t> expected_version);

 private:
  detail::Context& context_;
  Accounts& accounts_;
  Ledger& ledger_;
  Plans& plans_;
  Subscriptions& subscriptions_;
  Usage& usage_;
  mutable std::mutex mutex_;
  InvoiceOptions options_{};
};

}  // namespace billing
