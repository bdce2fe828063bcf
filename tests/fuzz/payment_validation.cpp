// Payment validation on any bytes (billing/payment_validation.hpp). The first byte picks what is read:
//  0: a card number: check_card_number() and card_brand() agree with a Luhn and a normaliser written again
//     here, and what passed is the number given, digit for digit;
//  1: an IBAN: iban_problem() agrees with a mod 97 written again here and with the registry's length;
//  2: a whole request, each field a length byte and its bytes (a length byte of 255 leaves the field out):
//     validate_payment() never throws, lists at most one error per field in field order, starts each message
//     with its field, and no message holds six digits in a row of the card number given.
// Nothing may throw: every check is a value.
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "billing/payment_validation.hpp"
#include "harness.hpp"

using namespace billing;

namespace {

struct NeverThrown : std::exception {};  // completes<NeverThrown>: every exception is a finding

// The digits of `text` when it is only digits, spaces and dashes within the limit; else nullopt.
std::optional<std::string> digits_of(std::string_view text) {
  if (text.size() > k_max_card_number_bytes) return std::nullopt;
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  return digits;
}

bool luhn_again(std::string_view digits) {
  int sum = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    int d = digits[digits.size() - 1 - i] - '0';
    if (i % 2 == 1) d = d > 4 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return !digits.empty() && sum % 10 == 0;
}

void check_card(std::string_view text) {
  const CardNumberCheck check = check_card_number(text);
  const std::optional<std::string> digits = digits_of(text);
  BILLING_FUZZ_CHECK(card_brand(text).has_value() <= (digits && !digits->empty()));
  if (!check.problem) {
    BILLING_FUZZ_CHECK(digits && check.number && check.number->digits() == *digits);
    BILLING_FUZZ_CHECK(digits->size() >= 12 && digits->size() <= 19 && luhn_again(*digits));
    BILLING_FUZZ_CHECK(card_brand(text) == check.brand && check.number->brand() == *check.brand);
    BILLING_FUZZ_CHECK(check.number->last_four() == std::string_view(*digits).substr(digits->size() - 4));
  } else {
    BILLING_FUZZ_CHECK(!check.number.has_value());
    if (digits && digits->size() >= 12 && digits->size() <= 19) {
      BILLING_FUZZ_CHECK((*check.problem == ValidationCode::checksum) == !luhn_again(*digits));
    }
  }
}

void check_iban(std::string_view text) {
  const std::optional<ValidationCode> problem = iban_problem(text);
  if (problem) return;
  std::string compact;
  for (const char c : text) {
    if (c != ' ') compact += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  BILLING_FUZZ_CHECK(iban_length(compact.substr(0, 2)) == compact.size());
  unsigned remainder = 0;
  for (const char c : compact.substr(4) + compact.substr(0, 4)) {
    remainder = c >= 'A' ? (remainder * 100 + static_cast<unsigned>(c - 'A' + 10)) % 97
                         : (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
  }
  BILLING_FUZZ_CHECK(remainder == 1);
}

std::optional<std::string> field(fuzz::Reader& reader) {
  const std::uint8_t size = reader.byte();
  if (size == 255) return std::nullopt;
  std::string out;
  for (std::uint8_t i = 0; i < size && !reader.empty(); ++i) out += static_cast<char>(reader.byte());
  return out;
}

std::optional<std::string_view> view(const std::optional<std::string>& text) {
  return text ? std::optional<std::string_view>(*text) : std::nullopt;
}

void check_request(fuzz::Reader& reader) {
  const std::string amount = field(reader).value_or("");
  const std::string currency = field(reader).value_or("");
  const std::string customer_id = field(reader).value_or("");
  const auto email = field(reader);
  const auto card_number = field(reader);
  const auto expiry_month = field(reader);
  const auto expiry_year = field(reader);
  const auto cvc = field(reader);
  const auto iban = field(reader);
  static const ManualClock clock(Timestamp::parse("2026-05-15T12:00:00Z"));
  static const PaymentPolicy capped(Decimal::parse("1000"), std::nullopt, std::vector<CardBrand>{CardBrand::visa});
  const PaymentInput input{.amount = amount,
                           .currency = currency,
                           .customer_id = customer_id,
                           .email = view(email),
                           .card_number = view(card_number),
                           .expiry_month = view(expiry_month),
                           .expiry_year = view(expiry_year),
                           .cvc = view(cvc),
                           .iban = view(iban)};
  const PaymentReport report = validate_payment(input, reader.flag() ? capped : PaymentPolicy(), clock);
  std::optional<PaymentField> last;
  const std::optional<std::string> digits = card_number ? digits_of(*card_number) : std::nullopt;
  for (const FieldError& e : report.errors) {
    BILLING_FUZZ_CHECK(!last || *last < e.field());
    last = e.field();
    BILLING_FUZZ_CHECK(e.message().substr(0, e.field_name().size() + 2) == std::string(e.field_name()) + ": ");
    for (std::size_t at = 0; digits && at + 6 <= digits->size(); ++at) {
      BILLING_FUZZ_CHECK(e.message().find(std::string_view(*digits).substr(at, 6)) == std::string_view::npos);
    }
  }
  BILLING_FUZZ_CHECK(report.ok() == report.errors.empty());
  if (report.card) BILLING_FUZZ_CHECK(card_number && is_valid_card_number(*card_number));
}

}  // namespace

BILLING_FUZZ_TARGET(payment_validation) {
  if (input.empty()) return;
  const bool ran = fuzz::completes<NeverThrown>([&] {
    fuzz::Reader reader(input.subspan(1));
    switch (input[0] % 3) {
      case 0: check_card(fuzz::as_text(input.subspan(1))); break;
      case 1: check_iban(fuzz::as_text(input.subspan(1))); break;
      default: check_request(reader); break;
    }
  });
  BILLING_FUZZ_CHECK(ran);  // nothing may throw, not even a billing::Error
}
