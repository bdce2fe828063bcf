#include "integrity.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "billing/email.hpp"
#include "billing/error.hpp"
#include "billing/ledger.hpp"
#include "../text.hpp"
#include "../usage/calendar.hpp"

namespace billing::detail::integrity {

void check_account(const Account& account) {
  if (account.limit && account.limit->currency() != account.currency) {
    throw InvariantViolation("limit",
                             fmt::format("the limit of account '{}' is in {}, the account in {}", account.id.str(),
                                         account.limit->currency().code(), account.currency.code()));
  }
}

void check_appendable(const Entry& entry, std::uint64_t head_sequence) {
  if (entry.sequence != head_sequence + 1) {
    throw InvariantViolation("sequence", fmt::format("entry {} does not follow {}", entry.sequence, head_sequence));
  }
  if (entry.balances_after.size() != entry.postings.size()) {
    throw InvariantViolation("balances_after",
                             fmt::format("entry '{}' has {} postings but {} balances_after", entry.id.str(),
                                         entry.postings.size(), entry.balances_after.size()));
  }
}

void check_posting_currency(const Posting& posting, std::string_view account_currency) {
  if (posting.amount.currency().code() != account_currency) {
    throw InvariantViolation(
        "currency", fmt::format("a posting in {} on account '{}', which is in {}", posting.amount.currency().code(),
                                posting.account.str(), account_currency));
  }
}

void duplicate_entry(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' already exists", id.str()));
}

void missing_account(const AccountId& id) {
  throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
}

void already_linked(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' is already resolved or reversed", id.str()));
}

void check_new_order(const Order& order) {
  const auto refuse = [&](std::string_view field, std::string_view why) {
    throw InvariantViolation(std::string(field), fmt::format("new order '{}' {}", order.id.str(), why));
  };
  if (order.status != OrderStatus::pending || order.version != 1) refuse("status", "is not PENDING at version 1");
  if (order.deleted_at || order.updated_at != order.created_at) refuse("updated_at", "is deleted or updated already");
  try {
    if (order_total(order.lines) != order.total) refuse("total", "has a total that is not the sum of its lines");
  } catch (const InvariantViolation&) {
    throw;
  } catch (const Error& e) {
    refuse("lines", fmt::format("has lines that cannot be summed ({})", e.what()));
  }
}

void check_order_change(const OrderChange& change) {
  if (!order_transition_allowed(change.from, change.to) || change.version < 2) {
    throw InvariantViolation("status", fmt::format("order '{}' cannot move from {} to {} as version {}",
                                                   change.order_id.str(), to_string(change.from),
                                                   to_string(change.to), change.version));
  }
}

void order_not_at(const OrderId& id, std::uint64_t version) {
  throw InvariantViolation("version", fmt::format("no live order '{}' is at version {} in a status that allows "
                                                  "this change",
                                                  id.str(), version));
}

namespace {

[[noreturn]] void broken_job(const Job& job, std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), fmt::format("job '{}' {}", job.id.str(), why));
}

}  // namespace

void check_job(const Job& job) {
  if (job.max_attempts < 1 || job.max_attempts > k_max_job_attempts) {
    broken_job(job, "max_attempts", fmt::format("allows {} attempts, outside 1..{}", job.max_attempts,
                                                k_max_job_attempts));
  }
  if (job.attempts > job.max_attempts) {
    broken_job(job, "attempts", fmt::format("made {} of {} attempts", job.attempts, job.max_attempts));
  }
  const bool claimed = job.status == JobStatus::claimed;
  if (claimed != job.lease_expires_at.has_value() || claimed == job.token.empty()) {
    broken_job(job, "status", "has a lease and a token exactly when it is claimed; this row breaks that");
  }
  if (job.kind.empty() || job.kind.size() > k_max_job_kind_bytes) broken_job(job, "kind", "has a kind out of bounds");
  if (job.payload.size() > k_max_job_payload_bytes) broken_job(job, "payload", "has a payload beyond its limit");
  if (job.dedup_key && (job.dedup_key->empty() || job.dedup_key->size() > k_max_job_dedup_key_bytes)) {
    broken_job(job, "dedup_key", "has a dedup key out of bounds");
  }
  if (job.worker.size() > k_max_job_worker_bytes) broken_job(job, "worker", "has a worker name beyond its limit");
  if (job.last_error.size() > k_max_job_error_bytes) broken_job(job, "last_error", "has an error beyond its limit");
  if (job.token.size() > k_max_job_token_bytes) broken_job(job, "token", "has a token beyond its limit");
}

void check_job_update(const Job& stored, const Job& next) {
  if (stored.id != next.id || stored.kind != next.kind || stored.payload != next.payload ||
      stored.dedup_key != next.dedup_key || stored.max_attempts != next.max_attempts ||
      stored.created_at != next.created_at) {
    broken_job(stored, "job_id", "keeps its id, kind, payload, dedup key, max_attempts and created_at");
  }
  if (!job_transition_allowed(stored.status, next.status)) {
    broken_job(stored, "status", fmt::format("cannot move from {} to {}", to_string(stored.status),
                                             to_string(next.status)));
  }
}

void duplicate_dedup_key(std::string_view kind) {
  throw InvariantViolation("dedup_key",
                           fmt::format("a job of kind '{}' that has not completed holds this dedup key", kind));
}

void missing_job(const JobId& id) {
  throw InvariantViolation("job_id", fmt::format("job '{}' does not exist", id.str()));
}

}  // namespace billing::detail::integrity

namespace billing::detail::integrity {
namespace {

[[noreturn]] void broken_payment(const Payment& payment, std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), fmt::format("payment '{}' {}", payment.id.str(), why));
}

bool is_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_upper_letters(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_upper_alnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

// Code points in UTF-8 `text`, as SQLite's length() counts them: the bytes that do not continue a character.
std::size_t characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void check_payment_method(const Payment& payment) {
  if (payment.card.has_value() == payment.bank_account.has_value()) {
    broken_payment(payment, "card", "has to be paid by exactly one of a card and a bank account");
  }
  if (const auto& card = payment.card) {
    if (static_cast<std::size_t>(card->brand()) >= k_card_brand_count) broken_payment(payment, "card", "has no brand");
    if (card->last_four().size() != 4 || !is_digits(card->last_four())) {
      broken_payment(payment, "card", "keeps a card's last four that are not four digits");
    }
    if (card->expiry_month() < 1 || card->expiry_month() > 12) {
      broken_payment(payment, "expiry_month", "has an expiry month outside 1..12");
    }
    if (card->expiry_year() < 1000 || card->expiry_year() > 9999) {
      broken_payment(payment, "expiry_year", "has an expiry year that is not four digits");
    }
  }
  if (const auto& bank = payment.bank_account) {
    if (bank->country.size() != 2 || !is_upper_letters(bank->country)) {
      broken_payment(payment, "iban", "keeps a bank country that is not two upper-case letters");
    }
    if (bank->last_four.size() != 4 || !is_upper_alnum(bank->last_four)) {
      broken_payment(payment, "iban", "keeps an IBAN's last four that are not four upper-case letters or digits");
    }
  }
  if (!payment.fingerprint.empty() && (payment.fingerprint.size() != 64 || !is_lower_hex(payment.fingerprint))) {
    broken_payment(payment, "fingerprint", "has a fingerprint that is neither empty nor 64 lower-case hex digits");
  }
}

void check_payment_texts(const Payment& payment) {
  if (payment.customer_id.empty() || payment.customer_id.size() > k_max_customer_id_bytes ||
      characters(payment.customer_id) > k_max_customer_id_chars) {
    broken_payment(payment, "customer_id", "has a customer id that is empty or beyond its limit");
  }
  // Not the email grammar (the rules checked it): what the schema's CHECK repeats, a local part and an '@'.
  if (payment.email && (payment.email->find('@') == 0 || payment.email->find('@') == std::string::npos ||
                        payment.email->size() > k_max_email_bytes)) {
    broken_payment(payment, "email", "has an email with no local part and '@', or beyond its limit");
  }
  if (payment.request_key && (payment.request_key->empty() || payment.request_key->size() > k_max_payment_key_bytes)) {
    broken_payment(payment, "idempotency_key", "has a request key that is empty or beyond its limit");
  }
  if (payment.gateway_token.size() > k_max_gateway_token_bytes) {
    broken_payment(payment, "token", "has a gateway token beyond its limit");
  }
  if (payment.gateway_reference.size() > k_max_gateway_reference_bytes) {
    broken_payment(payment, "gateway_reference", "has a gateway reference beyond its limit");
  }
  if (payment.failure_reason.size() > k_max_payment_reason_bytes) {
    broken_payment(payment, "failure_reason", "has a failure reason beyond its limit");
  }
  if (payment.description.size() > k_max_description_bytes) {
    broken_payment(payment, "description", "has a description beyond its limit");
  }
}

void check_payment_progress(const Payment& payment) {
  // An approval the ledger refused (an account closed since) is processed without an entry, and a gateway
  // may approve without a reference: only the processed time goes exactly with PROCESSED.
  const bool processed = payment.status == PaymentStatus::processed;
  if (processed != payment.processed_at.has_value() || (payment.entry_id.has_value() && !processed)) {
    broken_payment(payment, "entry_id",
                   "has a processed time exactly when PROCESSED, and a ledger entry only then; this row breaks that");
  }
  if (payment.status == PaymentStatus::processing && !payment.attempt_started_at) {
    broken_payment(payment, "attempt_started_at", "is PROCESSING without the time its charge left");
  }
  if (payment.status != PaymentStatus::validated && payment.attempts == 0) {
    broken_payment(payment, "attempts", fmt::format("is {} with no attempt made", to_string(payment.status)));
  }
}

void check_payment_row(const Payment& payment) {
  if (static_cast<std::size_t>(payment.status) >= std::size(k_payment_statuses)) {
    broken_payment(payment, "status", fmt::format("has status {}, which is not a PaymentStatus",
                                                  static_cast<int>(payment.status)));
  }
  if (payment.amount.minor() <= 0) broken_payment(payment, "amount", "has an amount that is not above zero");
  if (payment.max_attempts < 1 || payment.max_attempts > k_max_job_attempts) {
    broken_payment(payment, "max_attempts",
                   fmt::format("allows {} attempts, outside 1..{}", payment.max_attempts, k_max_job_attempts));
  }
  if (payment.attempts > payment.max_attempts) {
    broken_payment(payment, "attempts", fmt::format("made {} of {} attempts", payment.attempts, payment.max_attempts));
  }
  if (payment.version < 1) broken_payment(payment, "version", "is at version 0");
  check_payment_method(payment);
  check_payment_texts(payment);
  check_payment_progress(payment);
}

// The first field that never changes on which the two rows differ, or an empty view.
std::string_view changed_identity(const Payment& a, const Payment& b) {
  if (a.id != b.id) return "payment_id";
  if (a.customer_id != b.customer_id) return "customer_id";
  if (a.email != b.email) return "email";
  if (a.amount != b.amount) return "amount";
  if (a.card != b.card) return "card";
  if (a.bank_account != b.bank_account) return "bank_account";
  if (a.fingerprint != b.fingerprint) return "fingerprint";
  if (a.gateway_token != b.gateway_token) return "token";
  if (a.request_key != b.request_key) return "idempotency_key";
  if (a.debit_account != b.debit_account) return "debit_account";
  if (a.credit_account != b.credit_account) return "credit_account";
  if (a.description != b.description) return "description";
  if (a.metadata != b.metadata) return "metadata";
  if (a.max_attempts != b.max_attempts) return "max_attempts";
  if (a.created_at != b.created_at) return "created_at";
  return {};
}

}  // namespace

void check_new_payment(const Payment& payment) {
  check_payment_row(payment);
  if (payment.status != PaymentStatus::validated || payment.version != 1 || payment.attempts != 0) {
    broken_payment(payment, "status", "is not VALIDATED at version 1 with no attempt made");
  }
  if (payment.updated_at != payment.created_at) broken_payment(payment, "updated_at", "is updated already");
}

void check_payment_change(const Payment& payment, const PaymentChange& change) {
  check_payment_row(payment);
  if (change.payment_id != payment.id) {
    broken_payment(payment, "payment_id", fmt::format("is moved by a change of '{}'", change.payment_id.str()));
  }
  if (change.version != payment.version || change.version < 2) {
    broken_payment(payment, "version", fmt::format("at version {} is moved by a change to version {}",
                                                   payment.version, change.version));
  }
  if (change.to != payment.status || change.attempt != payment.attempts) {
    broken_payment(payment, "status", "does not have the status and attempts its change records");
  }
  if (!payment_transition_allowed(change.from, change.to)) {
    broken_payment(payment, "status",
                   fmt::format("cannot move from {} to {}", to_string(change.from), to_string(change.to)));
  }
  if (change.reason.size() > k_max_payment_reason_bytes) {
    broken_payment(payment, "reason", "has a change whose reason is beyond its limit");
  }
}

void check_payment_update(const Payment& stored, const Payment& next, const PaymentChange& change) {
  check_payment_change(next, change);
  if (stored.version != next.version - 1) {
    broken_payment(stored, "version", fmt::format("is at version {}, not {}", stored.version, next.version - 1));
  }
  if (stored.status != change.from) {
    broken_payment(stored, "status", fmt::format("is {}, not {}", to_string(stored.status), to_string(change.from)));
  }
  if (const std::string_view field = changed_identity(stored, next); !field.empty()) {
    broken_payment(stored, field, "keeps this field from its creation on");
  }
}

void duplicate_request_key() {
  throw InvariantViolation("idempotency_key", "another payment holds this request idempotency key");
}

void missing_payment(const PaymentId& id) {
  throw InvariantViolation("payment_id", fmt::format("payment '{}' does not exist", id.str()));
}

namespace {

[[noreturn]] void broken_usage(std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), std::string(why));
}

}  // namespace

void check_meter(const Meter& meter) {
  if (meter.code.empty() || meter.code.size() > k_max_meter_code_bytes) broken_usage("code", "a meter code out of bounds");
  if (meter.aggregation > Aggregation::unique_count) broken_usage("aggregation", "an aggregation out of range");
  if (meter.unit.size() > k_max_meter_unit_bytes) broken_usage("unit", "a meter unit beyond its limit");
  if (meter.aggregation == Aggregation::unique_count && !meter.property) {
    broken_usage("property", "a unique_count meter without a property");
  }
  if (meter.property && meter.group_by && *meter.property == *meter.group_by) {
    broken_usage("group_by", "a meter that groups by the property it aggregates");
  }
}

void check_usage_event(const StoredUsageEvent& stored, const Meter& meter) {
  const UsageEvent& event = stored.recorded.event;
  if (event.id.empty() || event.id.size() > k_max_event_id_bytes) broken_usage("event_id", "an event id out of bounds");
  if (event.meter != meter.code) broken_usage("meter", fmt::format("event '{}' is not of its meter", event.id));
  if (event.subject.empty() || event.subject.size() > k_max_subject_bytes) {
    broken_usage("subject", fmt::format("event '{}' has a subject out of bounds", event.id));
  }
  if (!event.at || *event.at < usage::k_first_at || !(*event.at < usage::k_end_at)) {
    broken_usage("at", fmt::format("event '{}' has no time, or one outside 1970 to 2200", event.id));
  }
  if (event.properties.size() > k_max_event_properties) {
    broken_usage("properties", fmt::format("event '{}' has too many properties", event.id));
  }
  if (stored.recorded.cancelled_at) broken_usage("cancelled_at", fmt::format("new event '{}' is cancelled", event.id));
  if (stored.group.has_value() != meter.group_by.has_value()) {
    broken_usage("group", fmt::format("event '{}' has a group exactly when its meter groups; this one breaks that",
                                      event.id));
  }
}

void check_usage_aggregate(const UsageAggregate& row) {
  const UsageAggregateKey& key = row.key;
  if (key.meter.empty() || key.subject.size() > k_max_subject_bytes) broken_usage("meter", "an aggregate key out of bounds");
  if (key.period > UsagePeriod::month) broken_usage("period", "a period out of range");
  const bool starts = key.period == UsagePeriod::all_time ? key.bucket_start == Timestamp::from_unix_micros(0)
                                                          : usage::is_bucket_start(key.period, key.bucket_start);
  if (!starts) broken_usage("bucket_start", "an aggregate whose bucket does not start its period");
  if (row.count == 0) {
    if (!row.sum.is_zero() || row.min || row.max || row.latest || row.latest_at || !row.latest_event_id.empty() ||
        row.unique_count != 0) {
      broken_usage("count", "an aggregate of no events that holds values");
    }
    return;
  }
  if (!row.min || !row.max || *row.max < *row.min) broken_usage("min", "an aggregate without a min no greater than its max");
  if (!row.latest || !row.latest_at || row.latest_event_id.empty()) {
    broken_usage("latest", "an aggregate of events without its latest value, time and event");
  }
  if (row.unique_count > row.count) broken_usage("unique_count", "more unique values than events");
}

void check_usage_totals(const UsageTotals& totals) {
  if (totals.subjects > totals.events || ((totals.subjects == 0) != (totals.events == 0))) {
    broken_usage("subjects", fmt::format("meter '{}' has {} subjects for {} events", totals.meter, totals.subjects,
                                         totals.events));
  }
}

void missing_usage_event(std::string_view id, std::string_view why) {
  throw InvariantViolation("event_id", fmt::format("usage event '{}' {}", id, why));
}

void check_quota_state(const QuotaState& state) {
  if (state.plan.empty() || state.subject.empty()) throw InvariantViolation("plan", "a quota state without its plan or subject");
  if (state.tokens < 0) throw InvariantViolation("tokens", "a bucket with fewer than zero tokens");
  if (state.used > state.allowed_total) {
    throw InvariantViolation("used", "more units used in the period than allowed over all time");
  }
}

void missing_plan(std::string_view code) {
  throw InvariantViolation("plan", fmt::format("no plan has the code '{}'", code));
}

void missing_api_key(const ApiKeyId& id) {
  throw InvariantViolation("key_id", fmt::format("no active API key has the id '{}'", id.str()));
}

}  // namespace billing::detail::integrity

namespace billing::detail::integrity {
namespace {

// The statuses' names, for messages only; the storage layer does not link the subscription rules' own to_string.
std::string_view status_name(SubscriptionStatus status) {
  constexpr std::string_view k_names[] = {"TRIALING", "ACTIVE", "PAST_DUE", "PAUSED", "CANCELED"};
  const auto index = static_cast<std::size_t>(status);
  return index < std::size(k_names) ? k_names[index] : std::string_view("an unknown status");
}

[[noreturn]] void broken_subscription(const Subscription& subscription, std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), fmt::format("subscription '{}' {}", subscription.id.str(), why));
}

bool is_plan_code(std::string_view code) { return !code.empty() && code.size() <= k_max_plan_code_bytes; }

// A status from which the table allows no move: its row never changes again.
bool is_final(SubscriptionStatus status) {
  return std::none_of(std::begin(k_subscription_statuses), std::end(k_subscription_statuses),
                      [&](SubscriptionStatus to) { return subscription_transition_allowed(status, to); });
}

// The first field that never changes on which the two rows differ, or an empty view.
std::string_view changed_identity(const Subscription& a, const Subscription& b) {
  if (a.id != b.id) return "subscription_id";
  if (a.account_id != b.account_id) return "account_id";
  if (a.currency != b.currency) return "currency";
  if (a.interval != b.interval) return "interval";
  if (a.start != b.start) return "start";
  if (a.created_at != b.created_at) return "created_at";
  return {};
}

void check_subscription_period(const Subscription& s) {
  if (s.anchor_day < 1 || s.anchor_day > 31) {
    broken_subscription(s, "anchor_day", fmt::format("is anchored on day {}, outside 1..31", s.anchor_day));
  }
  if (s.period_index < -1) {
    broken_subscription(s, "period_index", fmt::format("is in period {}; the trial is -1, the first paid 0",
                                                       s.period_index));
  }
  if (s.current_period_start < s.start) broken_subscription(s, "current_period_start", "has a period before its start");
  if (!(s.current_period_start < s.current_period_end)) {
    broken_subscription(s, "current_period_end", "has a current period that does not end after it starts");
  }
  if (s.trial_end && !(s.start < *s.trial_end)) broken_subscription(s, "trial_end", "has a trial that ends by its start");
  if (s.period_index == -1 && !s.trial_end) broken_subscription(s, "trial_end", "is in its trial without a trial end");
  if (s.status == SubscriptionStatus::trialing && s.period_index != -1) {
    broken_subscription(s, "period_index", "is TRIALING outside its trial (period -1)");
  }
}

}  // namespace

void check_subscription(const Subscription& s) {
  if (static_cast<std::size_t>(s.status) >= std::size(k_subscription_statuses)) {
    broken_subscription(s, "status", fmt::format("has status {}, which is not a SubscriptionStatus",
                                                 static_cast<int>(s.status)));
  }
  if (s.interval > PlanInterval::year) {
    broken_subscription(s, "interval", fmt::format("has interval {}, which is not a PlanInterval",
                                                   static_cast<int>(s.interval)));
  }
  if (!is_plan_code(s.plan)) broken_subscription(s, "plan", "has a plan code that is empty or beyond its limit");
  if (!is_plan_code(s.period_plan)) {
    broken_subscription(s, "period_plan", "has a period plan code that is empty or beyond its limit");
  }
  if (!is_plan_code(s.running_plan)) {
    broken_subscription(s, "running_plan", "has a running plan code that is empty or beyond its limit");
  }
  check_subscription_period(s);
  const bool canceled = s.status == SubscriptionStatus::canceled;
  if (canceled && !s.canceled_at) broken_subscription(s, "canceled_at", "is CANCELED without the time it was");
  if (s.canceled_at && !canceled && !s.cancel_at_period_end) {
    broken_subscription(s, "canceled_at", "has a cancel time but is neither CANCELED nor set to cancel");
  }
  if (s.version < 1) broken_subscription(s, "version", "is at version 0");
}

void check_new_subscription(const Subscription& s) {
  check_subscription(s);
  if (s.version != 1) broken_subscription(s, "version", fmt::format("is new at version {}, not 1", s.version));
  if (s.status != SubscriptionStatus::trialing && s.status != SubscriptionStatus::active) {
    broken_subscription(s, "status", fmt::format("is new and {}, not TRIALING or ACTIVE", status_name(s.status)));
  }
}

void check_subscription_update(const Subscription& stored, const Subscription& next) {
  if (const std::string_view field = changed_identity(stored, next); !field.empty()) {
    broken_subscription(stored, field, "keeps this field from its creation on");
  }
  if (is_final(stored.status)) {
    broken_subscription(stored, "status", fmt::format("is {}, which is final: it never changes again",
                                                      status_name(stored.status)));
  }
  if (next.status != stored.status && !subscription_transition_allowed(stored.status, next.status)) {
    broken_subscription(stored, "status", fmt::format("cannot move from {} to {}", status_name(stored.status),
                                                      status_name(next.status)));
  }
}

void missing_subscription(const SubscriptionId& id) {
  throw InvariantViolation("subscription_id", fmt::format("subscription '{}' does not exist", id.str()));
}

void check_adjustment(const SubscriptionAdjustment& adjustment) {
  if (adjustment.sequence < 1) {
    throw InvariantViolation("sequence", fmt::format("an adjustment of subscription '{}' at sequence 0; the first is 1",
                                                     adjustment.subscription_id.str()));
  }
  if (adjustment.description.size() > k_max_description_bytes) {
    throw InvariantViolation("description", fmt::format("an adjustment of subscription '{}' with a description "
                                                        "beyond {} bytes",
                                                        adjustment.subscription_id.str(), k_max_description_bytes));
  }
}

void check_adjustment_append(const SubscriptionAdjustment& adjustment, const Currency& currency,
                             std::uint32_t last_sequence) {
  check_adjustment(adjustment);
  if (adjustment.sequence != last_sequence + 1) {
    throw InvariantViolation("sequence",
                             fmt::format("adjustment {} of subscription '{}' does not follow {} in its period",
                                         adjustment.sequence, adjustment.subscription_id.str(), last_sequence));
  }
  if (adjustment.amount.currency() != currency) {
    throw InvariantViolation("currency", fmt::format("an adjustment in {} of subscription '{}', which is in {}",
                                                     adjustment.amount.currency().code(),
                                                     adjustment.subscription_id.str(), currency.code()));
  }
}

}  // namespace billing::detail::integrity

namespace billing::detail::integrity {
namespace {

// The statuses' names, for messages only; the storage layer does not link the invoice rules' own to_string.
std::string_view status_name(InvoiceStatus status) {
  constexpr std::string_view k_names[] = {"DRAFT", "OPEN", "PAID", "VOID", "UNCOLLECTIBLE"};
  const auto index = static_cast<std::size_t>(status);
  return index < std::size(k_names) ? k_names[index] : std::string_view("an unknown status");
}

[[noreturn]] void broken_invoice(const Invoice& invoice, std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), fmt::format("invoice '{}' {}", invoice.id.str(), why));
}

[[noreturn]] void broken_line(const Invoice& invoice, std::size_t index, std::string_view field, std::string_view why) {
  broken_invoice(invoice, fmt::format("lines[{}].{}", index, field), fmt::format("has a line {} that {}", index, why));
}

// A status from which the table allows no move (PAID, VOID): its row never changes again.
bool is_final(InvoiceStatus status) {
  return std::none_of(std::begin(k_invoice_statuses), std::end(k_invoice_statuses),
                      [&](InvoiceStatus to) { return invoice_transition_allowed(status, to); });
}

// Equal in value and in the places written: a stored 0.20 that became 0.2 has changed (SQLite keeps the text).
bool identical(const Decimal& a, const Decimal& b) { return a == b && a.scale() == b.scale(); }

bool identical(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
  return a.has_value() == b.has_value() && (!a || identical(*a, *b));
}

bool same_tier(const ChargeLine& a, const ChargeLine& b) {
  return a.kind == b.kind && a.tier == b.tier && identical(a.start, b.start) && identical(a.up_to, b.up_to) &&
         identical(a.quantity, b.quantity) && identical(a.unit_price, b.unit_price) &&
         identical(a.flat_fee, b.flat_fee) && a.amount == b.amount;
}

bool same_line(const InvoiceLine& a, const InvoiceLine& b) {
  return a.kind == b.kind && a.description == b.description && a.period_start == b.period_start &&
         a.period_end == b.period_end && identical(a.quantity, b.quantity) && identical(a.unit_price, b.unit_price) &&
         a.amount == b.amount && a.meter == b.meter &&
         std::equal(a.tiers.begin(), a.tiers.end(), b.tiers.begin(), b.tiers.end(), same_tier);
}

// The first field that never changes on which the two rows differ, or an empty view.
std::string_view changed_identity(const Invoice& a, const Invoice& b) {
  if (a.id != b.id) return "invoice_id";
  if (a.account_id != b.account_id) return "account_id";
  if (a.subscription_id != b.subscription_id) return "subscription_id";
  if (a.currency != b.currency) return "currency";
  if (a.period_start != b.period_start) return "period_start";
  if (a.period_end != b.period_end) return "period_end";
  if (a.created_at != b.created_at) return "created_at";
  return {};
}

// The first of the lines and totals on which the two rows differ, or an empty view.
std::string_view changed_content(const Invoice& a, const Invoice& b) {
  if (!same_invoice_lines(a.lines, b.lines)) return "lines";
  if (a.subtotal != b.subtotal) return "subtotal";
  if (!identical(a.tax_rate, b.tax_rate)) return "tax_rate";
  if (a.tax != b.tax) return "tax";
  if (a.total != b.total) return "total";
  return {};
}

void check_tiers(const Invoice& invoice, std::size_t index) {
  const InvoiceLine& line = invoice.lines[index];
  if (line.tiers.empty()) return;
  if (line.kind != InvoiceLineKind::usage) broken_line(invoice, index, "tiers", "has a tier breakdown but bills no usage");
  if (line.tiers.size() > k_max_price_tiers + 1) {  // every tier, and a minimum's true-up
    broken_line(invoice, index, "tiers", fmt::format("has more than {} tier lines", k_max_price_tiers + 1));
  }
  Money sum = Money::zero(invoice.currency);
  for (const ChargeLine& tier : line.tiers) {
    if (static_cast<std::size_t>(tier.kind) > static_cast<std::size_t>(LineKind::minimum_true_up)) {
      broken_line(invoice, index, "tiers", "has a tier line whose kind is not a LineKind");
    }
    if (tier.tier && *tier.tier >= k_max_price_tiers) {
      broken_line(invoice, index, "tiers", fmt::format("names tier {}, beyond the {} a price has", *tier.tier,
                                                       k_max_price_tiers));
    }
    if (tier.amount.currency() != invoice.currency) {
      broken_line(invoice, index, "tiers", fmt::format("has a tier line in {}", tier.amount.currency().code()));
    }
    try {
      sum += tier.amount;
    } catch (const Overflow&) {
      broken_line(invoice, index, "tiers", "has tier lines whose sum passes the range of Money");
    }
  }
  if (sum != line.amount) broken_line(invoice, index, "tiers", "has a tier breakdown that does not sum to its amount");
}

void check_line(const Invoice& invoice, std::size_t index) {
  const InvoiceLine& line = invoice.lines[index];
  if (line.kind > InvoiceLineKind::tax) broken_line(invoice, index, "kind", "has a kind that is not an InvoiceLineKind");
  if (line.kind == InvoiceLineKind::tax && index + 1 != invoice.lines.size()) {
    broken_line(invoice, index, "kind", "is a tax line but not the last");
  }
  if (line.description.empty()) broken_line(invoice, index, "description", "has no description");
  if (const auto problem = line_problem(line.description, k_max_invoice_description_bytes)) {
    broken_line(invoice, index, "description", fmt::format("has a description that {}", *problem));
  }
  if (line.period_end < line.period_start) broken_line(invoice, index, "period_end", "ends before it starts");
  if (line.amount.currency() != invoice.currency) {
    broken_line(invoice, index, "amount", fmt::format("is in {}, the invoice in {}", line.amount.currency().code(),
                                                      invoice.currency.code()));
  }
  const bool usage = line.kind == InvoiceLineKind::usage;
  if (usage && (line.meter.empty() || line.meter.size() > k_max_meter_code_bytes)) {
    broken_line(invoice, index, "meter", "bills usage without a meter code of 1 to 64 bytes");
  }
  if (!usage && !line.meter.empty()) broken_line(invoice, index, "meter", "names a meter but bills no usage");
  check_tiers(invoice, index);
}

// Lines in the invoice's currency whose non-tax amounts sum to the subtotal, a tax at the rate carried by the
// tax line, and the total.
void check_invoice_amounts(const Invoice& invoice) {
  for (const auto& [field, money] : {std::pair<std::string_view, const Money*>{"subtotal", &invoice.subtotal},
                                     {"tax", &invoice.tax},
                                     {"total", &invoice.total}}) {
    if (money->currency() != invoice.currency) {
      broken_invoice(invoice, field, fmt::format("has its {} in {}, the invoice in {}", field,
                                                 money->currency().code(), invoice.currency.code()));
    }
  }
  Money subtotal = Money::zero(invoice.currency);
  Money tax = Money::zero(invoice.currency);
  try {
    for (const InvoiceLine& line : invoice.lines) (line.kind == InvoiceLineKind::tax ? tax : subtotal) += line.amount;
  } catch (const Overflow&) {
    broken_invoice(invoice, "subtotal", "has lines whose sum passes the range of Money");
  }
  if (subtotal != invoice.subtotal) broken_invoice(invoice, "subtotal", "has a subtotal that is not the sum of its lines");
  if (const std::optional<Decimal>& rate = invoice.tax_rate) {
    if (rate->sign() < 0 || Decimal(1) < *rate || rate->normalized().scale() > k_max_tax_rate_places) {
      broken_invoice(invoice, "tax_rate", fmt::format("has a tax rate outside 0 to 1 or beyond {} places",
                                                      k_max_tax_rate_places));
    }
    if (invoice.tax != Money(invoice.subtotal.amount() * *rate, invoice.currency, RoundingMode::half_even)) {
      broken_invoice(invoice, "tax", "has a tax that is not its subtotal at its rate, half to even");
    }
  } else if (!invoice.tax.is_zero()) {
    broken_invoice(invoice, "tax", "has a tax without a tax rate");
  }
  if (tax != invoice.tax) broken_invoice(invoice, "tax", "has a tax that its tax line does not carry");
  try {
    if (invoice.subtotal + invoice.tax != invoice.total) {
      broken_invoice(invoice, "total", "has a total that is not its subtotal plus its tax");
    }
  } catch (const Overflow&) {
    broken_invoice(invoice, "total", "has a subtotal plus tax beyond the range of Money");
  }
}

// The number, the times and the ledger entries each status carries.
void check_invoice_progress(const Invoice& invoice) {
  const InvoiceStatus status = invoice.status;
  if (status == InvoiceStatus::draft && invoice.number) broken_invoice(invoice, "number", "is a DRAFT with a number");
  if (!invoice.number && status != InvoiceStatus::draft && status != InvoiceStatus::voided) {
    broken_invoice(invoice, "number", fmt::format("is {} without a number", status_name(status)));
  }
  if (invoice.number && (*invoice.number < 1 || *invoice.number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
    broken_invoice(invoice, "number", fmt::format("has number {}, outside 1..2^63-1", *invoice.number));
  }
  if (invoice.finalized_at.has_value() != invoice.number.has_value()) {
    broken_invoice(invoice, "finalized_at", "has a finalisation time exactly when it has a number; this row breaks that");
  }
  const bool closed = status == InvoiceStatus::paid || status == InvoiceStatus::voided ||
                      status == InvoiceStatus::uncollectible;
  if (invoice.closed_at.has_value() != closed) {
    broken_invoice(invoice, "closed_at", "has a closing time exactly when PAID, VOID or UNCOLLECTIBLE; this row breaks "
                                         "that");
  }
  if (invoice.posted_entry && !invoice.number) broken_invoice(invoice, "posted_entry", "is posted but not finalised");
  if (invoice.settled_entry && status != InvoiceStatus::paid) {
    broken_invoice(invoice, "settled_entry", "has a settlement entry but is not PAID");
  }
  if (invoice.voided_entry && (status != InvoiceStatus::voided || !invoice.posted_entry)) {
    broken_invoice(invoice, "voided_entry", "has a reversal entry but is not a VOID invoice that was posted");
  }
}

}  // namespace

bool same_invoice_lines(const std::vector<InvoiceLine>& a, const std::vector<InvoiceLine>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_line);
}

void check_invoice(const Invoice& invoice) {
  if (static_cast<std::size_t>(invoice.status) >= std::size(k_invoice_statuses)) {
    broken_invoice(invoice, "status", fmt::format("has status {}, which is not an InvoiceStatus",
                                                  static_cast<int>(invoice.status)));
  }
  if (invoice.version < 1) broken_invoice(invoice, "version", "is at version 0");
  if (!(invoice.period_start < invoice.period_end)) {
    broken_invoice(invoice, "period_end", "has a period that does not end after it starts");
  }
  if (invoice.lines.size() > k_max_invoice_lines) {
    broken_invoice(invoice, "lines", fmt::format("has {} lines, more than {}", invoice.lines.size(), k_max_invoice_lines));
  }
  for (std::size_t i = 0; i < invoice.lines.size(); ++i) check_line(invoice, i);
  check_invoice_amounts(invoice);
  check_invoice_progress(invoice);
}

void check_new_invoice(const Invoice& invoice) {
  check_invoice(invoice);
  if (invoice.status != InvoiceStatus::draft) {
    broken_invoice(invoice, "status", fmt::format("is new and {}, not DRAFT", status_name(invoice.status)));
  }
  if (invoice.version != 1) broken_invoice(invoice, "version", fmt::format("is new at version {}, not 1", invoice.version));
}

void check_invoice_update(const Invoice& stored, const Invoice& next, std::uint64_t last_number) {
  if (const std::string_view field = changed_identity(stored, next); !field.empty()) {
    broken_invoice(stored, field, "keeps this field from its creation on");
  }
  if (is_final(stored.status)) {
    broken_invoice(stored, "status", fmt::format("is {}, which is final: it never changes again",
                                                 status_name(stored.status)));
  }
  if (next.status == stored.status && stored.status != InvoiceStatus::draft) {
    broken_invoice(stored, "status", fmt::format("is {}; only a DRAFT changes without a move of its status",
                                                 status_name(stored.status)));
  }
  if (next.status != stored.status && !invoice_transition_allowed(stored.status, next.status)) {
    broken_invoice(stored, "status", fmt::format("cannot move from {} to {}", status_name(stored.status),
                                                 status_name(next.status)));
  }
  if (stored.status != InvoiceStatus::draft) {
    if (const std::string_view field = changed_content(stored, next); !field.empty()) {
      broken_invoice(stored, field, fmt::format("is {}: its lines and totals changed only while it was a DRAFT",
                                                status_name(stored.status)));
    }
  }
  if (stored.number) {
    if (next.number != stored.number) broken_invoice(stored, "number", "keeps its number once it has one");
    if (next.finalized_at != stored.finalized_at) {
      broken_invoice(stored, "finalized_at", "keeps its finalisation time once finalised");
    }
    if (next.posted_entry != stored.posted_entry) {
      broken_invoice(stored, "posted_entry", "keeps its finalisation entry once finalised");
    }
  } else if (next.number) {
    if (stored.status != InvoiceStatus::draft || next.status != InvoiceStatus::open) {
      broken_invoice(stored, "number", "gets its number when it leaves DRAFT for OPEN, and only then");
    }
    if (*next.number != last_number + 1) {
      broken_invoice(stored, "number", fmt::format("would be number {}, but the next of the gapless sequence is {}",
                                                   *next.number, last_number + 1));
    }
  }
}

}  // namespace billing::detail::integrity
