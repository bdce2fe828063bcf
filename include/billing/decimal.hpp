// Decimal: an exact base-10 number for rates, unit prices and quantities.
//
// A Decimal is a signed 128-bit coefficient and a scale (places after the point): 12.340 is (12340, 3).
// It keeps the scale it was given, so "12.340" prints back as "12.340", while 12.34 == 12.340.
// Addition, subtraction and multiplication are exact or throw; nothing drops places unless the caller
// names a RoundingMode. There is no conversion from float or double. Values are immutable and safe to
// share between threads.
//
//   Decimal price = Decimal::parse("0.00025");          // 0.00025, scale 5
//   Decimal cost = price * 1200;                         // 0.30000, exact
//   Decimal each = divide(Decimal(10), Decimal(3), 4, RoundingMode::half_even);  // 3.3333
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <boost/multiprecision/cpp_int.hpp>

#include "billing/error.hpp"
#include "billing/rounding.hpp"

namespace billing {

namespace detail {
using Int128 = boost::multiprecision::checked_int128_t;  // range +-(2^128 - 1); throws on overflow
using Int256 = boost::multiprecision::checked_int256_t;
using Int512 = boost::multiprecision::checked_int512_t;
}  // namespace detail

class Decimal {
 public:
  using Coefficient = detail::Int128;

  /// The most places a Decimal holds. Any value with up to 38 significant digits fits, so every value with
  /// 18 integer digits and 12 places does, with room to spare.
  static constexpr int k_max_scale = 30;
  /// The largest coefficient magnitude, 2^128 - 1 (about 3.4e38). Beyond it arithmetic throws Overflow.
  static const Coefficient& max_coefficient() noexcept;

  /// Zero, scale 0.
  Decimal() noexcept = default;

  /// An integer, scale 0. Implicit so that `price * 3` reads naturally.
  template <std::integral I>
  requires(!std::same_as<I, bool>) Decimal(I value)
  noexcept : coefficient_(value) {}  // NOLINT(google-explicit-constructor)

  /// Binary floating point cannot hold 0.1 exactly; parse a string instead.
  template <std::floating_point F>
  Decimal(F) = delete;

  /// The value coefficient * 10^-scale. Throws InvalidArgument (field "scale") unless 0 <= scale <= k_max_scale.
  [[nodiscard]] static Decimal from_coefficient(Coefficient coefficient, int scale);

  /// The longest text parse() reads; longer text is refused before it is read.
  static constexpr std::size_t k_max_text_bytes = 160;

  /// Parses "12.34", "-0.5", "+7", ".5", "1E-7" or "2.5e3": an optional sign, digits with at most one point
  /// that has a digit after it ("5." is refused), then an optional exponent of 1 to 4 digits. The scale is
  /// the number of places written, less the exponent (never below 0). Throws InvalidAmount naming `field`
  /// when the text is not such a number or is longer than k_max_text_bytes, and Overflow when it needs more
  /// than k_max_scale places or a larger coefficient.
  [[nodiscard]] static Decimal parse(std::string_view text, std::string_view field = "decimal");

  [[nodiscard]] const Coefficient& coefficient() const noexcept { return coefficient_; }
  [[nodiscard]] int scale() const noexcept { return scale_; }
  /// -1, 0 or +1.
  [[nodiscard]] int sign() const noexcept { return coefficient_.sign(); }
  [[nodiscard]] bool is_zero() const noexcept { return coefficient_.is_zero(); }

  /// This value with exactly `places` places. Adding places is exact; removing them rounds by `mode`.
  /// Throws InvalidArgument for places outside [0, k_max_scale], Overflow if the result does not fit.
  [[nodiscard]] Decimal round(int places, RoundingMode mode) const;

  /// The same value with trailing zeros after the point removed: 12.3400 -> 12.34, 100 -> 100, 0.00 -> 0.
  [[nodiscard]] Decimal normalized() const;

  /// Plain notation with the value's own scale, never an exponent: "12.340", "-0.05", "100".
  [[nodiscard]] std::string to_string() const;

  /// A hash equal for equal values (12.34 and 12.340 hash alike).
  [[nodiscard]] std::size_t hash() const noexcept;

  /// Exact arithmetic. The result's scale is the larger scale (sums) or the sum of scales (products, after
  /// trailing zeros beyond k_max_scale are dropped). Throws Overflow when the exact result does not fit.
  friend Decimal operator+(const Decimal& a, const Decimal& b);
  friend Decimal operator-(const Decimal& a, const Decimal& b);
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
  Decimal& operator-=(const Decimal& other) { return *this = *this - other; }
  Decimal& operator*=(const Decimal& other) { return *this = *this * other; }
  friend Decimal operator-(const Decimal& value);
  friend Decimal abs(const Decimal& value);

  /// Compares values, whatever their scales.
  friend bool operator==(const Decimal& a, const Decimal& b) noexcept;
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept;

 private:
  Decimal(Coefficient coefficient, int scale) noexcept : coefficient_(std::move(coefficient)), scale_(scale) {}

  Coefficient coefficient_{};
  int scale_ = 0;
};

/// dividend / divisor with exactly `places` places, rounded by `mode`. Throws DivisionByZero (field
/// "divisor") for a zero divisor, InvalidArgument for places outside [0, Decimal::k_max_scale], Overflow
/// when the quotient does not fit.
[[nodiscard]] Decimal divide(const Decimal& dividend, const Decimal& divisor, int places, RoundingMode mode);

/// a * b with exactly `places` places, rounded by `mode`: the product is formed exactly first, so it is
/// rounded once. For products whose exact form needs more than k_max_scale places.
[[nodiscard]] Decimal multiply(const Decimal& a, const Decimal& b, int places, RoundingMode mode);

namespace detail {

/// 10^n as a 512-bit integer, 0 <= n <= 150.
[[nodiscard]] const Int512& pow10_512(int n);
/// 10^n as a 128-bit integer, 0 <= n <= 38.
[[nodiscard]] const Int128& pow10_128(int n);

/// num / den rounded by `mode`. Requires den != 0. Never overflows for any representable num and den.
template <class Int>
[[nodiscard]] Int divide_rounded(const Int& num, const Int& den, RoundingMode mode) {
  Int quotient = num / den;  // truncates toward zero
  Int remainder = num % den;
  if (remainder.is_zero()) return quotient;
  const bool negative = (num.sign() < 0) != (den.sign() < 0);
  const Int rem_abs = boost::multiprecision::abs(remainder);
  const Int rest = boost::multiprecision::abs(den) - rem_abs;  // compare r with den - r: no 2r overflow
  const int vs_half = rem_abs < rest ? -1 : (rem_abs == rest ? 0 : 1);
  const bool odd = boost::multiprecision::bit_test(boost::multiprecision::abs(quotient), 0);
  if (round_away(mode, negative, true, vs_half, odd)) quotient += negative ? -1 : 1;
  return quotient;
}

__extension__ using native_int128 = __int128;

/// 10^n as a native 128-bit integer, 0 <= n <= 38.
[[nodiscard]] native_int128 native_pow10(int n) noexcept;

/// The coefficient as int64 when it fits, for native fast paths; otherwise nullopt.
[[nodiscard]] std::optional<std::int64_t> to_native_int64(const Int128& value) noexcept;

/// divide_rounded on native integers (int64_t or native_int128): the same rule, without the cost of
/// the multiprecision types. Requires den != 0 and no operand equal to the type's minimum.
template <class Native>
[[nodiscard]] Native divide_rounded_native(Native num, Native den, RoundingMode mode) noexcept {
  Native quotient = num / den;
  const Native remainder = num % den;
  if (remainder == 0) return quotient;
  const bool negative = (num < 0) != (den < 0);
  const Native rem_abs = remainder < 0 ? -remainder : remainder;
  const Native rest = (den < 0 ? -den : den) - rem_abs;
  const int vs_half = rem_abs < rest ? -1 : (rem_abs == rest ? 0 : 1);
  if (round_away(mode, negative, true, vs_half, (quotient & 1) != 0)) quotient += negative ? -1 : 1;
  return quotient;
}

/// `value` converted to a narrower integer type, or Overflow naming `what` when it does not fit.
template <class To, class From>
[[nodiscard]] To narrow(const From& value, std::string_view what) {
  if (value > From(std::numeric_limits<To>::max()) || value < From(std::numeric_limits<To>::min())) {
    throw Overflow(std::string(what), "result is beyond the range of its type");
  }
  return static_cast<To>(value);
}

}  // namespace detail
}  // namespace billing

template <>
struct std::hash<billing::Decimal> {
  std::size_t operator()(const billing::Decimal& value) const noexcept { return value.hash(); }
};

template <>
struct fmt::formatter<billing::Decimal> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const billing::Decimal& value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(value.to_string(), ctx);
  }
};
