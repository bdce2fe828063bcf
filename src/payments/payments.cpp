// The payment life cycle's rules: what create, process, run_due, reconcile and redrive change in a
// payment, each checked before the store is touched. A gateway call never runs inside a unit of work: a
// charge is bracketed by two, the first marking the payment PROCESSING (so that no one else charges it),
// the second settling it with the ledger entry or the retry job it needs. docs/payments.md, "Life cycle".
#include "billing/payments.hpp"

#include <fmt/format.h>

#include "billing/accounts.hpp"
#include "billing/error.hpp"
#include "billing/jobs.hpp"
#include "billing/ledger.hpp"
#include "billing/storage/payment_repository.hpp"
#include "billing/storage/store.hpp"
#include "context.hpp"
#include "fingerprint.hpp"
#include "id_payload.hpp"
#include "text.hpp"

namespace billing {
namespace {

constexpr std::string_view k_retry_worker = "billing.payments";

// ------------------------------------------------------------------------------------------ units of work

void refuse_open_transaction(detail::Context& context, std::string_view call) {
  if (context.ambient() != nullptr) {
    throw Misuse("transaction", fmt::format("{} calls the gateway between two units of work of its own; call it "
                                            "outside books.transaction()",
                                            call));
  }
}

// ------------------------------------------------------------------------------------------ gateway answers

/// A reason from the gateway as the payment keeps it: control characters become spaces, malformed UTF-8
/// becomes U+FFFD, and beyond k_max_payment_reason_bytes it is cut at a character's end, marked "...".
std::string kept_reason(std::string_view text, std::string_view fallback) {
  if (text.empty()) return std::string(fallback);
  constexpr std::string_view k_cut = "...";
  std::string kept;
  for (std::size_t at = 0; at < text.size();) {
    const std::optional<detail::Utf8Char> c = detail::decode_utf8(text, at);
    const std::string_view piece = !c ? std::string_view("\xEF\xBF\xBD")
                                   : detail::is_control_character(c->code_point) ? std::string_view(" ")
                                                                                 : text.substr(at, c->size);
    if (kept.size() + piece.size() > k_max_payment_reason_bytes - k_cut.size()) {
      kept += k_cut;
      break;
    }
    kept += piece;
    at += c ? c->size : 1;
  }
  return kept;
}

/// The gateway's answer, made safe to store: a status outside the enum becomes a timeout (the library cannot
/// tell what happened), and an approval whose reference is
/// beyond its limit or not a line of UTF-8, stays an approval without its reference (the reason says why).
ChargeResult checked_answer(ChargeResult answer, bool from_lookup) {
  const auto status = static_cast<std::size_t>(answer.status);
  if (status > static_cast<std::size_t>(ChargeStatus::not_found)) {
    return {ChargeStatus::timeout, {}, fmt::format("the gateway answered with status {}, which is no ChargeStatus", status)};
  }
  if (answer.status == ChargeStatus::approved) {
    // The money moved: an approval stands even when its reference cannot be kept (a lookup would most
    // likely answer with the same reference, and the payment would stay unknown for ever).
    if (const auto problem = detail::line_problem(answer.reference, k_max_gateway_reference_bytes)) {
      return {ChargeStatus::approved, {}, fmt::format("the gateway's reference was not kept: it {}", *problem)};
    }
    answer.reason.clear();
  } else {
    answer.reference.clear();
  }
  if (answer.status == ChargeStatus::not_found && !from_lookup) answer.status = ChargeStatus::error;
  return answer;
}

template <class Call>
ChargeResult ask_gateway(Call&& call, bool from_lookup) {
  try {
    return checked_answer(call(), from_lookup);
  } catch (const std::exception& e) {
    return {ChargeStatus::timeout, {}, kept_reason(e.what(), "the gateway threw")};
  } catch (...) {
    return {ChargeStatus::timeout, {}, "the gateway threw something that is not a std::exception"};
  }
}

// ------------------------------------------------------------------------------------------ create

/// The request's errors, with "card_number: missing" in its place when neither a card nor an IBAN came.
FieldErrors with_method_required(const PaymentInput& input, const FieldErrors& errors) {
  if (input.card_number || input.iban) return errors;
  const FieldError missing(PaymentField::card_number, ValidationCode::missing,
                           "card_number: give a card number or an iban; a payment needs one of them");
  FieldErrors out;
  bool added = false;
  for (const FieldError& e : errors) {
    if (!added && e.field() > PaymentField::card_number) {
      out.add(missing);
      added = true;
    }
    if (e.field() != PaymentField::card_number) out.add(e);
  }
  if (!added) out.add(missing);
  return out;
}

/// The validated card or IBAN, and what the payment keeps of it.
struct Method {
  PaymentMethod sensitive;
  std::optional<CardDetails> card;
  std::optional<BankAccountDetails> bank_account;
};

Method method_of(const PaymentInput& input, const PaymentReport& report, const PaymentPolicy& policy) {
  if (input.card_number) {
    const CardNumberCheck check = check_card_number(*input.card_number, policy.accepted_brands());
    BILLING_ASSERT(check.number && report.card);  // validate_payment passed the same number
    return {PaymentMethod(*check.number, report.card->expiry_month(), report.card->expiry_year(), input.cvc.value_or("")),
            report.card, std::nullopt};
  }
  PaymentMethod iban(*input.iban);
  const std::string_view text = iban.iban();
  return {iban, std::nullopt, BankAccountDetails{std::string(text.substr(0, 2)), std::string(text.substr(text.size() - 4))}};
}

void validate_extras(const PaymentRequest& request) {
  if (request.idempotency_key) {
    if (request.idempotency_key->empty()) {
      throw InvalidArgument("idempotency_key", fmt::format("must be 1 to {} bytes; leave it out for no key",
                                                           k_max_payment_key_bytes));
    }
    detail::validate_line(*request.idempotency_key, "idempotency_key", k_max_payment_key_bytes);
  }
  detail::validate_line(request.description, "description", k_max_description_bytes);
  detail::validate_metadata(request.metadata, "metadata");
}

bool same_request(const Payment& stored, const Payment& asked) {
  return stored.amount == asked.amount && stored.customer_id == asked.customer_id && stored.email == asked.email &&
         stored.card == asked.card && stored.bank_account == asked.bank_account &&
         stored.fingerprint == asked.fingerprint && stored.debit_account == asked.debit_account &&
         stored.credit_account == asked.credit_account && stored.description == asked.description &&
         stored.metadata == asked.metadata;
}

/// The payment a request's key or id already names, as the outcome create() returns, or nullopt.
std::optional<PaymentOutcome> existing(UnitOfWork& work, const Payment& asked) {
  std::optional<Payment> stored = asked.request_key ? work->payments().find_by_request_key(*asked.request_key)
                                                    : work->payments().find(asked.id);
  if (!stored) return std::nullopt;
  const bool same = same_request(*stored, asked);
  return PaymentOutcome{same ? PaymentResult::exists : PaymentResult::exists_with_different_fields, std::move(stored),
                        {}};
}

std::string default_account_id(std::string_view role, Currency currency) {
  return fmt::format("payments:{}:{}", role, currency.code());
}

// ------------------------------------------------------------------------------------------ status changes

/// `payment` moved to `to`, one version on, with the history row that says so.
PaymentChange move(Payment& payment, PaymentStatus to, std::string reason, Timestamp now) {
  BILLING_ASSERT(payment_transition_allowed(payment.status, to));
  PaymentChange change{.payment_id = payment.id,
                       .from = payment.status,
                       .to = to,
                       .at = now,
                       .reason = std::move(reason),
                       .version = payment.version + 1,
                       .attempt = payment.attempts};
  payment.status = to;
  payment.version = change.version;
  payment.updated_at = now;
  return change;
}

}  // namespace

std::string_view to_string(PaymentResult result) noexcept {
  switch (result) {
    case PaymentResult::ok: return "ok";
    case PaymentResult::invalid: return "invalid";
    case PaymentResult::exists: return "exists";
    case PaymentResult::exists_with_different_fields: return "exists_with_different_fields";
    case PaymentResult::not_found: return "not_found";
    case PaymentResult::not_processable: return "not_processable";
    case PaymentResult::not_dead_lettered: return "not_dead_lettered";
  }
  return "?";
}

void Payments::configure(PaymentOptions options) {
  if (options.max_attempts < 1 || options.max_attempts > k_max_job_attempts) {
    throw InvalidArgument("max_attempts",
                          fmt::format("must be 1 to {}, not {}", k_max_job_attempts, options.max_attempts));
  }
  detail::check_job_options({.base_delay = options.base_delay, .max_delay = options.max_delay});
  if (options.charge_timeout <= std::chrono::microseconds::zero() || options.charge_timeout > k_max_job_lease) {
    throw InvalidArgument("charge_timeout", "must be more than zero and at most 24 hours");
  }
  const std::size_t secret = options.fingerprint_secret.size();
  if (secret != 0 && (secret < k_min_fingerprint_secret_bytes || secret > k_max_fingerprint_secret_bytes)) {
    throw InvalidArgument("fingerprint_secret", fmt::format("must be {} to {} bytes (or empty for no fingerprints), "
                                                            "not {}",
                                                            k_min_fingerprint_secret_bytes,
                                                            k_max_fingerprint_secret_bytes, secret));
  }
  options_ = std::move(options);
}

// ------------------------------------------------------------------------------------------ create

PaymentOutcome Payments::create(const PaymentRequest& request, PaymentGateway& gateway) {
  refuse_open_transaction(context_, "create");
  validate_extras(request);
  const PaymentPolicy& policy = request.policy != nullptr ? *request.policy : options_.policy;
  const PaymentReport report = validate_payment(request.input, policy, context_.clock());
  const FieldErrors errors = with_method_required(request.input, report.errors);
  if (!errors.empty()) return {PaymentResult::invalid, std::nullopt, errors};

  const Money amount = *report.amount;
  Method method = method_of(request.input, report, policy);
  const Timestamp now = context_.clock().now();
  Payment payment{
      .id = request.id ? *request.id : PaymentId(context_.ids().next()),
      .customer_id = std::string(request.input.customer_id),
      .email = request.input.email ? std::optional<std::string>(*request.input.email) : std::nullopt,
      .amount = amount,
      .card = method.card,
      .bank_account = method.bank_account,
      .fingerprint = detail::payment_fingerprint(options_.fingerprint_secret, method.sensitive),
      .request_key = request.idempotency_key,
      .debit_account = request.debit_account.value_or(
          options_.clearing_account.value_or(AccountId(default_account_id("clearing", amount.currency())))),
      .credit_account = request.credit_account.value_or(
          options_.revenue_account.value_or(AccountId(default_account_id("revenue", amount.currency())))),
      .description = request.description,
      .metadata = request.metadata,
      .max_attempts = options_.max_attempts,
      .created_at = now,
      .updated_at = now,
  };
  check_accounts(payment, request);

  // Before the gateway: a retry of a stored request must not tokenize (or store) the card again.
  if (auto found = context_.read([&](UnitOfWork& work) { return existing(work, payment); })) return *found;
  payment.gateway_token = gateway.tokenize(method.sensitive);
  detail::validate_line(payment.gateway_token, "token", k_max_gateway_token_bytes);
  if (payment.gateway_token.empty()) throw InvalidArgument("token", "the gateway's tokenize() returned an empty token");

  return context_.write_joined([&](UnitOfWork& work) -> PaymentOutcome {
    if (auto found = existing(work, payment)) return *found;  // another caller stored it meanwhile
    if (request.idempotency_key && work->payments().find(payment.id)) {
      return {PaymentResult::exists_with_different_fields, work->payments().find(payment.id), {}};
    }
    open_default_accounts(payment, request);
    const bool inserted = work->payments().insert(payment);
    BILLING_ASSERT(inserted);  // find() just saw no payment with this id, in the same unit of work
    return {PaymentResult::ok, payment, {}};
  });
}

void Payments::check_accounts(const Payment& payment, const PaymentRequest& request) {
  const auto check = [&](const AccountId& id, bool named, std::string_view field) {
    if (!named) return;  // a default: opened on first use when missing, checked then
    const std::optional<Account> account = accounts_.get(id);
    if (!account) throw InvalidArgument(std::string(field), "no account has this id");
    if (account->currency != payment.amount.currency()) {
      throw InvalidArgument(std::string(field), fmt::format("is in {}, the payment in {}", account->currency.code(),
                                                            payment.amount.currency().code()));
    }
  };
  check(payment.debit_account, request.debit_account || options_.clearing_account, "debit_account");
  check(payment.credit_account, request.credit_account || options_.revenue_account, "credit_account");
  if (payment.debit_account == payment.credit_account) {
    throw InvalidArgument("credit_account", "is the debit account; an entry moves money between two accounts");
  }
}

void Payments::open_default_accounts(const Payment& payment, const PaymentRequest& request) {
  const Currency currency = payment.amount.currency();
  const auto open = [&](const AccountId& id, Side side, std::string_view role, std::string_view field) {
    const AccountOutcome opened = accounts_.create({.id = id,
                                                    .currency = currency,
                                                    .name = fmt::format("Payments {} ({})", role, currency.code()),
                                                    .normal_side = side});
    if (opened.account->currency != currency) {
      throw InvalidArgument(std::string(field), fmt::format("the default account {} is in {}, the payment in {}",
                                                            id.str(), opened.account->currency.code(),
                                                            currency.code()));
    }
  };
  if (!request.debit_account && !options_.clearing_account) {
    open(payment.debit_account, Side::debit, "clearing", "debit_account");
  }
  if (!request.credit_account && !options_.revenue_account) {
    open(payment.credit_account, Side::credit, "revenue", "credit_account");
  }
}

std::optional<Payment> Payments::get(const PaymentId& id) {
  return context_.read([&](UnitOfWork& work) { return work->payments().find(id); });
}

// ------------------------------------------------------------------------------------------ process

PaymentOutcome Payments::process(const PaymentId& id, PaymentGateway& gateway) {
  refuse_open_transaction(context_, "process");
  PaymentOutcome started = context_.write_joined([&](UnitOfWork& work) -> PaymentOutcome {
    std::optional<Payment> payment = work->payments().find(id);
    if (!payment) return {PaymentResult::not_found, std::nullopt, {}};
    if (payment->status != PaymentStatus::validated) return {PaymentResult::not_processable, std::move(payment), {}};
    const Timestamp now = context_.clock().now();
    payment->attempts += 1;
    payment->attempt_started_at = now;
    payment->next_attempt_at = std::nullopt;
    const PaymentChange change = move(*payment, PaymentStatus::processing,
                                      fmt::format("attempt {} of {}", payment->attempts, payment->max_attempts), now);
    work->payments().update(*payment, change);
    return {PaymentResult::ok, std::move(payment), {}};
  });
  if (!started.ok()) return started;

  const Payment& sent = *started.payment;
  const ChargeResult answer = ask_gateway(
      [&] { return gateway.charge(sent.gateway_token, sent.amount, sent.charge_key()); }, false);
  return settle(sent, answer);
}

PaymentOutcome Payments::settle(const Payment& asked, const ChargeResult& answer) {
  return context_.write_joined([&](UnitOfWork& work) -> PaymentOutcome {
    std::optional<Payment> payment = work->payments().find(asked.id);
    BILLING_ASSERT(payment.has_value());  // payments are never removed
    // Another caller (a reconcile that judged the charge abandoned) settled it meanwhile.
    if (payment->version != asked.version) return {PaymentResult::not_processable, std::move(payment), {}};
    const Timestamp now = context_.clock().now();
    const PaymentChange change = apply(work, *payment, answer, now);
    work->payments().update(*payment, change);
    if (settled_) settled_(work, *payment);
    return {PaymentResult::ok, std::move(payment), {}};
  });
}

PaymentChange Payments::apply(UnitOfWork& work, Payment& payment, const ChargeResult& answer, Timestamp now) {
  switch (answer.status) {
    case ChargeStatus::approved: return approve(payment, answer, now);
    case ChargeStatus::declined:
      payment.failure_reason = kept_reason(answer.reason, "declined");
      return move(payment, PaymentStatus::failed, payment.failure_reason, now);
    case ChargeStatus::error:
    case ChargeStatus::not_found:
      payment.failure_reason = kept_reason(answer.reason, answer.status == ChargeStatus::error
                                                              ? "gateway error"
                                                              : "the gateway never received the charge");
      return retry_or_dead_letter(work, payment, now);
    case ChargeStatus::timeout: break;
  }
  payment.failure_reason = kept_reason(answer.reason, "gateway timed out");
  return move(payment, PaymentStatus::unknown, payment.failure_reason, now);
}

PaymentChange Payments::approve(Payment& payment, const ChargeResult& answer, Timestamp now) {
  payment.gateway_reference = answer.reference;
  payment.processed_at = now;
  payment.failure_reason = kept_reason(answer.reason, "");
  const PostOutcome posted = ledger_.transfer(
      {.id = EntryId(context_.ids().next()),
       .debit = payment.debit_account,
       .credit = payment.credit_account,
       .amount = payment.amount,
       .description = payment.description.empty() ? fmt::format("payment {}", payment.id.str()) : payment.description,
       .metadata = {{"payment_id", payment.id.str()}}});
  if (posted.result == PostResult::ok) {
    payment.entry_id = posted.entry->id;
  } else {
    // The money moved; the books must say so even when the ledger refuses the entry now (an account closed
    // since the payment was made). The payment is processed without an entry, and says why.
    payment.failure_reason = fmt::format("the ledger refused the entry ({}); post it by hand", to_string(posted.result));
  }
  return move(payment, PaymentStatus::processed,
              answer.reference.empty() ? std::string("approved") : fmt::format("approved as {}", answer.reference), now);
}

PaymentChange Payments::retry_or_dead_letter(UnitOfWork& work, Payment& payment, Timestamp now) {
  if (payment.attempts >= payment.max_attempts) {
    payment.next_attempt_at = std::nullopt;
    return move(payment, PaymentStatus::dead_lettered,
                fmt::format("attempt {} of {} failed: {}", payment.attempts, payment.max_attempts, payment.failure_reason),
                now);
  }
  const JobOptions backoff{.base_delay = options_.base_delay, .max_delay = options_.max_delay};
  payment.next_attempt_at = now + job_retry_delay(JobId(payment.id.str()), payment.attempts, backoff);
  PaymentChange change = move(payment, PaymentStatus::validated,
                              fmt::format("attempt {} of {} failed: {}", payment.attempts, payment.max_attempts,
                                          payment.failure_reason),
                              now);
  schedule(work, payment);
  return change;
}

void Payments::schedule(UnitOfWork& work, const Payment& payment) {
  const EnqueueOutcome queued =
      jobs_.enqueue(work, {.kind = std::string(k_payment_retry_kind),
                           .payload = detail::id_payload(payment.id),
                           .run_at = payment.next_attempt_at,
                           .dedup_key = fmt::format("{}#{}", payment.id.str(), payment.version)});
  BILLING_ASSERT(queued.result == EnqueueResult::ok);  // the key names this very version
}

// ------------------------------------------------------------------------------------------ the queue

std::vector<PaymentOutcome> Payments::run_due(PaymentGateway& gateway, std::size_t limit) {
  if (limit < 1 || limit > k_max_claim_batch) {
    throw InvalidArgument("limit", fmt::format("must be 1 to {}, not {}", k_max_claim_batch, limit));
  }
  refuse_open_transaction(context_, "run_due");
  std::vector<PaymentOutcome> outcomes;
  const ClaimRequest claim{.kinds = {std::string(k_payment_retry_kind)},
                           .lease = options_.charge_timeout,
                           .worker = std::string(k_retry_worker)};
  for (std::size_t claimed = 0; claimed < limit; ++claimed) {
    const std::optional<Job> job = jobs_.claim(claim);
    if (!job) break;
    if (const std::optional<Payment> payment = due_payment(*job)) outcomes.push_back(process(payment->id, gateway));
    (void)jobs_.complete(*job);  // stale_token only when its lease ran out and another worker took it over
  }
  return outcomes;
}

std::optional<Payment> Payments::due_payment(const Job& job) {
  // A job outlives its purpose when the payment was processed some other way (process() by hand, a
  // redrive) after the job was queued; its own next_attempt_at then says whether this job is the one.
  const std::optional<PaymentId> id = detail::payload_id<PaymentIdTag>(job.payload);
  if (!id) return std::nullopt;  // not a job this area queued: nothing to process, and it must not block the queue
  const std::optional<Payment> payment = get(*id);
  if (!payment || payment->status != PaymentStatus::validated || !payment->next_attempt_at) return std::nullopt;
  if (context_.clock().now() < *payment->next_attempt_at) return std::nullopt;
  return payment;
}

std::vector<PaymentOutcome> Payments::reconcile(PaymentGateway& gateway, std::size_t limit) {
  if (limit < 1 || limit > k_max_reconcile) {
    throw InvalidArgument("limit", fmt::format("must be 1 to {}, not {}", k_max_reconcile, limit));
  }
  refuse_open_transaction(context_, "reconcile");
  std::vector<PaymentOutcome> outcomes;
  for (const Payment& payment : unsettled(limit)) {
    const ChargeResult answer = ask_gateway([&] { return gateway.lookup(payment.charge_key()); }, true);
    const bool still_unknown = answer.status == ChargeStatus::timeout || answer.status == ChargeStatus::error;
    if (still_unknown && payment.status == PaymentStatus::unknown) {
      outcomes.push_back({PaymentResult::ok, payment, {}});
      continue;
    }
    outcomes.push_back(settle(payment, still_unknown ? ChargeResult{ChargeStatus::timeout, {}, answer.reason} : answer));
  }
  return outcomes;
}

std::vector<Payment> Payments::unsettled(std::size_t limit) {
  const Timestamp abandoned_before = context_.clock().now() - options_.charge_timeout;
  return context_.read([&](UnitOfWork& work) {
    std::vector<Payment> found = work->payments().list({.status = PaymentStatus::unknown}, "", limit);
    for (std::string after; found.size() < limit;) {
      const std::vector<Payment> page = work->payments().list({.status = PaymentStatus::processing}, after, limit);
      for (const Payment& p : page) {
        if (found.size() < limit && p.attempt_started_at && !(abandoned_before < *p.attempt_started_at)) {
          found.push_back(p);
        }
      }
      if (page.size() < limit) break;
      after = page.back().id.str();
    }
    return found;
  });
}

// ------------------------------------------------------------------------------------------ operators

Page<Payment> Payments::dead_letters(const std::string& cursor, std::size_t limit) {
  return list(PaymentStatus::dead_lettered, std::nullopt, cursor, limit);
}

Page<Payment> Payments::list(std::optional<PaymentStatus> status, const std::optional<std::string>& customer_id,
                             const std::string& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  if (status && static_cast<std::size_t>(*status) >= std::size(k_payment_statuses)) {
    throw InvalidArgument("status", fmt::format("{} is not a PaymentStatus", static_cast<unsigned>(*status)));
  }
  if (customer_id) detail::validate_line(*customer_id, "customer_id", k_max_customer_id_bytes);
  if (!cursor.empty()) detail::validate_id(cursor, "cursor");  // a cursor is the last id of the page before
  const PaymentFilter filter{.status = status, .customer_id = customer_id};
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->payments().list(filter, cursor, limit + 1), limit,
                             [](const Payment& payment) { return payment.id.str(); });
  });
}

PaymentOutcome Payments::redrive(const PaymentId& id) {
  return context_.write([&](UnitOfWork& work) -> PaymentOutcome {
    std::optional<Payment> payment = work->payments().find(id);
    if (!payment) return {PaymentResult::not_found, std::nullopt, {}};
    if (payment->status != PaymentStatus::dead_lettered) {
      return {PaymentResult::not_dead_lettered, std::move(payment), {}};
    }
    const Timestamp now = context_.clock().now();
    payment->attempts = 0;
    payment->next_attempt_at = now;
    const PaymentChange change = move(*payment, PaymentStatus::validated, "redriven", now);
    work->payments().update(*payment, change);
    schedule(work, *payment);
    return {PaymentResult::ok, std::move(payment), {}};
  });
}

std::vector<PaymentChange> Payments::history(const PaymentId& id) {
  return context_.read([&](UnitOfWork& work) { return work->payments().history(id); });
}

}  // namespace billing
