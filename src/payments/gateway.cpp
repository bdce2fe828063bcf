// The payment method handed to a gateway, and ScriptedGateway, the gateway of tests and examples.
#include "billing/payment_gateway.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include <fmt/format.h>

namespace billing {

// ------------------------------------------------------------------------------------------ PaymentMethod

PaymentMethod::PaymentMethod(const CardNumber& number, int expiry_month, int expiry_year,
                             std::string_view cvc) noexcept
    : card_(number), details_(CardDetails(number.brand(), number.last_four(), expiry_month, expiry_year)) {
  cvc_size_ = std::min(cvc.size(), cvc_.size());
  std::copy_n(cvc.begin(), cvc_size_, cvc_.begin());
}

PaymentMethod::PaymentMethod(std::string_view iban) noexcept {
  for (const char c : iban) {
    if (c == ' ') continue;
    if (iban_size_ == iban_.size()) break;
    iban_[iban_size_++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
}

PaymentMethod::PaymentMethod(const PaymentMethod&) noexcept = default;
PaymentMethod& PaymentMethod::operator=(const PaymentMethod&) noexcept = default;

PaymentMethod::~PaymentMethod() { wipe(); }

std::string_view PaymentMethod::card_number() const noexcept { return card_ ? card_->digits() : std::string_view(); }

void PaymentMethod::wipe() noexcept {
  // OPENSSL_cleanse, not memset: a store to memory about to die is one the compiler may drop.
  if (card_) OPENSSL_cleanse(&*card_, sizeof(CardNumber));
  OPENSSL_cleanse(cvc_.data(), cvc_.size());
  OPENSSL_cleanse(iban_.data(), iban_.size());
}

// ------------------------------------------------------------------------------------------ names

std::string_view to_string(ChargeStatus status) noexcept {
  switch (status) {
    case ChargeStatus::approved: return "approved";
    case ChargeStatus::declined: return "declined";
    case ChargeStatus::error: return "error";
    case ChargeStatus::timeout: return "timeout";
    case ChargeStatus::not_found: return "not_found";
  }
  return "?";
}

std::string_view to_string(ScriptStep step) noexcept {
  switch (step) {
    case ScriptStep::approve: return "approve";
    case ScriptStep::decline: return "decline";
    case ScriptStep::error: return "error";
    case ScriptStep::timeout: return "timeout";
  }
  return "?";
}

// ------------------------------------------------------------------------------------------ ScriptedGateway

ScriptedGateway::ScriptedGateway(std::vector<ScriptStep> script, ScriptStep otherwise)
    : script_(std::move(script)), otherwise_(otherwise) {}

std::string ScriptedGateway::tokenize(const PaymentMethod& /*method*/) {
  const std::scoped_lock lock(mutex_);
  return fmt::format("tok_{}", ++tokens_);
}

ChargeResult ScriptedGateway::charge(std::string_view token, const Money& amount, std::string_view idempotency_key) {
  const std::scoped_lock lock(mutex_);
  ++calls_;
  for (const auto& [key, answer] : answered_) {
    if (key == idempotency_key) return answer;  // what a real gateway does with a repeated key
  }
  const ScriptStep step = next_step_ < script_.size() ? script_[next_step_++] : otherwise_;
  auto take = [&] {
    std::string reference = fmt::format("ch_{}", charges_.size() + 1);
    charges_.push_back({std::string(idempotency_key), std::string(token), amount, reference});
    return reference;
  };
  switch (step) {
    case ScriptStep::approve: {
      ChargeResult approved{ChargeStatus::approved, take(), {}};
      answered_.emplace_back(std::string(idempotency_key), approved);
      return approved;
    }
    case ScriptStep::decline: {
      ChargeResult declined{ChargeStatus::declined, {}, "card_declined"};
      answered_.emplace_back(std::string(idempotency_key), declined);
      return declined;
    }
    case ScriptStep::timeout: {
      // The charge went through; only its answer was lost. A repeat of the key, or a lookup, finds it.
      answered_.emplace_back(std::string(idempotency_key), ChargeResult{ChargeStatus::approved, take(), {}});
      return {ChargeStatus::timeout, {}, "gateway timed out"};
    }
    case ScriptStep::error: break;
  }
  return {ChargeStatus::error, {}, "gateway unavailable"};
}

ChargeResult ScriptedGateway::lookup(std::string_view idempotency_key) {
  const std::scoped_lock lock(mutex_);
  for (const auto& [key, answer] : answered_) {
    if (key == idempotency_key) return answer;
  }
  return {ChargeStatus::not_found, {}, "no charge under this key"};
}

std::vector<ScriptedCharge> ScriptedGateway::charges() const {
  const std::scoped_lock lock(mutex_);
  return charges_;
}

std::size_t ScriptedGateway::charge_calls() const {
  const std::scoped_lock lock(mutex_);
  return calls_;
}

std::vector<ScriptStep> ScriptedGateway::remaining() const {
  const std::scoped_lock lock(mutex_);
  return {script_.begin() + static_cast<std::ptrdiff_t>(next_step_), script_.end()};
}

}  // namespace billing
