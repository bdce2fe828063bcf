// Money: an exact amount in one currency, held as a whole number of the currency's minor units.
//
// 12.34 USD is 1234 minor units of USD. Sums and comparisons across currencies are errors, never
// conversions; overflow is an error, never a wrap; places are dropped only by an explicit RoundingMode.
// Values are immutable and safe to share between threads.
//
//   Money price = Money::parse("19.99 USD");
//   Money total = price.multiply(3) + Money::parse("5.00 USD");         // 64.97 USD
//   Money vat = total.multiply(Decimal::parse("0.2"));                   // 12.99 USD (half-even)
//   std::vector<Money> shares = total.split(3);                          // 21.66 + 21.66 + 21.65
//
// The largest amount is +-(2^63 - 1) minor units: 92,233,720,368,547,758.07 in a 2-place currency,
// 922,337,203,685,477.5807 in a 4-place one. The range is symmetric, so negation and abs() never overflow.
//
// fmt::format("{}", value) needs billing/format.hpp: this header includes no third-party header.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/error.hpp"
#include "billing/rounding.hpp"

namespace billing {

class Money {
 public:
  static constexpr std::int64_t k_max_minor = std::numeric_limits<std::int64_t>::max();
  static constexpr std::int64_t k_min_minor = -k_max_minor;
  /// The most shares allocate() and split() make in one call; more is refused before any work starts.
  static constexpr std::size_t k_max_parts = 10'000;

  /// `amount` in `currency`. Throws InvalidAmount (field "amount") when the amount has more places than the
  /// currency (12.345 USD), and Overflow when it is beyond the range above. Trailing zeros are fine (12.340 USD).
  Money(const Decimal& amount, Currency currency);

  /// `amount` in `currency`, rounded to the currency's places by `mode`. Throws Overflow beyond the range.
  Money(const Decimal& amount, Currency currency, RoundingMode mode);

  /// `minor` minor units of `currency`. Throws Overflow for std::numeric_limits<int64_t>::min().
  [[nodiscard]] static Money from_minor(std::int64_t minor, Currency currency);

  [[nodiscard]] static Money zero(Currency currency) noexcept { return Money(0, currency, Unchecked{}); }

  /// Parses "12.34 USD": an amount (as Decimal::parse reads it), one space, a currency code. Throws
  /// InvalidAmount (field "money") when the text is not of that shape, then as the constructor does.
  [[nodiscard]] static Money parse(std::string_view text);

  [[nodiscard]] std::int64_t minor() const noexcept { return minor_; }
  [[nodiscard]] Currency currency() const noexcept { return currency_; }
  /// The amount as a Decimal with exactly the currency's places: 12.30 for 1230 minor units of USD.
  [[nodiscard]] Decimal amount() const { return Decimal::from_coefficient(minor_, currency_.minor_units()); }
  [[nodiscard]] bool is_zero() const noexcept { return minor_ == 0; }
  [[nodiscard]] int sign() const noexcept { return (minor_ > 0) - (minor_ < 0); }

  /// Sums and differences within one currency. Throw CurrencyMismatch for two currencies and Overflow
  /// beyond the range; neither operand changes.
  friend Money operator+(const Money& a, const Money& b) {
    a.require_same_currency(b);
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a.minor_, b.minor_, &sum) || sum == std::numeric_limits<std::int64_t>::min())
        [[unlikely]] {
      throw_overflow("+");
    }
    return Money(sum, a.currency_, Unchecked{});
  }
  friend Money operator-(const Money& a, const Money& b) {
    a.require_same_currency(b);
    std::int64_t difference = 0;
    if (__builtin_sub_overflow(a.minor_, b.minor_, &difference) ||
        difference == std::numeric_limits<std::int64_t>::min()) [[unlikely]] {
      throw_overflow("-");
    }
    return Money(difference, a.currency_, Unchecked{});
  }
  Money& operator+=(const Money& other) { return *this = *this + other; }
  Money& operator-=(const Money& other) { return *this = *this - other; }
  friend Money operator-(const Money& value) noexcept { return Money(-value.minor_, value.currency_, Unchecked{}); }
  friend Money abs(const Money& value) noexcept {
    return Money(value.minor_ < 0 ? -value.minor_ : value.minor_, value.currency_, Unchecked{});
  }

  /// Equal when both currency and amount are; two currencies are simply unequal.
  friend bool operator==(const Money& a, const Money& b) noexcept {
    return a.currency_ == b.currency_ && a.minor_ == b.minor_;
  }
  /// Orders amounts of one currency. Throws CurrencyMismatch for two currencies.
  friend std::strong_ordering operator<=>(const Money& a, const Money& b) {
    a.require_same_currency(b);
    return a.minor_ <=> b.minor_;
  }

  /// This amount times `factor`, rounded to the currency's places by `mode`. Throws Overflow beyond the range.
  [[nodiscard]] Money multiply(const Decimal& factor, RoundingMode mode = RoundingMode::half_even) const;
  /// This amount times a whole number: exact. Throws Overflow beyond the range.
  [[nodiscard]] Money multiply(std::int64_t factor) const;

  /// Splits this amount in proportion to `ratios` without losing or creating a minor unit: each share is
  /// rounded toward zero, and the minor units left over go one each to the shares with the largest
  /// remainders (the earlier share on a tie). The shares sum exactly to this amount and carry its sign.
  /// Throws InvalidArgument (field "ratios") for an empty list, more than k_max_parts ratios, a negative
  /// ratio or an all-zero list.
  [[nodiscard]] std::vector<Money> allocate(std::span<const std::uint64_t> ratios) const;
  [[nodiscard]] std::vector<Money> allocate(std::span<const Decimal> ratios) const;

  /// allocate() with `parts` equal ratios: 1.00 split 3 ways is 0.34, 0.33, 0.33.
  /// Throws InvalidArgument (field "parts") unless 1 <= parts <= k_max_parts.
  [[nodiscard]] std::vector<Money> split(std::size_t parts) const;

  /// "12.34 USD", "-5 JPY", "0.125 BHD": the amount with the currency's places, a space, the code.
  [[nodiscard]] std::string to_string() const;

 private:
  struct Unchecked {};
  Money(std::int64_t minor, Currency currency, Unchecked) noexcept : minor_(minor), currency_(currency) {}

  void require_same_currency(const Money& other) const {
    if (currency_ != other.currency_) [[unlikely]]
      throw_mismatch(currency_, other.currency_);
  }
  [[noreturn]] static void throw_mismatch(Currency a, Currency b);
  [[noreturn]] static void throw_overflow(std::string_view operation);
  /// Throws InvalidArgument naming `field` when `count` shares are more than k_max_parts.
  static void check_parts(std::size_t count, std::string_view field);

  std::int64_t minor_;
  Currency currency_;
};

}  // namespace billing

template <>
struct std::hash<billing::Money> {
  std::size_t operator()(const billing::Money& money) const noexcept {
    return std::hash<std::int64_t>{}(money.minor()) ^ (std::hash<billing::Currency>{}(money.currency()) << 1);
  }
};
