// validate_payment: each field's checks in their documented order, the report, and the policy.
//
// Every check reads a borrowed view and writes into the report's fixed arrays, so a valid request costs no
// allocation (tests/unit/payment_validation_test.cpp counts them). Messages name the field and the rule and
// quote nothing of a sensitive field: a card number's brand and digit count are all they say of it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string_view>

#include "billing/email.hpp"
#include "billing/payment_validation.hpp"
#include "payments/cards.hpp"
#include "text.hpp"

namespace billing {
namespace {

using Code = ValidationCode;
using Field = PaymentField;

/// An error whose message is "<field>: " and then `format` with `args`, cut to fit.
template <class... Args>
FieldError error(Field field, Code code, fmt::format_string<Args...> format, Args&&... args) {
  std::array<char, FieldError::k_max_message_bytes> text{};
  const auto head = fmt::format_to_n(text.data(), text.size(), "{}: ", to_string(field));
  const std::size_t used = std::min(head.size, text.size());
  const auto tail = fmt::format_to_n(text.data() + used, text.size() - used, format, std::forward<Args>(args)...);
  return {field, code, std::string_view(text.data(), used + std::min(tail.size, text.size() - used))};
}

/// A field's outcome: its value when it passed, else its error (or neither, for a field not given).
template <class T>
struct Checked {
  std::optional<T> value{};
  std::optional<FieldError> problem{};
};

void add(FieldErrors& errors, const std::optional<FieldError>& problem) {
  if (problem) errors.add(*problem);
}

bool all_digits(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view digits) noexcept {
  int value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

// ---------------------------------------------------------------------------------------- amount, currency

// The places that `text` asks for when it reads as [+-]digits[.digits][e[+-]digits]: the digits after the
// point less the exponent; nullopt for other text. Decimal::parse refuses a number that needs more than
// k_max_scale places as it refuses a malformed one; this tells the two apart, for the code only.
std::optional<int> written_scale(std::string_view text) noexcept {
  const auto digits = [&](std::size_t from) {
    std::size_t to = from;
    while (to < text.size() && text[to] >= '0' && text[to] <= '9') ++to;
    return to - from;
  };
  std::size_t at = text.empty() || (text[0] != '+' && text[0] != '-') ? 0 : 1;
  const std::size_t whole = digits(at);
  at += whole;
  std::size_t places = 0;
  if (at < text.size() && text[at] == '.') {
    places = digits(at + 1);
    at += 1 + places;
  }
  if (whole + places == 0) return std::nullopt;
  int exponent = 0;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    const bool negative = at + 1 < text.size() && text[at + 1] == '-';
    at += at + 1 < text.size() && (text[at + 1] == '-' || text[at + 1] == '+') ? 2 : 1;
    const std::size_t count = digits(at);
    if (count == 0 || count > 4) return std::nullopt;
    exponent = to_int(text.substr(at, count));
    exponent = negative ? -exponent : exponent;
    at += count;
  }
  if (at != text.size()) return std::nullopt;
  return static_cast<int>(places) - exponent;
}

Checked<Currency> check_currency(std::string_view text, const PaymentPolicy& policy) {
  if (text.size() > k_max_currency_bytes) {
    return {.problem = error(Field::currency, Code::too_long, "is {} bytes; a currency code has at most {}",
                             text.size(), k_max_currency_bytes)};
  }
  if (text.empty()) return {.problem = error(Field::currency, Code::empty, "is empty")};
  const std::optional<Currency> found = Currency::find(text);
  if (!found) {
    // Letters and underscores are quoted, to help the reader; text with a digit is not, since it might be a
    // card number given in the wrong field.
    const bool quotable = std::all_of(
        text.begin(), text.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; });
    return {.problem = quotable
                           ? error(Field::currency, Code::unknown_currency, "'{}' is not a known currency code", text)
                           : error(Field::currency, Code::unknown_currency, "is not a known currency code")};
  }
  if (!policy.accepts(*found)) {
    // Known, so the amount's places can still be judged by it: the value stays, beside the problem.
    return {.value = found,
            .problem = error(Field::currency, Code::currency_not_accepted, "{} is not a currency this host accepts",
                             found->code())};
  }
  return {.value = found};
}

Checked<Decimal> parse_amount(std::string_view text) {
  if (text.size() > k_max_amount_bytes) {
    return {.problem = error(Field::amount, Code::too_long, "is {} bytes, longer than any amount ({} at most)",
                             text.size(), k_max_amount_bytes)};
  }
  if (text.empty()) return {.problem = error(Field::amount, Code::empty, "is empty")};
  try {
    return {.value = Decimal::parse(text, "amount")};
  } catch (const Error& refused) {
    if (const std::optional<int> scale = written_scale(text); scale && *scale > Decimal::k_max_scale) {
      return {.problem = error(Field::amount, Code::too_many_places, "has more than {} places", Decimal::k_max_scale)};
    }
    if (refused.code() == ErrorCode::overflow) {
      return {.problem = error(Field::amount, Code::too_large, "is beyond the range of any amount")};
    }
    return {.problem = error(Field::amount, Code::invalid_format, "is not a decimal number such as 12.34")};
  }
}

// The amount's checks after it parsed, against its currency when that is known (accepted or not).
Checked<Money> check_amount(std::string_view text, const std::optional<Currency>& currency,
                            const PaymentPolicy& policy) {
  const Checked<Decimal> parsed = parse_amount(text);
  if (!parsed.value) return {.problem = parsed.problem};
  const Decimal& value = *parsed.value;
  if (value.sign() <= 0) return {.problem = error(Field::amount, Code::not_positive, "must be more than zero")};
  if (!currency) return {};  // its places and range depend on the currency, which is at fault itself
  if (const int places = value.normalized().scale(); places > currency->minor_units()) {
    return {.problem = error(Field::amount, Code::too_many_places, "has {} places; {} has {}", places, currency->code(),
                             currency->minor_units())};
  }
  if (policy.max_amount() && value > *policy.max_amount()) {
    return {.problem = error(Field::amount, Code::too_large, "is more than {} {}, the most this host accepts",
                             policy.max_amount()->to_string(), currency->code())};
  }
  try {
    return {.value = Money(value, *currency)};
  } catch (const Overflow&) {
    return {.problem = error(Field::amount, Code::too_large, "is beyond the largest amount of {} a Money holds",
                             currency->code())};
  }
}

// ---------------------------------------------------------------------------------------- customer, email

std::optional<FieldError> customer_id_problem(std::string_view text) {
  const auto too_long = [] {
    return error(Field::customer_id, Code::too_long, "is longer than {} characters", k_max_customer_id_chars);
  };
  if (text.size() > k_max_customer_id_bytes) return too_long();
  if (text.empty()) return error(Field::customer_id, Code::empty, "is empty");
  std::size_t characters = 0;
  std::optional<std::size_t> control_at;
  for (std::size_t at = 0; at < text.size(); ++characters) {
    if (const auto byte = static_cast<unsigned char>(text[at]); byte < 0x80) {  // ASCII, the common case
      if (!control_at && (byte < 0x20 || byte == 0x7F)) control_at = at;
      ++at;
      continue;
    }
    const std::optional<detail::Utf8Char> c = detail::decode_utf8(text, at);
    if (!c) return error(Field::customer_id, Code::invalid_format, "byte {} is not valid UTF-8", at);
    if (!control_at && detail::is_control_character(c->code_point)) control_at = at;
    at += c->size;
  }
  if (characters > k_max_customer_id_chars) return too_long();
  if (control_at) {
    return error(Field::customer_id, Code::control_character, "the character at byte {} is a control character",
                 *control_at);
  }
  return std::nullopt;
}

std::optional<FieldError> email_field_problem(std::string_view text) {
  if (text.size() > k_max_email_bytes) {
    return error(Field::email, Code::too_long, "is longer than {} bytes", k_max_email_bytes);
  }
  if (text.empty()) return error(Field::email, Code::empty, "is empty");
  if (const std::string_view problem = email_problem(text); !problem.empty()) {
    return error(Field::email, Code::invalid_format, "{}", problem);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------- card

FieldError card_number_error(const CardNumberCheck& check) {
  constexpr Field f = Field::card_number;
  switch (*check.problem) {
    case Code::too_long: return error(f, Code::too_long, "is longer than {} bytes", k_max_card_number_bytes);
    case Code::empty: return error(f, Code::empty, "is empty");
    case Code::invalid_format: return error(f, Code::invalid_format, "may hold only digits, spaces and dashes");
    case Code::checksum: return error(f, Code::checksum, "fails the Luhn check");
    case Code::unknown_brand: return error(f, Code::unknown_brand, "is of no card brand this library knows");
    case Code::brand_not_accepted:
      return error(f, Code::brand_not_accepted, "{} cards are not accepted here", display_name(*check.brand));
    case Code::invalid_length:
      if (check.brand) {
        return error(f, Code::invalid_length, "has {} digits; {} numbers have {}", check.digit_count,
                     display_name(*check.brand), detail::card_lengths_text(*check.brand));
      }
      return error(f, Code::invalid_length, "has {} digits; a card number has {} to {}", check.digit_count,
                   CardNumber::k_min_digits, CardNumber::k_max_digits);
    default: break;
  }
  BILLING_ASSERT(!"check_card_number returned a code it does not document");
  return {};
}

// The digits of an expiry or CVC field: too long, empty or not digits is its problem.
std::optional<FieldError> digits_problem(Field field, std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return error(field, Code::too_long, "is longer than {} characters", max_bytes);
  if (text.empty()) return error(field, Code::empty, "is empty");
  if (!all_digits(text)) return error(field, Code::invalid_format, "may hold only digits");
  return std::nullopt;
}

FieldError required_with_card(Field field) { return error(field, Code::missing, "is required with a card number"); }

Checked<int> check_month(const std::optional<std::string_view>& text, bool card_given) {
  if (!text) return {.problem = card_given ? std::optional(required_with_card(Field::expiry_month)) : std::nullopt};
  if (auto problem = digits_problem(Field::expiry_month, *text, k_max_expiry_month_bytes)) return {.problem = problem};
  const int month = to_int(*text);
  if (month < 1 || month > 12) {
    return {.problem = error(Field::expiry_month, Code::out_of_range, "is not a month from 1 to 12")};
  }
  return {.value = month};
}

Checked<int> check_year(const std::optional<std::string_view>& text, bool card_given, int this_year) {
  if (!text) return {.problem = card_given ? std::optional(required_with_card(Field::expiry_year)) : std::nullopt};
  if (auto problem = digits_problem(Field::expiry_year, *text, k_max_expiry_year_bytes)) return {.problem = problem};
  if (text->size() != 2 && text->size() != 4) {
    return {.problem = error(Field::expiry_year, Code::invalid_format, "is not a year of 2 or 4 digits")};
  }
  const int year = text->size() == 2 ? 2000 + to_int(*text) : to_int(*text);
  if (year > this_year + k_max_expiry_years_ahead) {
    return {.problem =
                error(Field::expiry_year, Code::out_of_range, "is more than {} years ahead", k_max_expiry_years_ahead)};
  }
  return {.value = year};
}

std::optional<FieldError> cvc_problem(const std::optional<std::string_view>& text, bool card_given,
                                      const std::optional<CardBrand>& brand) {
  if (!text) return card_given ? std::optional(required_with_card(Field::cvc)) : std::nullopt;
  if (auto problem = digits_problem(Field::cvc, *text, k_max_cvc_bytes)) return problem;
  const std::size_t digits = text->size();
  if (brand) {
    if (digits != static_cast<std::size_t>(cvc_digits(*brand))) {
      return error(Field::cvc, Code::invalid_length, "has {} digits; {} cards have {}", digits, display_name(*brand),
                   cvc_digits(*brand));
    }
  } else if (digits != 3 && digits != 4) {
    return error(Field::cvc, Code::invalid_length, "has {} digits; a CVC has 3 or 4", digits);
  }
  return std::nullopt;
}

struct YearMonth {
  int year;
  int month;
};

YearMonth year_month_of(Timestamp when) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<microseconds>(microseconds(when.unix_micros())));
  const year_month_day date(day);
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month()))};
}

// The card fields, which depend on one another: the brand sets the CVC's length, and the month is expired
// only in the expiry year. Their errors are added in field order.
void check_card(const PaymentInput& input, const PaymentPolicy& policy, Timestamp now, PaymentReport& report) {
  const bool card_given = input.card_number.has_value();
  std::optional<CardNumberCheck> number;
  std::optional<FieldError> number_problem;
  if (card_given) {
    number = check_card_number(*input.card_number, policy.accepted_brands());
    if (number->problem) number_problem = card_number_error(*number);
  } else if (input.expiry_month || input.expiry_year || input.cvc) {
    number_problem = error(Field::card_number, Code::missing, "is required with an expiry or a CVC");
  }
  const YearMonth today = year_month_of(now);
  Checked<int> month = check_month(input.expiry_month, card_given);
  Checked<int> year = check_year(input.expiry_year, card_given, today.year);
  // Valid through the last instant of the expiry month (UTC).
  if (month.value && year.value && *year.value == today.year && *month.value < today.month) {
    month.problem =
        error(Field::expiry_month, Code::expired, "the card expired at the end of {:02}/{}", *month.value, *year.value);
  }
  if (year.value && *year.value < today.year) {
    year.problem = error(Field::expiry_year, Code::expired, "the card expired at the end of {}", *year.value);
  }
  add(report.errors, number_problem);
  add(report.errors, month.problem);
  add(report.errors, year.problem);
  add(report.errors, cvc_problem(input.cvc, card_given, number ? number->brand : std::nullopt));
  if (number && number->number && month.value && year.value) {
    report.card.emplace(number->number->brand(), number->number->last_four(), *month.value, *year.value);
  }
}

// ---------------------------------------------------------------------------------------- IBAN

std::optional<FieldError> iban_field_problem(std::string_view text, bool card_given) {
  constexpr Field f = Field::iban;
  if (const std::optional<Code> code = iban_problem(text)) {
    switch (*code) {
      case Code::too_long: return error(f, *code, "is longer than {} characters", k_max_iban_bytes);
      case Code::empty: return error(f, *code, "is empty");
      case Code::invalid_format:
        return error(f, *code, "is not two letters, two check digits and then letters and digits (spaces allowed)");
      case Code::unknown_country: return error(f, *code, "does not start with a country of the IBAN registry");
      case Code::invalid_length: return error(f, *code, "is not of the length its country's IBANs have");
      case Code::checksum: return error(f, *code, "fails the mod-97 check");
      default: break;
    }
    BILLING_ASSERT(!"iban_problem returned a code it does not document");
  }
  if (card_given) return error(f, Code::conflict, "a payment takes a card or an IBAN, not both");
  return std::nullopt;
}

}  // namespace

// ------------------------------------------------------------------------------------------ names

std::string_view to_string(PaymentField field) noexcept {
  static constexpr std::array<std::string_view, k_payment_field_count> names{
      "amount", "currency", "customer_id", "email", "card_number", "expiry_month", "expiry_year", "cvc", "iban"};
  return names[static_cast<std::size_t>(field)];
}

std::string_view to_string(ValidationCode code) noexcept {
  static constexpr std::array<std::string_view, 18> names{
      "missing",           "too_long",           "empty",
      "invalid_format",    "not_positive",       "too_many_places",
      "too_large",         "unknown_currency",   "currency_not_accepted",
      "control_character", "invalid_length",     "checksum",
      "unknown_brand",     "brand_not_accepted", "out_of_range",
      "expired",           "unknown_country",    "conflict"};
  static_assert(names.size() == static_cast<std::size_t>(ValidationCode::conflict) + 1);
  return names[static_cast<std::size_t>(code)];
}

// ------------------------------------------------------------------------------------------ errors

FieldError::FieldError(PaymentField field, ValidationCode code, std::string_view message) noexcept
    : field_(field), code_(code), size_(static_cast<std::uint8_t>(std::min(message.size(), k_max_message_bytes))) {
  std::copy_n(reinterpret_cast<const unsigned char*>(message.data()), size_, text_.data());
}

const FieldError* FieldErrors::find(PaymentField field) const noexcept {
  const auto* found = std::find_if(begin(), end(), [&](const FieldError& e) { return e.field() == field; });
  return found == end() ? nullptr : found;
}

void FieldErrors::add(const FieldError& error) {
  BILLING_ASSERT(size_ < k_capacity);
  BILLING_ASSERT(size_ == 0 || items_[size_ - 1].field() < error.field());
  items_[size_++] = error;
}

// ------------------------------------------------------------------------------------------ policy

PaymentPolicy::PaymentPolicy(std::optional<Decimal> max_amount, std::optional<std::vector<Currency>> currencies,
                             std::optional<std::vector<CardBrand>> brands)
    : max_amount_(std::move(max_amount)), currencies_(std::move(currencies)), brands_(std::move(brands)) {
  if (max_amount_ && max_amount_->sign() <= 0) throw InvalidArgument("max_amount", "must be more than zero");
  if (currencies_) {
    if (currencies_->empty() || currencies_->size() > k_max_currencies) {
      throw InvalidArgument(
          "currencies",
          fmt::format("must list 1 to {} currencies, or be left out to accept every one", k_max_currencies));
    }
    for (auto it = currencies_->begin(); it != currencies_->end(); ++it) {
      if (std::find(currencies_->begin(), it, *it) != it) {
        throw InvalidArgument("currencies", fmt::format("lists {} twice", it->code()));
      }
    }
  }
  if (brands_) {
    if (brands_->empty()) {
      throw InvalidArgument("brands", "must list 1 brand at least, or be left out to accept every one");
    }
    accepted_brands_ = CardBrands();
    for (const CardBrand brand : *brands_) {
      if (accepted_brands_.contains(brand)) {
        throw InvalidArgument("brands", fmt::format("lists {} twice", display_name(brand)));
      }
      accepted_brands_.insert(brand);
    }
  }
}

bool PaymentPolicy::accepts(Currency currency) const noexcept {
  return !currencies_ || std::find(currencies_->begin(), currencies_->end(), currency) != currencies_->end();
}

// ------------------------------------------------------------------------------------------ the call

PaymentReport validate_payment(const PaymentInput& input, const PaymentPolicy& policy, const Clock& clock) {
  const Timestamp now = clock.now();
  PaymentReport report;
  const Checked<Currency> currency = check_currency(input.currency, policy);
  Checked<Money> amount = check_amount(input.amount, currency.value, policy);
  add(report.errors, amount.problem);
  add(report.errors, currency.problem);
  add(report.errors, customer_id_problem(input.customer_id));
  if (input.email) add(report.errors, email_field_problem(*input.email));
  check_card(input, policy, now, report);
  if (input.iban) add(report.errors, iban_field_problem(*input.iban, input.card_number.has_value()));
  if (!currency.problem) report.amount = amount.value;
  return report;
}

}  // namespace billing
