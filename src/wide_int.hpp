// The integers behind Decimal and Money: native 128-bit helpers for the fast paths, and Boost.Multiprecision's
// checked integers for values that need more than 128 bits on the way (products, aligned dividends).
// Internal, so that no public header pulls in Boost (cpp_int alone is over 100,000 preprocessed lines).
// Pure functions and constant tables: safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/multiprecision/cpp_int.hpp>

#include "billing/decimal.hpp"
#include "billing/error.hpp"
#include "billing/rounding.hpp"

namespace billing::detail {

using Int256 = boost::multiprecision::checked_int256_t;
using Int512 = boost::multiprecision::checked_int512_t;

using Magnitude = Decimal::Coefficient::Magnitude;
__extension__ using native_int128 = __int128;

// ------------------------------------------------------------------------------------------ native

/// 10^n for 0 <= n <= 38, the powers of ten below 2^128.
inline constexpr std::array<Magnitude, 39> k_pow10 = [] {
  std::array<Magnitude, 39> powers{};
  powers[0] = 1;
  for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
  return powers;
}();

/// `magnitude` * 10^n into `out`, or false when it passes 2^128 - 1 (out is then unspecified).
[[nodiscard]] inline bool scale_up(Magnitude magnitude, int n, Magnitude& out) noexcept {
  if (n > 38) {
    out = 0;
    return magnitude == 0;
  }
  return !__builtin_mul_overflow(magnitude, k_pow10[static_cast<std::size_t>(n)], &out);
}

/// The quotient and remainder of two magnitudes, on 64 bits when both fit (a 128-bit division is a call
/// into libgcc that costs several times more).
struct MagnitudeDivision {
  Magnitude quotient;
  Magnitude remainder;
};
[[nodiscard]] inline MagnitudeDivision divide_magnitudes(Magnitude num, Magnitude den) noexcept {
  if ((num >> 64) == 0 && (den >> 64) == 0) {
    const auto n = static_cast<std::uint64_t>(num);
    const auto d = static_cast<std::uint64_t>(den);
    return {n / d, n % d};
  }
  return {num / den, num % den};
}

/// num / den, both magnitudes of a value whose sign is `negative`, rounded by `mode`: the magnitude of the
/// rounded quotient. Requires den != 0. Never overflows.
[[nodiscard]] inline Magnitude divide_rounded_magnitude(Magnitude num, Magnitude den, bool negative,
                                                        RoundingMode mode) noexcept {
  const auto [quotient, remainder] = divide_magnitudes(num, den);
  if (remainder == 0) return quotient;
  const Magnitude rest = den - remainder;  // compare r with den - r: no 2r overflow
  const int vs_half = remainder < rest ? -1 : (remainder == rest ? 0 : 1);
  // quotient <= num / 2 here (den >= 2 when the remainder is not zero), so adding one cannot overflow.
  return quotient + (round_away(mode, negative, true, vs_half, (quotient & 1) != 0) ? 1 : 0);
}

/// The coefficient as int64 when its magnitude is at most 2^63 - 1, for native fast paths; otherwise nullopt.
[[nodiscard]] inline std::optional<std::int64_t> to_native_int64(const Decimal::Coefficient& value) noexcept {
  if (value.magnitude() > static_cast<Magnitude>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  const auto magnitude = static_cast<std::int64_t>(value.magnitude());
  return value.is_negative() ? -magnitude : magnitude;
}

/// divide_rounded on signed native integers (int64_t or native_int128): the same rule, without the cost of
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

// ------------------------------------------------------------------------------------------ multiprecision

/// 10^n as a 512-bit integer, 0 <= n <= 150.
[[nodiscard]] const Int512& pow10_512(int n);

/// A coefficient as a wide signed integer (exact: every Int here holds +-(2^128 - 1)).
template <class Int>
[[nodiscard]] Int to_wide(const Decimal::Coefficient& value) {
  const Magnitude magnitude = value.magnitude();
  Int out = static_cast<std::uint64_t>(magnitude >> 64);
  out <<= 64;
  out |= static_cast<std::uint64_t>(magnitude);
  return value.is_negative() ? Int(-out) : out;
}

/// `value` as a coefficient, or Overflow naming `what` beyond +-(2^128 - 1).
template <class Int>
[[nodiscard]] Decimal::Coefficient to_coefficient(const Int& value, std::string_view what) {
  Int magnitude = boost::multiprecision::abs(value);
  if (boost::multiprecision::msb(magnitude | Int(1)) >= 128) {
    throw Overflow(std::string(what), "result is beyond the range of a Decimal (2^128 - 1 as coefficient)");
  }
  const auto low = static_cast<std::uint64_t>(magnitude & Int(std::numeric_limits<std::uint64_t>::max()));
  const auto high = static_cast<std::uint64_t>(magnitude >> 64);
  return Decimal::Coefficient::from_magnitude((Magnitude(high) << 64) | low, value.sign() < 0);
}

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

}  // namespace billing::detail
