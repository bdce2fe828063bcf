// Collections' rules: an invoice's payment job charges the invoice once through the payment life cycle, and the
// invoice follows its payment in the payment's own unit of work: paid when approved, dunned (uncollectible, its
// subscription past due, the account inactive when the policy says so) when the payment failed for good.
#include "billing/collections.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "billing/accounts.hpp"
#include "billing/billing_run.hpp"
#include "billing/error.hpp"
#include "billing/invoices.hpp"
#include "billing/jobs.hpp"
#include "billing/page.hpp"
#include "billing/payments.hpp"
#include "billing/subscriptions.hpp"
#include "context.hpp"
#include "id_payload.hpp"

namespace billing {
namespace {

constexpr std::string_view k_worker = "billing.collections";

std::string payment_key(const Invoice& invoice) { return fmt::format("invoice:{}", invoice.id.str()); }

// The invoice a payment pays, when it is one that collections made (or a host's that names one).
std::optional<InvoiceId> paid_invoice(const Payment& payment) {
  const auto named = payment.metadata.find(InvoiceIdTag::k_field);
  if (named == payment.metadata.end()) return std::nullopt;
  try {
    return InvoiceId(named->second);
  } catch (const InvalidArgument&) {
    return std::nullopt;  // a host's metadata that only looks like ours
  }
}

void count(const Payment& payment, CollectionReport& report) {
  switch (payment.status) {
    case PaymentStatus::processed: ++report.paid; break;
    case PaymentStatus::failed:
    case PaymentStatus::dead_lettered: ++report.dunned; break;
    case PaymentStatus::validated: ++report.retrying; break;
    default: ++report.unknown; break;  // processing or unknown: reconcile() settles it
  }
}

std::string field_errors(const FieldErrors& errors) {
  std::string text;
  for (const FieldError& error : errors) {
    if (!text.empty()) text += ", ";
    text += error.message();
  }
  return text;
}

}  // namespace

void Collections::configure(const DunningPolicy& policy) {
  const std::scoped_lock lock(mutex_);
  policy_ = policy;
}

DunningPolicy Collections::policy() const {
  const std::scoped_lock lock(mutex_);
  return policy_;
}

CollectionReport Collections::run(PaymentGateway& gateway, const PaymentMethodLookup& lookup, std::size_t limit) {
  if (limit < 1 || limit > k_max_collection_run) {
    throw InvalidArgument("limit", fmt::format("must be 1 to {}, not {}", k_max_collection_run, limit));
  }
  if (context_.ambient() != nullptr) {
    throw Misuse("transaction", "collections call the gateway between units of work of their own; call run() "
                                "outside books.transaction()");
  }
  if (!lookup) throw InvalidArgument("lookup", "is empty; pass a function that returns the method on file");
  CollectionReport report;
  const ClaimRequest claim{.kinds = {std::string(k_invoice_payment_kind)},
                           .lease = payments_.options().charge_timeout,
                           .worker = std::string(k_worker)};
  for (std::size_t claimed = 0; claimed < limit; ++claimed) {
    const std::optional<Job> job = jobs_.claim(claim);
    if (!job) break;
    ++report.jobs;
    collect(*job, gateway, lookup, report);
    (void)jobs_.complete(*job);  // stale_token only when its lease ran out and another run took it over
  }
  for (const PaymentOutcome& outcome : payments_.run_due(gateway, std::min(limit, k_max_claim_batch))) {
    if (!outcome.payment || !paid_invoice(*outcome.payment)) continue;
    ++report.retries;
    count(*outcome.payment, report);
  }
  return report;
}

void Collections::collect(const Job& job, PaymentGateway& gateway, const PaymentMethodLookup& lookup,
                          CollectionReport& report) {
  const std::optional<InvoiceId> id = detail::payload_id<InvoiceIdTag>(job.payload);
  if (!id) {
    report.skipped.push_back({.invoice_id = InvoiceId("?"), .reason = "the job's payload names no invoice"});
    return;
  }
  const std::optional<Invoice> invoice = invoices_.get(*id);
  if (!invoice || invoice->status != InvoiceStatus::open || invoice->total.sign() <= 0) {
    const std::string why = !invoice                                   ? "no invoice has this id"
                            : invoice->status != InvoiceStatus::open ? fmt::format("the invoice is {}",
                                                                                   to_string(invoice->status))
                                                                       : "the invoice's total is not positive";
    report.skipped.push_back({.invoice_id = *id, .reason = why});
    return;
  }
  const std::optional<PaymentMethodOnFile> method = lookup(*invoice);
  const auto dun_now = [&](std::string reason) {
    context_.write_joined([&](UnitOfWork&) {
      dun(invoice->id);
      return 0;
    });
    ++report.dunned;
    report.skipped.push_back({.invoice_id = *id, .reason = std::move(reason)});
  };
  if (!method) return dun_now("no payment method on file");

  const std::string amount = invoice->total.amount().to_string();
  const PaymentRequest request{
      .input = {.amount = amount,
                .currency = invoice->currency.code(),
                .customer_id = invoice->account_id.str(),
                .email = method->email,
                .card_number = method->card_number,
                .expiry_month = method->expiry_month,
                .expiry_year = method->expiry_year,
                .cvc = method->cvc,
                .iban = method->iban},
      .idempotency_key = payment_key(*invoice),
      .credit_account = invoice->account_id,
      .description = fmt::format("invoice {}", invoice_number(invoice->number.value_or(0))),
      .metadata = {{std::string(InvoiceIdTag::k_field), invoice->id.str()}},
  };
  const PaymentOutcome created = payments_.create(request, gateway);
  if (created.result == PaymentResult::invalid) {
    return dun_now(fmt::format("the payment method on file is invalid ({})", field_errors(created.errors)));
  }
  if (created.result == PaymentResult::ok) ++report.payments_created;
  const Payment& payment = *created.payment;  // exists: an earlier run made it; its own state says what is next
  if (payment.status != PaymentStatus::validated || payment.attempts != 0) return count(payment, report);
  const PaymentOutcome processed = payments_.process(payment.id, gateway);
  count(*processed.payment, report);
}

void Collections::payment_settled(UnitOfWork&, const Payment& payment) {
  const std::optional<InvoiceId> id = paid_invoice(payment);
  if (!id) return;
  const std::optional<Invoice> invoice = invoices_.get(*id);
  if (!invoice) return;
  switch (payment.status) {
    case PaymentStatus::processed: {
      const bool payable = invoice->status == InvoiceStatus::open || invoice->status == InvoiceStatus::uncollectible;
      // A payment of another amount or to another account (a host's own, a partial one) leaves the invoice open.
      if (!payable || !payment.entry_id || payment.amount != invoice->total ||
          payment.credit_account != invoice->account_id) {
        return;
      }
      (void)invoices_.mark_paid_by(invoice->id, *payment.entry_id);
      restore(*invoice);
      return;
    }
    case PaymentStatus::failed:
    case PaymentStatus::dead_lettered: dun(invoice->id); return;
    default: return;  // still on its way: a retry is due, or the gateway's answer is unknown
  }
}

void Collections::dun(const InvoiceId& id) {
  const std::optional<Invoice> invoice = invoices_.get(id);
  if (!invoice || invoice->status != InvoiceStatus::open) return;  // paid, voided or dunned meanwhile
  const DunningPolicy policy = this->policy();
  if (policy.invoice_uncollectible) (void)invoices_.mark_uncollectible(id);
  if (policy.subscription_past_due && invoice->subscription_id) {
    const std::optional<Subscription> subscription = subscriptions_.get(*invoice->subscription_id);
    if (subscription && subscription->status == SubscriptionStatus::active) {
      (void)subscriptions_.set_status(subscription->id, SubscriptionStatus::past_due);
    }
  }
  if (policy.deactivate_account) {
    const std::optional<Account> account = accounts_.get(invoice->account_id);
    if (account && account->status == AccountStatus::active) {
      (void)accounts_.set_status(account->id, AccountStatus::inactive);
    }
  }
}

void Collections::restore(const Invoice& paid) {
  if (!paid.subscription_id) return;
  const std::optional<Subscription> subscription = subscriptions_.get(*paid.subscription_id);
  if (!subscription || subscription->status != SubscriptionStatus::past_due) return;
  // PAST_DUE until the last of the subscription's uncollectible invoices is paid.
  for (std::optional<std::string> cursor;;) {
    const Page<Invoice> page = invoices_.list(paid.account_id, InvoiceStatus::uncollectible, cursor, detail::k_max_page);
    const bool owing = std::any_of(page.items.begin(), page.items.end(), [&](const Invoice& invoice) {
      return invoice.subscription_id == paid.subscription_id && invoice.id != paid.id;
    });
    if (owing) return;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  (void)subscriptions_.set_status(subscription->id, SubscriptionStatus::active);
}

}  // namespace billing
