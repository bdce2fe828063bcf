// Payments: the life cycle of a payment, from a validated request to a charge that happened exactly
// once. create() validates (payment_validation.hpp), tokenizes through the host's PaymentGateway and
// stores the payment VALIDATED; process() charges it, with the payment's own idempotency key on every
// attempt. An approval posts the ledger entry in the same unit of work as the status change; an error
// schedules a retry with back-off on the job queue (kind "payment.retry"); the last failed attempt
// dead-letters the payment; a timeout leaves it UNKNOWN until reconcile() asks the gateway. The states
// and their table are in payment.hpp, the whole story in docs/payments.md.
//
// A gateway call never runs inside a unit of work: create, process, run_due and reconcile each write in
// units of their own before and after it, and throw Misuse when the calling thread has a transaction
// open. Reach it through Books::payments(); safe to share between threads (two processes racing for one
// payment: one charges, the other gets not_processable).
//
//   billing::ScriptedGateway gateway;
//   auto created = books.payments().create(
//       {.input = {.amount = "19.99", .currency = "USD", .customer_id = "cus_42",
//                  .card_number = "4242 4242 4242 4242", .expiry_month = "12", .expiry_year = "2030",
//                  .cvc = "123"}},
//       gateway);
//   if (!created.ok()) { /* created.errors names each broken field */ }
//   auto processed = books.payments().process(created.payment->id, gateway);
//   // processed.payment->status: processed, failed, validated (a retry is due), dead_lettered or unknown
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/page.hpp"
#include "billing/payment.hpp"
#include "billing/payment_gateway.hpp"
#include "billing/payment_validation.hpp"

namespace billing {

namespace detail {
class Context;
}
class Accounts;
class Ledger;
class Jobs;
class UnitOfWork;
struct Job;

/// The job kind of a scheduled retry; its payload is {"payment_id": "<id>"}.
inline constexpr std::string_view k_payment_retry_kind = "payment.retry";
/// The most payments one reconcile() call looks at.
inline constexpr std::size_t k_max_reconcile = 1000;
/// The shortest and longest fingerprint secret, in bytes.
inline constexpr std::size_t k_min_fingerprint_secret_bytes = 16;
inline constexpr std::size_t k_max_fingerprint_secret_bytes = 1024;

/// How payments are taken and retried. Set once at start-up with Payments::configure().
struct PaymentOptions {
  /// Charges a payment may send before it is dead-lettered: 1 to k_max_job_attempts.
  std::uint32_t max_attempts = 3;
  /// The back-off after failed attempt n: job_retry_delay() of jobs.hpp with these two bounds (exponential,
  /// with jitter spread by the payment's id).
  std::chrono::microseconds base_delay = std::chrono::seconds(10);
  std::chrono::microseconds max_delay = std::chrono::hours(1);
  /// A payment still PROCESSING this long after its charge left was abandoned by a process that died;
  /// reconcile() treats it as UNKNOWN. More than zero, at most 24 hours.
  std::chrono::microseconds charge_timeout = std::chrono::minutes(5);
  /// The HMAC key of card and IBAN fingerprints: k_min_fingerprint_secret_bytes to
  /// k_max_fingerprint_secret_bytes, or empty for no fingerprints. Sensitive: never printed.
  std::string fingerprint_secret{};
  /// The accounts a processed payment posts to when its request names none. When absent, the library
  /// opens (on a payment's first use) "payments:clearing:<currency>" (debit-normal: what the gateway
  /// owes until it pays out) and "payments:revenue:<currency>" (credit-normal).
  std::optional<AccountId> clearing_account{};
  std::optional<AccountId> revenue_account{};
  /// What create() accepts, unless a request brings its own.
  PaymentPolicy policy{};
};

/// A payment the host asks for. The text fields are borrowed for the length of the call.
struct PaymentRequest {
  PaymentInput input{};  ///< the request body's fields as text; the card number, CVC and IBAN are sensitive
  std::optional<PaymentId> id{};           ///< made by the IdSource when absent
  std::optional<std::string> idempotency_key{};  ///< 1 to k_max_payment_key_bytes, no control characters
  std::optional<AccountId> debit_account{};      ///< PaymentOptions::clearing_account when absent
  std::optional<AccountId> credit_account{};     ///< PaymentOptions::revenue_account when absent
  std::string description{};                     ///< up to k_max_description_bytes, no control characters
  Metadata metadata{};
  const PaymentPolicy* policy = nullptr;  ///< PaymentOptions::policy when null
};

/// The outcome of a payments call. Each call checks the codes it can return in the order listed on it.
enum class PaymentResult : std::uint8_t {
  ok,                            ///< done; for process, the payment's status says how the charge went
  invalid,                       ///< create: `errors` lists every broken field; nothing was stored
  exists,                        ///< create: the key (or id) holds a payment of the same request; it is returned
  exists_with_different_fields,  ///< create: the key (or id) holds a payment of another request; it is returned
  not_found,                     ///< no payment has this id
  not_processable,               ///< the payment's status does not allow the call; it is returned unchanged
  not_dead_lettered,             ///< redrive: the payment is not dead-lettered; it is returned unchanged
};

[[nodiscard]] std::string_view to_string(PaymentResult result) noexcept;

struct [[nodiscard]] PaymentOutcome {
  PaymentResult result{};
  /// The payment after the call (absent for not_found and invalid).
  std::optional<Payment> payment{};
  /// invalid: every broken field, as validate_payment() reports them.
  FieldErrors errors{};

  [[nodiscard]] bool ok() const noexcept { return result == PaymentResult::ok; }
};

class Payments {
 public:
  Payments(detail::Context& context, Accounts& accounts, Ledger& ledger, Jobs& jobs) noexcept
      : context_(context), accounts_(accounts), ledger_(ledger), jobs_(jobs) {}

  /// Replaces the options. Throws InvalidArgument naming the field ("max_attempts", "base_delay",
  /// "max_delay", "charge_timeout", "fingerprint_secret") for one beyond its bounds; the options are
  /// unchanged then. Not thread-safe against calls in flight; set once at start-up.
  void configure(PaymentOptions options);
  [[nodiscard]] const PaymentOptions& options() const noexcept { return options_; }

  /// Validates the request and stores it VALIDATED at version 1, with no attempt made. Results, in order:
  /// invalid (nothing stored, the gateway not called; a request with neither a card nor an IBAN is
  /// invalid too: card_number missing), exists or exists_with_different_fields when request.idempotency_key
  /// or request.id holds a payment already (the gateway not called: the same amount, currency, customer,
  /// email, card or IBAN ends, accounts, description and metadata are the same request), ok. The gateway's
  /// tokenize() runs once, between the checks and the write. Throws before anything is stored:
  /// InvalidArgument naming "idempotency_key", "description", "metadata", "debit_account" or
  /// "credit_account" (no such account, or in another currency than the amount); what tokenize() throws;
  /// InvalidArgument ("token") for a token beyond its limits; Misuse with a transaction open.
  PaymentOutcome create(const PaymentRequest& request, PaymentGateway& gateway);

  /// The payment with `id`, or nullopt.
  [[nodiscard]] std::optional<Payment> get(const PaymentId& id);

  /// Sends the payment's next charge now, and settles it: a host's or an operator's call, which does not wait
  /// for a scheduled retry's next_attempt_at (run_due() does). Results, in order: not_found, not_processable (not
  /// VALIDATED, or another caller took it first), ok with the payment's new status: processed (with the
  /// ledger entry, in the same unit of work), failed (declined), validated with next_attempt_at (an error
  /// with attempts left: the retry job is enqueued in the same unit of work), dead_lettered (an error on
  /// the last attempt) or unknown (a timeout, or a charge that threw). Throws Misuse with a transaction
  /// open, and StorageError when the store fails (before the charge: nothing was sent; after it: the
  /// payment stays PROCESSING until reconcile()).
  PaymentOutcome process(const PaymentId& id, PaymentGateway& gateway);

  /// Claims up to `limit` (1 to k_max_claim_batch) due "payment.retry" jobs and processes each payment
  /// that is still VALIDATED; completes every job it claimed. One outcome per payment processed, in the
  /// order claimed. Throws InvalidArgument (field "limit") beyond it, and as process() does.
  std::vector<PaymentOutcome> run_due(PaymentGateway& gateway, std::size_t limit = 100);

  /// Settles up to `limit` (1 to k_max_reconcile) UNKNOWN payments, and PROCESSING ones whose charge left more than
  /// charge_timeout ago, by the gateway's lookup() of their charge key: approved -> processed (with the
  /// ledger entry), declined -> failed, not_found -> validated with a retry scheduled, or dead_lettered
  /// after the last attempt; anything else leaves it unknown. One outcome per payment looked at.
  std::vector<PaymentOutcome> reconcile(PaymentGateway& gateway, std::size_t limit = 100);

  /// Dead-lettered payments in id order, a page at a time (cursor: the previous page's next_cursor).
  /// Throws InvalidArgument (field "limit" or "cursor") for a limit outside 1..1,000 or a cursor that is
  /// not a payment id.
  [[nodiscard]] Page<Payment> dead_letters(const std::string& cursor = "", std::size_t limit = 100);

  /// Payments in id order, only those in `status` and of `customer_id` when given, as dead_letters().
  [[nodiscard]] Page<Payment> list(std::optional<PaymentStatus> status = std::nullopt,
                                   const std::optional<std::string>& customer_id = std::nullopt,
                                   const std::string& cursor = "", std::size_t limit = 100);

  /// Puts a dead-lettered payment back: VALIDATED, its attempts reset to zero, a retry job due now.
  /// Results, in order: not_found, not_dead_lettered, ok.
  PaymentOutcome redrive(const PaymentId& id);

  /// The status changes of the payment, oldest first; empty when there is no such payment.
  [[nodiscard]] std::vector<PaymentChange> history(const PaymentId& id);

  /// Called inside the unit of work that settles a payment (process, run_due, reconcile), after its new status is
  /// written, so that what it writes commits with it or not at all: how another area follows its payments (the
  /// invoices' collections, collections.hpp, which Books installs). One hook; set at start-up.
  using SettledHook = std::function<void(UnitOfWork&, const Payment&)>;
  void on_settled(SettledHook hook) { settled_ = std::move(hook); }

 private:
  void check_accounts(const Payment& payment, const PaymentRequest& request);
  void open_default_accounts(const Payment& payment, const PaymentRequest& request);
  PaymentOutcome settle(const Payment& asked, const ChargeResult& answer);
  PaymentChange apply(UnitOfWork& work, Payment& payment, const ChargeResult& answer, Timestamp now);
  PaymentChange approve(Payment& payment, const ChargeResult& answer, Timestamp now);
  PaymentChange retry_or_dead_letter(UnitOfWork& work, Payment& payment, Timestamp now);
  void schedule(UnitOfWork& work, const Payment& payment);
  std::optional<Payment> due_payment(const Job& job);
  std::vector<Payment> unsettled(std::size_t limit);

  detail::Context& context_;
  Accounts& accounts_;
  Ledger& ledger_;
  Jobs& jobs_;
  PaymentOptions options_{};
  SettledHook settled_{};
};

}  // namespace billing
