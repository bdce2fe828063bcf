// Invoices' rules: what a subscription's period bills (flat fee, adjustments, metered charges on the usage
// aggregates, tax), one invoice per (subscription, period), and the status moves with their ledger entries:
// finalising posts receivable against revenue and tax payable, paying posts the settlement, voiding reverses.
#include "billing/invoices.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "billing/accounts.hpp"
#include "billing/error.hpp"
#include "billing/ledger.hpp"
#include "billing/plans.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "billing/storage/store.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "billing/subscriptions.hpp"
#include "billing/usage.hpp"
#include "context.hpp"

namespace billing {
namespace {

Money sum_lines(const std::vector<InvoiceLine>& lines, Currency currency) {
  Money total = Money::zero(currency);
  for (const InvoiceLine& line : lines) {
    if (line.kind != InvoiceLineKind::tax) total += line.amount;
  }
  return total;
}

void check_tax_rate(const std::optional<Decimal>& rate) {
  if (!rate) return;
  if (rate->sign() < 0 || Decimal(1) < *rate) throw InvalidArgument("tax_rate", "must be from 0 to 1 (0.2 is 20%)");
  if (rate->normalized().scale() > k_max_tax_rate_places) {
    throw InvalidArgument("tax_rate", fmt::format("has more than {} places", k_max_tax_rate_places));
  }
}

void check_prefix(const std::string& prefix, std::string_view field) {
  try {
    (void)AccountId(prefix + "XXX");
  } catch (const InvalidArgument&) {
    throw InvalidArgument(std::string(field), "does not make an account id with a currency code after it");
  }
}

// The entry ids of an invoice's postings: fixed by the invoice, so a retried step posts once.
EntryId entry_id(const InvoiceId& id, std::string_view step) { return EntryId(fmt::format("{}:{}", id.str(), step)); }

// `stored` moved to a final status `to` at `now`, one version on.
Invoice closed(const Invoice& stored, InvoiceStatus to, Timestamp now) {
  Invoice next = stored;
  next.version = stored.version + 1;
  next.status = to;
  next.closed_at = now;
  return next;
}

}  // namespace

std::vector<std::pair<InvoiceStatus, InvoiceStatus>> invoice_transitions() {
  std::vector<std::pair<InvoiceStatus, InvoiceStatus>> out;
  for (const InvoiceStatus from : k_invoice_statuses) {
    for (const InvoiceStatus to : k_invoice_statuses) {
      if (invoice_transition_allowed(from, to)) out.emplace_back(from, to);
    }
  }
  return out;
}

std::string invoice_number(std::uint64_t n) { return fmt::format("INV-{:06}", n); }

std::string_view to_string(InvoiceStatus status) noexcept {
  switch (status) {
    case InvoiceStatus::draft: return "draft";
    case InvoiceStatus::open: return "open";
    case InvoiceStatus::paid: return "paid";
    case InvoiceStatus::voided: return "void";
    case InvoiceStatus::uncollectible: return "uncollectible";
  }
  return "?";
}

std::string_view to_string(InvoiceLineKind kind) noexcept {
  switch (kind) {
    case InvoiceLineKind::flat_fee: return "flat_fee";
    case InvoiceLineKind::usage: return "usage";
    case InvoiceLineKind::adjustment: return "adjustment";
    case InvoiceLineKind::tax: return "tax";
  }
  return "?";
}

std::string_view to_string(InvoiceResult result) noexcept {
  switch (result) {
    case InvoiceResult::ok: return "ok";
    case InvoiceResult::not_found: return "not_found";
    case InvoiceResult::transition_forbidden: return "transition_forbidden";
    case InvoiceResult::empty: return "empty";
    case InvoiceResult::version_conflict: return "version_conflict";
    case InvoiceResult::rejected: return "rejected";
  }
  return "?";
}

void Invoices::configure(const InvoiceOptions& options) {
  check_tax_rate(options.tax_rate);
  check_prefix(options.accounts.revenue_prefix, "revenue_prefix");
  check_prefix(options.accounts.tax_prefix, "tax_prefix");
  check_prefix(options.accounts.cash_prefix, "cash_prefix");
  const std::lock_guard lock(mutex_);
  options_ = options;
}

InvoiceOptions Invoices::options() const {
  const std::lock_guard lock(mutex_);
  return options_;
}

Invoice Invoices::build(UnitOfWork& work, const Subscription& s) {
  const InvoiceOptions options = this->options();
  Invoice invoice{.id = InvoiceId("inv_preview"),
                  .account_id = s.account_id,
                  .subscription_id = s.id,
                  .currency = s.currency,
                  .period_start = s.current_period_start,
                  .period_end = s.current_period_end,
                  .subtotal = Money::zero(s.currency),
                  .tax = Money::zero(s.currency),
                  .total = Money::zero(s.currency),
                  .created_at = context_.clock().now()};
  if (s.period_index < 0) return invoice;  // a trial bills nothing

  const std::optional<Plan> period_plan = plans_.get(work, s.period_plan);
  BILLING_ASSERT(period_plan.has_value());  // plans are never deleted
  if (period_plan->flat_fee) {
    const Money fee = period_fee(s, *period_plan->flat_fee);
    invoice.lines.push_back({.kind = InvoiceLineKind::flat_fee,
                             .description = fmt::format("{} ({})", period_plan->code, to_string(s.interval)),
                             .period_start = s.current_period_start,
                             .period_end = s.current_period_end,
                             .quantity = Decimal(1),
                             .unit_price = fee.amount(),
                             .amount = fee});
  }
  for (const SubscriptionAdjustment& a : work->subscriptions().adjustments(s.id, s.current_period_start)) {
    invoice.lines.push_back({.kind = InvoiceLineKind::adjustment,
                             .description = a.description,
                             .period_start = s.current_period_start,
                             .period_end = s.current_period_end,
                             .quantity = Decimal(1),
                             .unit_price = a.amount.amount(),
                             .amount = a.amount});
  }
  const std::optional<Plan> plan = s.plan == s.period_plan ? period_plan : plans_.get(work, s.plan);
  BILLING_ASSERT(plan.has_value());
  for (const auto& [meter, price] : plan->charges) {
    const Decimal used = usage_.total(meter, s.account_id.str(), s.current_period_start, s.current_period_end);
    Charge charge = price.charge(used);
    invoice.lines.push_back({.kind = InvoiceLineKind::usage,
                             .description = fmt::format("{} usage", meter),
                             .period_start = s.current_period_start,
                             .period_end = s.current_period_end,
                             .quantity = used,
                             .amount = charge.amount,
                             .meter = meter,
                             .tiers = std::move(charge.lines)});
  }
  invoice.subtotal = sum_lines(invoice.lines, s.currency);
  invoice.tax_rate = options.tax_rate;
  if (options.tax_rate) {
    invoice.tax = Money(invoice.subtotal.amount() * *options.tax_rate, s.currency, RoundingMode::half_even);
    invoice.lines.push_back({.kind = InvoiceLineKind::tax,
                             .description = fmt::format("tax at {}", options.tax_rate->normalized().to_string()),
                             .period_start = s.current_period_start,
                             .period_end = s.current_period_end,
                             .quantity = Decimal(1),
                             .unit_price = options.tax_rate->normalized(),
                             .amount = invoice.tax});
  }
  invoice.total = invoice.subtotal + invoice.tax;
  return invoice;
}

Invoice Invoices::preview(const SubscriptionId& id) {
  const auto preview_in = [&](UnitOfWork& work) {
    const std::optional<Subscription> s = subscriptions_.get(work, id);
    if (!s) throw InvalidArgument("subscription_id", "no subscription has this id");
    return build(work, *s);
  };
  if (UnitOfWork* open = context_.ambient(); open != nullptr && !open->committed()) return preview_in(*open);
  // A read unit that the usage reads join, so that the whole preview sees one snapshot.
  UnitOfWork unit(context_.store(), Access::read);
  const detail::AmbientScope scope(context_, unit);
  return preview_in(unit);
}

InvoiceOutcome Invoices::create_for_period(const SubscriptionId& id) {
  return context_.write_joined([&](UnitOfWork& work) -> InvoiceOutcome {
    const std::optional<Subscription> s = subscriptions_.get(work, id);
    if (!s) return {InvoiceResult::not_found, std::nullopt, {}};
    return create_for_period(work, *s);
  });
}

InvoiceOutcome Invoices::create_for_period(UnitOfWork& work, const Subscription& s) {
  if (std::optional<Invoice> existing = work->invoices().find_for_period(s.id, s.current_period_start)) {
    return {InvoiceResult::ok, std::move(existing), {}};
  }
  Invoice invoice = build(work, s);
  invoice.id = InvoiceId("inv_" + context_.ids().next());
  switch (work->invoices().insert(invoice)) {
    case InvoiceInsert::inserted: return {InvoiceResult::ok, std::move(invoice), {}};
    case InvoiceInsert::period_taken: return {InvoiceResult::ok, work->invoices().find_for_period(s.id, s.current_period_start), {}};
    case InvoiceInsert::id_taken: break;
  }
  throw InvariantViolation("invoice_id", "the id source gave an id that an invoice already has");
}

std::optional<Invoice> Invoices::get(const InvoiceId& id) {
  return context_.read([&](UnitOfWork& work) { return work->invoices().find(id); });
}

Page<Invoice> Invoices::list(const std::optional<AccountId>& account_id, std::optional<InvoiceStatus> status,
                             const std::optional<std::string>& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  const std::string after = cursor ? InvoiceId(*cursor).str() : std::string();
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->invoices().list({.account_id = account_id, .status = status}, after, limit + 1),
                             limit, [](const Invoice& invoice) { return invoice.id.str(); });
  });
}

namespace {

// The step an invoice takes, decided on the stored row; nullopt when it may go ahead.
std::optional<InvoiceOutcome> refused(const std::optional<Invoice>& stored, InvoiceStatus to,
                                      std::optional<std::uint64_t> expected_version) {
  if (!stored) return InvoiceOutcome{InvoiceResult::not_found, std::nullopt, {}};
  if (!invoice_transition_allowed(stored->status, to)) {
    return InvoiceOutcome{InvoiceResult::transition_forbidden, stored, {}};
  }
  if (expected_version && *expected_version != stored->version) {
    return InvoiceOutcome{InvoiceResult::version_conflict, stored, {}};
  }
  return std::nullopt;
}

}  // namespace

InvoiceOutcome Invoices::finalize(const InvoiceId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write_joined([&](UnitOfWork& work) { return finalize(work, id, expected_version); });
}

InvoiceOutcome Invoices::finalize(UnitOfWork& work, const InvoiceId& id, std::optional<std::uint64_t> expected_version) {
  const std::optional<Invoice> stored = work->invoices().find(id);
  if (auto no = refused(stored, InvoiceStatus::open, expected_version)) return *no;
  if (stored->lines.empty()) return {InvoiceResult::empty, stored, {}};
  const InvoiceOptions options = this->options();
  const Currency currency = stored->currency;
  const std::string code(currency.code());
  const auto open = [&](const std::string& prefix, std::string_view role) {
    const AccountId account(prefix + code);
    const AccountOutcome opened = accounts_.create(
        {.id = account, .currency = currency, .name = fmt::format("Invoices {} ({})", role, code),
         .normal_side = Side::credit});
    if (opened.account->currency != currency) {
      throw InvalidArgument(std::string(role), fmt::format("the account {} is in {}, the invoice in {}", account.str(),
                                                           opened.account->currency.code(), code));
    }
    return account;
  };
  Invoice next = *stored;
  next.version = stored->version + 1;
  next.status = InvoiceStatus::open;
  next.number = work->invoices().last_number() + 1;
  next.finalized_at = context_.clock().now();
  if (!stored->total.is_zero()) {
    const bool charge = stored->total.sign() > 0;  // a credit note posts the other way round
    const Side customer_side = charge ? Side::debit : Side::credit;
    const Side other_side = charge ? Side::credit : Side::debit;
    EntryRequest entry{.id = entry_id(id, "finalize"),
                       .description = fmt::format("invoice {}", invoice_number(*next.number)),
                       .metadata = {{"invoice_id", id.str()}}};
    entry.postings.push_back({.account = stored->account_id, .side = customer_side, .amount = abs(stored->total)});
    if (!stored->subtotal.is_zero()) {
      entry.postings.push_back({.account = open(options.accounts.revenue_prefix, "revenue"), .side = other_side,
                                .amount = abs(stored->subtotal)});
    }
    if (!stored->tax.is_zero()) {
      entry.postings.push_back({.account = open(options.accounts.tax_prefix, "tax"), .side = other_side,
                                .amount = abs(stored->tax)});
    }
    const PostOutcome posted = ledger_.post(entry);
    if (posted.result != PostResult::ok && posted.result != PostResult::exists) {
      return {InvoiceResult::rejected, stored, std::string(to_string(posted.result))};
    }
    next.posted_entry = entry.id;
  }
  const bool updated = work->invoices().update(next);
  BILLING_ASSERT(updated);  // read at this version in this unit of work
  return {InvoiceResult::ok, std::move(next), {}};
}

InvoiceOutcome Invoices::mark_paid(const InvoiceId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write_joined([&](UnitOfWork& work) -> InvoiceOutcome {
    const std::optional<Invoice> stored = work->invoices().find(id);
    if (auto no = refused(stored, InvoiceStatus::paid, expected_version)) return *no;
    Invoice next = closed(*stored, InvoiceStatus::paid, context_.clock().now());
    if (!stored->total.is_zero()) {
      const std::string code(stored->currency.code());
      const AccountId cash(this->options().accounts.cash_prefix + code);
      (void)accounts_.create({.id = cash, .currency = stored->currency, .name = fmt::format("Invoices cash ({})", code)});
      const bool charge = stored->total.sign() > 0;
      const EntryRequest entry{
          .id = entry_id(id, "paid"),
          .postings = {{.account = cash, .side = charge ? Side::debit : Side::credit, .amount = abs(stored->total)},
                       {.account = stored->account_id, .side = charge ? Side::credit : Side::debit,
                        .amount = abs(stored->total)}},
          .description = fmt::format("payment of invoice {}", invoice_number(stored->number.value_or(0))),
          .metadata = {{"invoice_id", id.str()}}};
      const PostOutcome posted = ledger_.post(entry);
      if (posted.result != PostResult::ok && posted.result != PostResult::exists) {
        return {InvoiceResult::rejected, stored, std::string(to_string(posted.result))};
      }
      next.settled_entry = entry.id;
    }
    const bool updated = work->invoices().update(next);
    BILLING_ASSERT(updated);
    return {InvoiceResult::ok, std::move(next), {}};
  });
}

InvoiceOutcome Invoices::mark_paid_by(const InvoiceId& id, const EntryId& settlement) {
  return context_.write_joined([&](UnitOfWork& work) -> InvoiceOutcome {
    const std::optional<Invoice> stored = work->invoices().find(id);
    if (auto no = refused(stored, InvoiceStatus::paid, std::nullopt)) return *no;
    const std::optional<Entry> entry = ledger_.entry(settlement);
    if (!entry) throw InvalidArgument("settlement", fmt::format("the ledger has no entry {}", settlement.str()));
    const Side customer_side = stored->total.sign() < 0 ? Side::debit : Side::credit;
    const bool settles = std::any_of(entry->postings.begin(), entry->postings.end(), [&](const Posting& posting) {
      return posting.account == stored->account_id && posting.side == customer_side &&
             posting.amount == abs(stored->total);
    });
    if (!settles) {
      throw InvalidArgument("settlement", fmt::format("entry {} does not {} {} with {}", settlement.str(),
                                                      customer_side == Side::credit ? "credit" : "debit",
                                                      stored->account_id.str(), abs(stored->total).to_string()));
    }
    Invoice next = closed(*stored, InvoiceStatus::paid, context_.clock().now());
    next.settled_entry = settlement;
    const bool updated = work->invoices().update(next);
    BILLING_ASSERT(updated);
    return {InvoiceResult::ok, std::move(next), {}};
  });
}

InvoiceOutcome Invoices::void_invoice(const InvoiceId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write_joined([&](UnitOfWork& work) -> InvoiceOutcome {
    const std::optional<Invoice> stored = work->invoices().find(id);
    if (auto no = refused(stored, InvoiceStatus::voided, expected_version)) return *no;
    Invoice next = closed(*stored, InvoiceStatus::voided, context_.clock().now());
    if (stored->posted_entry) {
      const PostOutcome reversed = ledger_.reverse(*stored->posted_entry, entry_id(id, "void"),
                                                   fmt::format("void of invoice {}", invoice_number(stored->number.value_or(0))));
      if (reversed.result != PostResult::ok && reversed.result != PostResult::exists) {
        return {InvoiceResult::rejected, stored, std::string(to_string(reversed.result))};
      }
      next.voided_entry = entry_id(id, "void");
    }
    const bool updated = work->invoices().update(next);
    BILLING_ASSERT(updated);
    return {InvoiceResult::ok, std::move(next), {}};
  });
}

InvoiceOutcome Invoices::mark_uncollectible(const InvoiceId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write_joined([&](UnitOfWork& work) -> InvoiceOutcome {
    const std::optional<Invoice> stored = work->invoices().find(id);
    if (auto no = refused(stored, InvoiceStatus::uncollectible, expected_version)) return *no;
    Invoice next = closed(*stored, InvoiceStatus::uncollectible, context_.clock().now());
    const bool updated = work->invoices().update(next);
    BILLING_ASSERT(updated);
    return {InvoiceResult::ok, std::move(next), {}};
  });
}

}  // namespace billing
