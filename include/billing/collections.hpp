// Collections: an invoice's payment, and dunning when it cannot be collected. The billing run queues one
// "invoice.payment" job per finalised invoice (billing_run.hpp); run() claims those jobs and charges each invoice
// through the payment life cycle of payments.hpp, with the card or bank account the host keeps on file for the
// customer, so its retries, dead letters and reconciliation are the payments' own. The payment's ledger entry
// credits the customer's account, which settles the invoice's receivable.
//
// The invoice follows its payment inside the unit of work that settles the payment, however the payment gets
// there (run() here, Payments::run_due, process, reconcile or a redrive): approved -> the invoice is PAID;
// declined, or an error on the last attempt -> dunning by the policy: the invoice UNCOLLECTIBLE, its
// subscription PAST_DUE, and optionally the customer's account INACTIVE. A later payment of a dunned invoice
// (a redrive) pays it and puts its subscription back to ACTIVE. docs/collections.md has the rules.
//
// Reach it through Books::collections(); safe to share between threads; a gateway is never called inside a unit
// of work.
//
//   billing::ScriptedGateway gateway;
//   const auto report = books.collections().run(gateway, [&](const billing::Invoice& invoice) {
//     return cards_on_file.lookup(invoice.account_id);   // std::optional<billing::PaymentMethodOnFile>
//   });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "billing/invoice.hpp"
#include "billing/payment.hpp"
#include "billing/payment_gateway.hpp"

namespace billing {

namespace detail {
class Context;
}
class Accounts;
class Invoices;
class Jobs;
class Payments;
class Subscriptions;
class UnitOfWork;
struct Job;

/// The most invoice payment jobs one run() claims.
inline constexpr std::size_t k_max_collection_run = 1000;

/// What dunning does once an invoice's payment has failed for good (declined, or an error on its last attempt).
struct DunningPolicy {
  bool invoice_uncollectible = true;   ///< the invoice OPEN -> UNCOLLECTIBLE (its receivable stays)
  bool subscription_past_due = true;   ///< the invoice's subscription ACTIVE -> PAST_DUE (it is still billed)
  bool deactivate_account = false;     ///< the customer's account ACTIVE -> INACTIVE: the ledger then refuses its
                                       ///< postings, so later periods are skipped until the host reactivates it

  friend bool operator==(const DunningPolicy&, const DunningPolicy&) = default;
};

/// The customer's payment method as the host keeps it (in its vault, or as the customer saved it): either a card
/// (number, expiry and CVC) or an IBAN, as text, validated as a payment request's fields are. Sensitive: the
/// library hands it to the gateway's tokenize() and keeps only what a payment keeps (the brand, last four,
/// fingerprint and the gateway's token).
struct PaymentMethodOnFile {
  std::optional<std::string> card_number{};
  std::optional<std::string> expiry_month{};
  std::optional<std::string> expiry_year{};
  std::optional<std::string> cvc{};
  std::optional<std::string> iban{};
  std::optional<std::string> email{};
};

/// The host's lookup of the payment method for an invoice's customer; nullopt when there is none on file.
using PaymentMethodLookup = std::function<std::optional<PaymentMethodOnFile>(const Invoice&)>;

/// An invoice the run did not charge, and why.
struct CollectionSkip {
  InvoiceId invoice_id;
  std::string reason{};

  friend bool operator==(const CollectionSkip&, const CollectionSkip&) = default;
};

/// What one run() did.
struct CollectionReport {
  std::uint64_t jobs = 0;              ///< invoice payment jobs claimed
  std::uint64_t payments_created = 0;  ///< payments created for invoices (a rerun finds them and creates none)
  std::uint64_t retries = 0;           ///< due payment retries processed (Payments::run_due)
  std::uint64_t paid = 0;              ///< invoices paid by this run's charges
  std::uint64_t retrying = 0;          ///< charges that failed with attempts left: a retry is scheduled
  std::uint64_t dunned = 0;            ///< invoices whose payment failed for good (declined or dead-lettered)
  std::uint64_t unknown = 0;           ///< charges with no answer yet (Payments::reconcile settles them)
  std::vector<CollectionSkip> skipped{};  ///< invoices not charged (no longer open, no method on file, ...)
};

class Collections {
 public:
  Collections(detail::Context& context, Accounts& accounts, Invoices& invoices, Subscriptions& subscriptions,
              Payments& payments, Jobs& jobs) noexcept
      : context_(context),
        accounts_(accounts),
        invoices_(invoices),
        subscriptions_(subscriptions),
        payments_(payments),
        jobs_(jobs) {}

  /// Replaces the dunning policy. Not thread-safe against a run in flight; set once at start-up.
  void configure(const DunningPolicy& policy);
  [[nodiscard]] DunningPolicy policy() const;

  /// Claims up to `limit` (1 to k_max_collection_run) due "invoice.payment" jobs; for each OPEN invoice with a
  /// positive total, creates its payment once (idempotency key "invoice:<id>"; the customer's account credited,
  /// the payments' clearing account debited) with the method `lookup` returns, and sends its first charge. Then
  /// processes the payment retries that are due (Payments::run_due, up to `limit`). Each job completes once its
  /// payment exists, so a crash before that leaves it to the next run. An invoice with no method on file, or one
  /// the payment validation refuses, is dunned at once and reported in `skipped`, as is an invoice that is no
  /// longer open (nothing is charged then). Throws InvalidArgument (field "limit"), Misuse with a transaction
  /// open, and what the gateway and `lookup` throw.
  CollectionReport run(PaymentGateway& gateway, const PaymentMethodLookup& lookup,
                       std::size_t limit = k_max_collection_run);

  /// Called by Payments inside the unit of work that settles `payment`: moves the payment's invoice, if it has one
  /// (metadata "invoice_id"), along with it, and duns it as the policy says.
  void payment_settled(UnitOfWork& work, const Payment& payment);

 private:
  void collect(const Job& job, PaymentGateway& gateway, const PaymentMethodLookup& lookup, CollectionReport& report);
  void dun(const InvoiceId& id);
  void restore(const Invoice& paid);

  detail::Context& context_;
  Accounts& accounts_;
  Invoices& invoices_;
  Subscriptions& subscriptions_;
  Payments& payments_;
  Jobs& jobs_;
  mutable std::mutex mutex_;
  DunningPolicy policy_{};
};

}  // namespace billing
