// Payment validation: pure checks of a payment request as a request body carries it (text), reporting every
// broken field at once, with a code to switch on and a message to show. No storage, no allocation when the
// input is valid: a report is a fixed-capacity value, and the inputs are borrowed views. Card numbers, CVCs
// and IBANs are sensitive (PCI DSS 3.3.1, 3.4.1, 3.5.1): no message, report or repr holds them; a report
// keeps only a card's brand, last four digits and expiry. Everything here is safe to share between threads;
// a PaymentPolicy is immutable once made. docs/payments.md lists every check, code and table.
//
//   const billing::ManualClock clock(billing::Timestamp::parse("2026-05-01T00:00:00Z"));
//   const billing::PaymentReport report = billing::validate_payment(
//       {.amount = "19.99", .currency = "USD", .customer_id = "cus_42", .card_number = "4242 4242 4242 4242",
//        .expiry_month = "12", .expiry_year = "2030", .cvc = "123"},
//       billing::PaymentPolicy(), clock);
//   if (!report.ok()) for (const billing::FieldError& e : report.errors) fmt::print("{}\n", e.message());
//   // report.card->brand() == CardBrand::visa, report.card->last_four() == "4242"
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing {

// ------------------------------------------------------------------------------------------ limits
// Each text is refused by its length in bytes before anything else is read (ValidationCode::too_long).

inline constexpr std::size_t k_max_amount_bytes = 64;        ///< amount text
inline constexpr std::size_t k_max_currency_bytes = 16;      ///< the longest currency code (a registered unit's)
inline constexpr std::size_t k_max_customer_id_chars = 128;  ///< customer id, in characters (code points)
inline constexpr std::size_t k_max_customer_id_bytes = 4 * k_max_customer_id_chars;  ///< checked before decoding
inline constexpr std::size_t k_max_card_number_bytes = 64;  ///< card number text, before normalising
inline constexpr std::size_t k_max_expiry_month_bytes = 2;  ///< "1" to "12", "01" to "09"
inline constexpr std::size_t k_max_expiry_year_bytes = 4;   ///< "30" or "2030"
inline constexpr std::size_t k_max_cvc_bytes = 4;           ///< 3 digits, 4 for American Express
inline constexpr std::size_t k_max_iban_bytes = 64;         ///< IBAN text with its spaces
/// An expiry year further ahead than this is refused (out_of_range): no card is issued for longer.
inline constexpr int k_max_expiry_years_ahead = 50;

// ------------------------------------------------------------------------------------------ codes

/// The brands a card number is recognised as, by its leading digits (the IIN ranges of docs/payments.md).
enum class CardBrand : std::uint8_t { visa, mastercard, amex, discover, jcb, diners_club, unionpay, maestro };
inline constexpr std::size_t k_card_brand_count = 8;

/// "visa", "mastercard", "amex", "discover", "jcb", "diners_club", "unionpay", "maestro".
[[nodiscard]] std::string_view to_string(CardBrand brand) noexcept;
/// How people write it: "Visa", "Mastercard", "American Express", "Diners Club", ...
[[nodiscard]] std::string_view display_name(CardBrand brand) noexcept;
/// The digits a CVC of this brand has: 4 for American Express, else 3.
[[nodiscard]] int cvc_digits(CardBrand brand) noexcept;

/// The field of a payment request that a FieldError names, in the order the checks run and errors are listed.
enum class PaymentField : std::uint8_t {
  amount,
  currency,
  customer_id,
  email,
  card_number,
  expiry_month,
  expiry_year,
  cvc,
  iban,
};
inline constexpr std::size_t k_payment_field_count = 9;

/// "amount", "currency", "customer_id", "email", "card_number", "expiry_month", "expiry_year", "cvc", "iban".
[[nodiscard]] std::string_view to_string(PaymentField field) noexcept;

/// What is wrong with one field. Each field reports at most one code: the first of its checks, in the
/// order docs/payments.md gives, that fails.
enum class ValidationCode : std::uint8_t {
  missing,                ///< required with another field that was given (an expiry with a card number)
  too_long,               ///< longer than the field's documented limit; checked before anything else
  empty,                  ///< given, but empty
  invalid_format,         ///< not of the field's syntax: not a decimal, not digits, not an email address
  not_positive,           ///< an amount of zero or less
  too_many_places,        ///< an amount with more places than its currency has
  too_large,              ///< an amount above the policy's maximum, or beyond the range of a Money
  unknown_currency,       ///< a code that is neither ISO 4217 nor a registered unit
  currency_not_accepted,  ///< a known currency that the policy does not list
  control_character,      ///< a customer id holding a control character
  invalid_length,         ///< digits or characters not of a length the field (or the card's brand, or the
                          ///< IBAN's country) has
  checksum,               ///< a card number that fails the Luhn check; an IBAN that fails mod-97
  unknown_brand,          ///< a card number of no brand this library knows
  brand_not_accepted,     ///< a card of a brand the policy does not list
  out_of_range,           ///< a month outside 1 to 12; a year more than k_max_expiry_years_ahead ahead
  expired,                ///< an expiry month that has ended, by the clock given
  unknown_country,        ///< an IBAN whose first two letters are no country of the IBAN registry
  conflict,               ///< both a card and an IBAN: a payment is made one way
};

/// The name of a code, as Python's ValidationCode values spell it: "invalid_length", "checksum".
[[nodiscard]] std::string_view to_string(ValidationCode code) noexcept;

// ------------------------------------------------------------------------------------------ errors

/// One broken field: which, why (a code), and a message for people that starts with the field's name
/// ("card_number: fails the Luhn check"). The message never holds a card number, a CVC, an IBAN or any
/// part of them beyond a brand and a digit count. A value: no allocation, copyable.
class FieldError {
 public:
  /// The longest message kept, in bytes; a longer one is cut (every message the library writes is shorter).
  static constexpr std::size_t k_max_message_bytes = 119;

  constexpr FieldError() noexcept = default;
  /// `message` is copied (and cut at k_max_message_bytes).
  FieldError(PaymentField field, ValidationCode code, std::string_view message) noexcept;

  [[nodiscard]] PaymentField field() const noexcept { return field_; }
  [[nodiscard]] std::string_view field_name() const noexcept { return to_string(field_); }
  [[nodiscard]] ValidationCode code() const noexcept { return code_; }
  [[nodiscard]] std::string_view message() const noexcept {
    return {reinterpret_cast<const char*>(text_.data()), size_};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  }

  friend bool operator==(const FieldError& a, const FieldError& b) noexcept {
    return a.field_ == b.field_ && a.code_ == b.code_ && a.message() == b.message();
  }

 private:
  PaymentField field_{};
  ValidationCode code_{};
  std::uint8_t size_ = 0;
  // Only the first size_ bytes are ever read; the rest is left unset, so that an empty report (nine of
  // these) costs no clearing. Unsigned char, whose unset bytes may be copied.
  std::array<unsigned char, k_max_message_bytes> text_;
};

/// The errors of one report, at most one per field, in PaymentField order: a fixed-capacity list.
class FieldErrors {
 public:
  static constexpr std::size_t k_capacity = k_payment_field_count;

  /// Empty. User-provided, so that FieldErrors{} does not clear the unused items first (a report is made
  /// on every call).
  FieldErrors() noexcept {}  // NOLINT(modernize-use-equals-default)

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] const FieldError* begin() const noexcept { return items_.data(); }
  [[nodiscard]] const FieldError* end() const noexcept { return items_.data() + size_; }
  /// The i-th error; i < size().
  [[nodiscard]] const FieldError& operator[](std::size_t i) const noexcept { return items_[i]; }
  /// The error of `field`, or nullptr when the field passed.
  [[nodiscard]] const FieldError* find(PaymentField field) const noexcept;

  /// Appends an error. A second error for a field already listed, or one for a field that comes before the
  /// last listed one, is a bug in the caller: InvariantViolation, and the list is unchanged.
  void add(const FieldError& error);

 private:
  std::array<FieldError, k_capacity> items_;
  std::size_t size_ = 0;
};

// ------------------------------------------------------------------------------------------ cards

/// A set of card brands, as a bit mask.
class CardBrands {
 public:
  constexpr CardBrands() noexcept = default;
  [[nodiscard]] static constexpr CardBrands all() noexcept { return CardBrands((1U << k_card_brand_count) - 1); }
  [[nodiscard]] constexpr bool contains(CardBrand brand) const noexcept { return (bits_ & bit(brand)) != 0; }
  constexpr void insert(CardBrand brand) noexcept { bits_ |= bit(brand); }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr bool operator==(CardBrands, CardBrands) noexcept = default;

 private:
  constexpr explicit CardBrands(unsigned bits) noexcept : bits_(bits) {}
  static constexpr unsigned bit(CardBrand brand) noexcept { return 1U << static_cast<unsigned>(brand); }
  unsigned bits_ = 0;
};

struct CardNumberCheck;

/// Checks a card number as typed: at most k_max_card_number_bytes of text; spaces and dashes anywhere are
/// removed; then 12 to 19 digits; the Luhn check; a known brand; a length that brand has; a brand in
/// `accepted`. Allocates nothing; never throws.
[[nodiscard]] CardNumberCheck check_card_number(std::string_view text,
                                                CardBrands accepted = CardBrands::all()) noexcept;

/// A card number that passed every check, as its digits. It holds the full number (the PAN): hand it to a
/// gateway or an HMAC and let it go; never log, print or store it. There is no formatter for it.
class CardNumber {
 public:
  static constexpr std::size_t k_min_digits = 12;
  static constexpr std::size_t k_max_digits = 19;

  /// The full number, digits only.
  [[nodiscard]] std::string_view digits() const noexcept { return {digits_.data(), size_}; }
  [[nodiscard]] std::string_view last_four() const noexcept { return digits().substr(size_ - 4); }
  [[nodiscard]] CardBrand brand() const noexcept { return brand_; }

 private:
  friend CardNumberCheck check_card_number(std::string_view text, CardBrands accepted) noexcept;
  CardNumber() noexcept = default;

  std::array<char, k_max_digits> digits_{};
  std::uint8_t size_ = 0;
  CardBrand brand_{};
};

/// What check_card_number() found.
struct CardNumberCheck {
  /// The first check that failed (too_long, empty, invalid_format, invalid_length, checksum, unknown_brand,
  /// invalid_length for the brand, brand_not_accepted, in that order), or nullopt when the number passed.
  std::optional<ValidationCode> problem{};
  /// The digits counted after spaces and dashes were removed (0 when the text was too long or malformed).
  std::size_t digit_count = 0;
  /// The brand of the leading digits, once the number had 12 to 19 digits that pass Luhn.
  std::optional<CardBrand> brand{};
  /// The number, only when it passed.
  std::optional<CardNumber> number{};
};

/// Whether check_card_number(text) finds no problem: a number of a known brand, of a length that brand has,
/// that passes Luhn. `is_valid_card_number("4242 4242 4242 4242")` is true.
[[nodiscard]] bool is_valid_card_number(std::string_view text) noexcept;

/// The brand of the leading digits of `text` (spaces and dashes removed), whatever its length and check
/// digit, so that a form can show the brand as digits are typed: card_brand("4") is visa, card_brand("2221")
/// mastercard. nullopt for text that is not digits, spaces and dashes within k_max_card_number_bytes, or
/// whose leading digits are in no known range.
[[nodiscard]] std::optional<CardBrand> card_brand(std::string_view text) noexcept;

/// Whether `digits` (ASCII digits only, at least one) pass the Luhn check (ISO/IEC 7812-1, annex B).
[[nodiscard]] bool passes_luhn(std::string_view digits) noexcept;

/// What a report keeps of a card: its brand, its last four digits and its expiry. Nothing else of the
/// number, and never the CVC.
class CardDetails {
 public:
  CardDetails(CardBrand brand, std::string_view last_four, int expiry_month, int expiry_year) noexcept;

  [[nodiscard]] CardBrand brand() const noexcept { return brand_; }
  [[nodiscard]] std::string_view last_four() const noexcept { return {last_four_.data(), last_four_.size()}; }
  /// 1 to 12.
  [[nodiscard]] int expiry_month() const noexcept { return expiry_month_; }
  /// Four digits: 2030.
  [[nodiscard]] int expiry_year() const noexcept { return expiry_year_; }

  friend bool operator==(const CardDetails&, const CardDetails&) noexcept = default;

 private:
  CardBrand brand_;
  std::array<char, 4> last_four_{};
  int expiry_month_;
  int expiry_year_;
};

// ------------------------------------------------------------------------------------------ IBAN

/// The length of an IBAN of the country with ISO 3166 code `country` ("DE": 22) in the SWIFT IBAN
/// registry (docs/payments.md gives the release), or nullopt for a country that is not in it.
[[nodiscard]] std::optional<std::size_t> iban_length(std::string_view country) noexcept;

/// The first check of `text` as an IBAN that fails (too_long, empty, invalid_format, unknown_country,
/// invalid_length, checksum, in that order), or nullopt when it passes. Spaces anywhere are ignored and
/// letters may be of either case; then two letters of a registry country, two check digits (02 to 98),
/// the registry's length for that country, and ISO 7064 mod 97-10 giving 1. The BBAN's inner layout
/// (which positions are digits) is not checked. Allocates nothing; never throws.
[[nodiscard]] std::optional<ValidationCode> iban_problem(std::string_view text) noexcept;

/// Whether iban_problem(text) finds nothing: is_valid_iban("GB82 WEST 1234 5698 7654 32") is true.
[[nodiscard]] inline bool is_valid_iban(std::string_view text) noexcept { return !iban_problem(text).has_value(); }

// ------------------------------------------------------------------------------------------ requests

/// What the host accepts. Made once, then shared: immutable and safe to share between threads.
class PaymentPolicy {
 public:
  static constexpr std::size_t k_max_currencies = 256;

  /// Any amount a Money holds in any known currency, and every brand.
  PaymentPolicy() = default;

  /// `max_amount`: the largest amount accepted, in the request's own currency (nullopt: Money's range);
  /// more than zero. `currencies`: 1 to k_max_currencies currencies, each once (nullopt: every known one).
  /// `brands`: 1 to k_card_brand_count brands, each once (nullopt: every brand). Throws InvalidArgument
  /// naming "max_amount", "currencies" or "brands" otherwise.
  PaymentPolicy(std::optional<Decimal> max_amount, std::optional<std::vector<Currency>> currencies,
                std::optional<std::vector<CardBrand>> brands);

  [[nodiscard]] const std::optional<Decimal>& max_amount() const noexcept { return max_amount_; }
  [[nodiscard]] const std::optional<std::vector<Currency>>& currencies() const noexcept { return currencies_; }
  [[nodiscard]] const std::optional<std::vector<CardBrand>>& brands() const noexcept { return brands_; }
  [[nodiscard]] bool accepts(Currency currency) const noexcept;
  [[nodiscard]] CardBrands accepted_brands() const noexcept { return accepted_brands_; }

 private:
  std::optional<Decimal> max_amount_{};
  std::optional<std::vector<Currency>> currencies_{};
  std::optional<std::vector<CardBrand>> brands_{};
  CardBrands accepted_brands_ = CardBrands::all();
};

/// A payment request's fields as text, borrowed for the length of the call. nullopt is a field not given;
/// an empty view is a field given empty (ValidationCode::empty).
struct PaymentInput {
  std::string_view amount;       ///< a decimal number, as Decimal::parse reads it: "19.99", "5", "1E+3"
  std::string_view currency;     ///< a currency code: "USD"
  std::string_view customer_id;  ///< 1 to 128 characters of UTF-8, no control characters
  std::optional<std::string_view> email{};
  std::optional<std::string_view> card_number{};   ///< sensitive
  std::optional<std::string_view> expiry_month{};  ///< "1" to "12" (or "01")
  std::optional<std::string_view> expiry_year{};   ///< "2030", or "30" for 2030
  std::optional<std::string_view> cvc{};           ///< sensitive
  std::optional<std::string_view> iban{};          ///< sensitive
};

/// What validate_payment() found. ok() when no field is broken.
struct [[nodiscard]] PaymentReport {
  FieldErrors errors{};
  /// The card's brand, last four and expiry, when the card number and both expiry fields passed (whatever
  /// the other fields); else nullopt.
  std::optional<CardDetails> card{};
  /// The amount as Money in the currency, when both passed; else nullopt.
  std::optional<Money> amount{};

  [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

/// Checks every field of `input` against `policy`, each on its own, and reports every broken one at once
/// (docs/payments.md lists the checks of each field in order). Expiry is judged by `clock`, in UTC: a card
/// is valid through the last instant of its expiry month. A card number requires both expiry fields and a
/// CVC; an expiry or a CVC requires a card number; a card and an IBAN together conflict. Allocates nothing
/// when every field is valid. Throws only for a failure of `clock`; bad input is a report, never an exception.
[[nodiscard]] PaymentReport validate_payment(const PaymentInput& input, const PaymentPolicy& policy,
                                             const Clock& clock);

}  // namespace billing
