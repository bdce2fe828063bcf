// The billing run's rules: one unit of work per due period (invoice, finalisation, advance, payment job), read
// and written under SQLite's write lock, so that reruns, crashes and a second process never bill a period twice.
#include "billing/billing_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "billing/error.hpp"
#include "billing/invoices.hpp"
#include "billing/jobs.hpp"
#include "billing/storage/store.hpp"
#include "billing/subscriptions.hpp"
#include "context.hpp"
#include "id_payload.hpp"

namespace billing {
namespace {

// What one due period came to.
struct Step {
  enum class Kind : std::uint8_t { billed, trial_ended, skipped } kind = Kind::billed;
  bool invoice_created = false;
  bool job_enqueued = false;
  bool canceled = false;
  std::optional<Money> total{};
  std::string reason{};
};

// Thrown inside a period's unit of work to roll it back and report the period as skipped.
struct Skip {
  std::string reason;
};

}  // namespace

BillingReport BillingRun::run(Timestamp as_of, std::size_t limit) {
  if (context_.ambient() != nullptr) {
    throw Misuse("transaction", "run_billing commits each subscription on its own; call it outside books.transaction()");
  }
  if (limit == 0 || limit > k_max_billing_run) {
    throw InvalidArgument("limit", fmt::format("{} is outside 1..{}", limit, k_max_billing_run));
  }
  BillingReport report{.as_of = as_of};
  std::set<std::pair<std::string, std::int64_t>> skipped;  // (subscription, period start): not again this run
  std::uint64_t periods = 0;
  while (true) {
    if (periods == limit) {
      UnitOfWork peek(context_.store(), Access::read);
      report.more_due = !subscriptions_.due(peek, as_of, 1).empty();
      break;
    }
    std::optional<Subscription> due;
    Step step;
    try {
      step = context_.write_joined([&](UnitOfWork& work) -> Step {
        // The first due period not skipped in this run, read under the write lock: among the first skipped + 1.
        const std::size_t window = std::min(skipped.size() + 1, detail::k_max_page);
        for (const Subscription& s : subscriptions_.due(work, as_of, window)) {
          if (!skipped.contains({s.id.str(), s.current_period_start.unix_micros()})) {
            due = s;
            break;
          }
        }
        if (!due) return Step{.kind = Step::Kind::skipped};
        if (due->period_index < 0) {  // a trial: nothing to bill
          subscriptions_.advance(work, *due);
          return Step{.kind = Step::Kind::trial_ended};
        }
        const InvoiceOutcome made = invoices_.create_for_period(work, *due);
        BILLING_ASSERT(made.ok() && made.invoice.has_value());
        Step billed{.invoice_created = made.invoice->status == InvoiceStatus::draft && made.invoice->version == 1 &&
                                       !made.invoice->number};
        Invoice invoice = *made.invoice;
        if (invoice.status == InvoiceStatus::draft) {
          // A period with nothing to bill (no flat fee, no charges) keeps its invoice, voided, unnumbered.
          const InvoiceOutcome opened = invoice.lines.empty() ? invoices_.void_invoice(invoice.id, std::nullopt)
                                                              : invoices_.finalize(work, invoice.id, std::nullopt);
          if (!opened.ok()) {
            throw Skip{fmt::format("the invoice could not be finalised: {} {}", to_string(opened.result), opened.reason)};
          }
          invoice = *opened.invoice;
        }
        const Subscription next = subscriptions_.advance(work, *due);
        billed.canceled = next.status == SubscriptionStatus::canceled;
        billed.total = invoice.total;
        if (invoice.status == InvoiceStatus::open && invoice.total.sign() > 0) {
          const EnqueueOutcome job = jobs_.enqueue(
              work, {.kind = std::string(k_invoice_payment_kind),
                     .payload = detail::id_payload(invoice.id),
                     .dedup_key = fmt::format("{}:{}", k_invoice_payment_kind, invoice.id.str())});
          billed.job_enqueued = job.result == EnqueueResult::ok;
        }
        return billed;
      });
    } catch (const Skip& skip) {
      BILLING_ASSERT(due.has_value());
      skipped.insert({due->id.str(), due->current_period_start.unix_micros()});
      report.skipped.push_back({.subscription_id = due->id, .period_start = due->current_period_start,
                                .reason = skip.reason});
      continue;
    }
    if (!due) break;  // nothing left that this run has not skipped
    ++periods;
    switch (step.kind) {
      case Step::Kind::trial_ended: ++report.trials_ended; break;
      case Step::Kind::billed: {
        ++report.subscriptions_billed;
        if (step.invoice_created) ++report.invoices_created;
        if (step.job_enqueued) ++report.payment_jobs;
        if (step.canceled) ++report.canceled;
        const std::string code(step.total->currency().code());
        auto [at, fresh] = report.totals.try_emplace(code, *step.total);
        if (!fresh) at->second += *step.total;
        break;
      }
      case Step::Kind::skipped: break;
    }
  }
  return report;
}

}  // namespace billing
