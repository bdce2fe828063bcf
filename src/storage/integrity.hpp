// The integrity checks that every adapter repeats under the domain's own, written once so that each
// adapter refuses the same rows with the same words. The domain never relies on them: they catch a bug
// in the rules or a caller that reached a repository directly. Each throws InvariantViolation naming
// the field.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "billing/account.hpp"
#include "billing/entry.hpp"
#include "billing/invoice.hpp"
#include "billing/job.hpp"
#include "billing/order.hpp"
#include "billing/payment.hpp"
#include "billing/storage/usage_repository.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/subscription.hpp"

namespace billing::detail::integrity {

/// For an account row about to be stored: its limit is in its currency.
void check_account(const Account& account);

/// For an entry about to be appended after the entry `head_sequence`: it follows the head, and it has one
/// balances_after per posting.
void check_appendable(const Entry& entry, std::uint64_t head_sequence);

/// For a posting about to be stored on an account in `account_currency`: the posting is in it too.
void check_posting_currency(const Posting& posting, std::string_view account_currency);

/// The entry id is taken.
[[noreturn]] void duplicate_entry(const EntryId& id);

/// A write named an account that is not stored.
[[noreturn]] void missing_account(const AccountId& id);

/// A resolution or reversal named an entry that already has one.
[[noreturn]] void already_linked(const EntryId& id);

/// For an order about to be inserted: PENDING at version 1, live, updated when created, and its lines
/// (one or more, in one currency) sum to its total.
void check_new_order(const Order& order);

/// For a status change about to be stored: k_order_transitions allows it, and it makes version 2 or later.
void check_order_change(const OrderChange& change);

/// A write named an order that is not live at `version` in a status that allows the write.
[[noreturn]] void order_not_at(const OrderId& id, std::uint64_t version);

/// For a job row about to be stored: attempts within 1..k_max_job_attempts and at most max_attempts; a
/// claimed job (and only a claimed one) has a lease and a token; kind, payload, dedup key, worker and
/// last_error within their limits.
void check_job(const Job& job);

/// For a job row about to replace `stored`: the two agree on id, kind, payload, dedup key, max_attempts
/// and created_at (else field "job_id"), and k_job_transitions allows the change of status, so `stored`
/// has not completed (else field "status").
void check_job_update(const Job& stored, const Job& next);

/// A job that has not completed holds this kind's dedup key.
[[noreturn]] void duplicate_dedup_key(std::string_view kind);

/// A write named a job that is not stored.
[[noreturn]] void missing_job(const JobId& id);

/// For a payment about to be inserted: VALIDATED at version 1 with no attempt, created when updated, and
/// a row check_payment_change() would accept (the fields below).
void check_new_payment(const Payment& payment);

/// For a payment row about to be stored by a status change, before the stored row is looked at: a status
/// in the enum; an amount above zero; max_attempts in 1..k_max_job_attempts and attempts at most that;
/// exactly one of card and bank_account, each well formed; a fingerprint empty or 64 lower-case hex
/// digits; the texts within their limits; a processed time exactly when PROCESSED and a ledger entry only
/// then; a charge start while PROCESSING and an attempt made in every status but VALIDATED. And `change` says payment.id from -> payment.status at payment.version (2 or
/// later) with payment.attempts, and k_payment_transitions allows it.
void check_payment_change(const Payment& payment, const PaymentChange& change);

/// For `next` about to replace `stored` by `change`: check_payment_change(next, change), then `stored` is at
/// version next.version - 1 in status change.from (field "version", "status"), and the two agree on every
/// field that never changes (the field named).
void check_payment_update(const Payment& stored, const Payment& next, const PaymentChange& change);

/// Another payment holds this request idempotency key (field "idempotency_key").
[[noreturn]] void duplicate_request_key();

/// A write named a payment that is not stored (field "payment_id").
[[noreturn]] void missing_payment(const PaymentId& id);

/// For a meter about to be stored: a code of 1 to k_max_meter_code_bytes, an Aggregation, a property for
/// unique_count, and a group_by that is not the property.
void check_meter(const Meter& meter);

/// For a usage event about to be inserted: an id, meter and subject within their limits, a time, not
/// cancelled, recorded at a time, and a group exactly when `meter` groups.
void check_usage_event(const StoredUsageEvent& event, const Meter& meter);

/// For an aggregate about to be stored: its bucket starts its period (the epoch for all time); with no
/// events it has no sum, min, max, latest or unique values; with events it has a min no greater than its
/// max, a latest value, time and event id, and at most as many unique values as events.
void check_usage_aggregate(const UsageAggregate& aggregate);

/// For a meter's totals about to be stored: no more subjects than events, and none of either without the other.
void check_usage_totals(const UsageTotals& totals);

/// A write named a usage event that is not stored, or one cancelled already (field "event_id").
[[noreturn]] void missing_usage_event(std::string_view id, std::string_view why);

/// For a quota state about to be stored: a plan code and subject, tokens of 0 or more, and no more units in
/// the period than over all time (field "tokens" or "used").
void check_quota_state(const QuotaState& state);

/// A write named a plan that is not stored (field "plan").
[[noreturn]] void missing_plan(std::string_view code);

/// A write named an API key that is not stored or not active (field "key_id").
[[noreturn]] void missing_api_key(const ApiKeyId& id);

/// For a subscription row about to be stored: a status and an interval in their enums; a plan, a period plan
/// and a running plan of 1 to k_max_plan_code_bytes; anchor_day 1 to 31; period_index -1 or more; start <=
/// current_period_start < current_period_end; a trial end after the start; the trial (period -1) with its trial
/// end, and TRIALING only in it; a cancel time when CANCELED, and only then or with cancel_at_period_end;
/// version 1 or more. Each refusal names the field. (No order of created_at and updated_at: both come from the
/// host's clock, which may step back.)
void check_subscription(const Subscription& subscription);

/// For a subscription about to be inserted: check_subscription(), at version 1, TRIALING or ACTIVE (field
/// "version", "status").
void check_new_subscription(const Subscription& subscription);

/// For `next` about to replace `stored` (at next.version - 1): the two agree on id, account, currency,
/// interval, start and created_at (the field named), and the status stays or moves along
/// k_subscription_transitions; a status with no way out in the table (CANCELED) is final, so its row never
/// changes (field "status").
void check_subscription_update(const Subscription& stored, const Subscription& next);

/// A write named a subscription that is not stored (field "subscription_id").
[[noreturn]] void missing_subscription(const SubscriptionId& id);

/// For an adjustment about to be appended: a sequence of 1 or more and a description of at most
/// k_max_description_bytes (field "sequence", "description").
void check_adjustment(const SubscriptionAdjustment& adjustment);

/// For an adjustment about to be appended to a period whose last adjustment is `last_sequence` (0 for none),
/// of a subscription in `currency`: check_adjustment(), then it comes next (field "sequence") and is in that
/// currency (field "currency").
void check_adjustment_append(const SubscriptionAdjustment& adjustment, const Currency& currency,
                             std::uint32_t last_sequence);

/// For an invoice row about to be stored: a status in its enum, version 1 or more, period_start < period_end;
/// at most k_max_invoice_lines lines, each with a kind in its enum (a tax line only last), a description of 1 to
/// k_max_invoice_description_bytes with no control character, a period that does not end before it starts, an
/// amount in the invoice's currency, a meter code (1 to k_max_meter_code_bytes) exactly when it bills usage, and a
/// tier breakdown only on a usage line, in the currency, naming tiers below k_max_price_tiers and summing to the
/// line's amount (the field "lines[i].<field>"); subtotal, tax and total in the currency, the non-tax lines summing
/// to the subtotal, a tax rate from 0 to 1 with at most k_max_tax_rate_places places, a tax of subtotal x rate
/// half to even (zero without a rate) that the tax line carries, and total = subtotal + tax; a number (1 to
/// 2^63 - 1) never while DRAFT and always while OPEN, PAID or UNCOLLECTIBLE; a finalisation time exactly with a
/// number, a closing time exactly when PAID, VOID or UNCOLLECTIBLE, a posted entry only with a number, a
/// settlement only when PAID, a reversal only when VOID after a posting. Each refusal names the field.
void check_invoice(const Invoice& invoice);

/// For an invoice about to be inserted: check_invoice(), DRAFT (field "status") at version 1 ("version"); so
/// without a number, times of finalisation and closing, or entries.
void check_new_invoice(const Invoice& invoice);

/// For `next` about to replace `stored` (at next.version - 1), when the books' highest number is
/// `last_number`: the two agree on id, account, subscription, currency, period and created_at (the field
/// named); the status moves along k_invoice_transitions, or stays only while DRAFT, and a status with no way out
/// (PAID, VOID) is final (field "status"); a stored invoice that is not DRAFT keeps its lines, subtotal, tax rate,
/// tax and total exactly, decimals' places included (the field named); a number is set only when leaving DRAFT
/// for OPEN, and then it is last_number + 1, and once set it, the finalisation time and the posted entry never
/// change (field "number", "finalized_at", "posted_entry").
void check_invoice_update(const Invoice& stored, const Invoice& next, std::uint64_t last_number);

/// Whether two invoices' lines are the same, decimals' places included (0.20 is not 0.2 here): what a stored
/// invoice that is not DRAFT must keep, and what tells an adapter that it need not rewrite them.
[[nodiscard]] bool same_invoice_lines(const std::vector<InvoiceLine>& a, const std::vector<InvoiceLine>& b);

}  // namespace billing::detail::integrity
