// The payment gateway: the one door through which the library reaches a card processor or a bank. The
// host implements PaymentGateway (in C++, or as a Python subclass of billing.PaymentGateway); the library
// ships ScriptedGateway, which answers from a script, for tests and examples.
//
// A gateway is called outside any unit of work (a charge may take seconds; no write lock waits for it),
// by whichever thread runs Payments::create, process, run_due or reconcile: make it safe to call from
// several threads, as ScriptedGateway is.
//
//   billing::ScriptedGateway gateway({billing::ScriptStep::error, billing::ScriptStep::approve});
//   auto created = books.payments().create({.input = {...}}, gateway);    // tokenize()
//   auto first = books.payments().process(created.payment->id, gateway);  // error: a retry is scheduled
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/money.hpp"
#include "billing/payment_validation.hpp"

namespace billing {

/// The sensitive data of a payment method, handed to PaymentGateway::tokenize() and to nothing else: the
/// full card number and CVC, or the IBAN. It has no formatter and no repr that shows them, and it wipes
/// its copies when destroyed. Either `card_number` (with the expiry and the CVC) or `iban` is set.
class PaymentMethod {
 public:
  /// A card that passed validation. `cvc` is its 3 or 4 digits.
  PaymentMethod(const CardNumber& number, int expiry_month, int expiry_year, std::string_view cvc) noexcept;
  /// A bank account whose IBAN passed validation, as typed (spaces are removed, letters upper-cased).
  explicit PaymentMethod(std::string_view iban) noexcept;
  PaymentMethod(const PaymentMethod&) noexcept;
  PaymentMethod& operator=(const PaymentMethod&) noexcept;
  ~PaymentMethod();

  [[nodiscard]] bool is_card() const noexcept { return card_.has_value(); }
  /// The card's full number (digits only), or empty for a bank account. Sensitive.
  [[nodiscard]] std::string_view card_number() const noexcept;
  /// The card's CVC, or empty. Sensitive.
  [[nodiscard]] std::string_view cvc() const noexcept { return {cvc_.data(), cvc_size_}; }
  /// The brand, last four and expiry of the card, or nullopt for a bank account.
  [[nodiscard]] const std::optional<CardDetails>& card() const noexcept { return details_; }
  /// The IBAN without spaces, upper case, or empty for a card. Sensitive.
  [[nodiscard]] std::string_view iban() const noexcept { return {iban_.data(), iban_size_}; }

 private:
  void wipe() noexcept;

  std::optional<CardNumber> card_{};
  std::optional<CardDetails> details_{};
  std::array<char, 4> cvc_{};
  std::size_t cvc_size_ = 0;
  std::array<char, 34> iban_{};  // the longest IBAN of the registry has 34 characters
  std::size_t iban_size_ = 0;
};

/// What the gateway said about a charge.
enum class ChargeStatus : std::uint8_t {
  approved,   ///< the money moved; `reference` is the gateway's id for the charge
  declined,   ///< refused for good (insufficient funds, a stolen card): the payment fails, no retry
  error,      ///< not done, and safe to retry: the request never reached the gateway, or it refused to act
  timeout,    ///< no answer after the request left: the charge may or may not have happened
  not_found,  ///< lookup() only: the gateway has no charge under that key, so none happened
};

[[nodiscard]] std::string_view to_string(ChargeStatus status) noexcept;

/// A charge's or a lookup's answer.
struct ChargeResult {
  ChargeStatus status = ChargeStatus::error;
  std::string reference{};  ///< approved: the gateway's id for the charge (up to 255 bytes)
  std::string reason{};     ///< declined, error, timeout: why, for people (up to 1,024 bytes)

  friend bool operator==(const ChargeResult&, const ChargeResult&) = default;
};

/// The host's gateway. Each call may throw; what the library does then is on each function.
class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;

  /// The gateway's opaque token for `method` (1 to 255 bytes of UTF-8, no control characters), which the
  /// payment keeps and later charges. Runs in Payments::create, before anything is stored: when it throws,
  /// create() throws that exception and stores nothing.
  [[nodiscard]] virtual std::string tokenize(const PaymentMethod& method) = 0;

  /// Charges `amount` to `token`. `idempotency_key` is the payment's own (Payment::charge_key()), the same
  /// on every attempt: a gateway must answer a repeated key with the first charge's result rather than
  /// charge again. A charge that throws is taken as a timeout (the library cannot tell whether the request
  /// left), and the exception's message becomes the payment's failure_reason.
  [[nodiscard]] virtual ChargeResult charge(std::string_view token, const Money& amount,
                                            std::string_view idempotency_key) = 0;

  /// What became of the charge sent under `idempotency_key`: approved or declined when the gateway has it,
  /// not_found when it never arrived, timeout (or error) when the gateway cannot say yet. Runs in
  /// Payments::reconcile; one that throws leaves the payment unknown.
  [[nodiscard]] virtual ChargeResult lookup(std::string_view idempotency_key) = 0;
};

/// One answer of a ScriptedGateway's script.
enum class ScriptStep : std::uint8_t {
  approve,  ///< charges, and answers approved
  decline,  ///< answers declined ("card_declined"); lookup() says declined afterwards
  error,    ///< charges nothing, and answers error ("gateway unavailable")
  timeout,  ///< charges, but answers timeout: lookup() finds the charge approved afterwards
};

[[nodiscard]] std::string_view to_string(ScriptStep step) noexcept;

/// A charge a ScriptedGateway took.
struct ScriptedCharge {
  std::string idempotency_key{};
  std::string token{};
  Money amount;
  std::string reference{};  ///< "ch_1", "ch_2", ...

  friend bool operator==(const ScriptedCharge&, const ScriptedCharge&) = default;
};

/// A gateway for tests and examples that answers each new charge with the next step of its script, then
/// with `otherwise` once the script has run out. It honours idempotency keys as a real gateway does: a
/// charge under a key it approved (or declined) before answers as it did then, takes nothing and uses no
/// step. Tokens are "tok_1", "tok_2", ...; it keeps no card data. Safe to share between threads.
class ScriptedGateway final : public PaymentGateway {
 public:
  explicit ScriptedGateway(std::vector<ScriptStep> script = {}, ScriptStep otherwise = ScriptStep::approve);

  [[nodiscard]] std::string tokenize(const PaymentMethod& method) override;
  [[nodiscard]] ChargeResult charge(std::string_view token, const Money& amount,
                                    std::string_view idempotency_key) override;
  [[nodiscard]] ChargeResult lookup(std::string_view idempotency_key) override;

  /// The charges taken (approved, and timed out), oldest first. A payment charged twice would show twice.
  [[nodiscard]] std::vector<ScriptedCharge> charges() const;
  /// How many times charge() was called, repeats included.
  [[nodiscard]] std::size_t charge_calls() const;
  /// The steps not used yet.
  [[nodiscard]] std::vector<ScriptStep> remaining() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ScriptStep> script_;
  std::size_t next_step_ = 0;
  ScriptStep otherwise_;
  std::size_t tokens_ = 0;
  std::size_t calls_ = 0;
  std::vector<ScriptedCharge> charges_;
  std::vector<std::pair<std::string, ChargeResult>> answered_;  // key -> the answer a repeat gets
};

}  // namespace billing
