#include "billing/decimal.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "wide_int.hpp"

namespace billing {

namespace detail {

const Int512& pow10_512(int n) {
  static const auto table = [] {
    std::array<Int512, 151> powers;
    powers[0] = 1;
    for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
  }();
  BILLING_ASSERT(n >= 0 && n <= 150);
  return table[static_cast<std::size_t>(n)];
}

}  // namespace detail

namespace {

using detail::Int256;
using detail::Int512;
using detail::Magnitude;
using Coefficient = Decimal::Coefficient;

// Every path that passes 2^128 - 1 says the same.
[[noreturn]] void throw_beyond_range(std::string_view what) {
  throw Overflow(std::string(what), "result is beyond the range of a Decimal (2^128 - 1 as coefficient)");
}

// Boost's checked integers throw std::overflow_error; the library's callers see billing::Overflow.
template <class F>
auto overflow_guard(std::string_view what, F&& compute) {
  try {
    return compute();
  } catch (const std::overflow_error&) {
    throw_beyond_range(what);
  } catch (const std::range_error&) {
    throw_beyond_range(what);
  }
}

void check_places(int places, std::string_view field) {
  if (places < 0 || places > Decimal::k_max_scale) {
    throw InvalidArgument(std::string(field), fmt::format("{} places is outside 0..{}", places, Decimal::k_max_scale));
  }
}

[[noreturn]] void throw_product_places(int scale) {
  throw Overflow("decimal", fmt::format("the exact product needs {} places, more than the {} a Decimal holds; "
                                        "use multiply(a, b, places, mode)",
                                        scale, Decimal::k_max_scale));
}

// Drops trailing zeros while the scale is above `target`.
void strip_zeros_above(Magnitude& magnitude, int& scale, int target) noexcept {
  while (scale > target && magnitude != 0) {
    const auto [quotient, remainder] = detail::divide_magnitudes(magnitude, 10);
    if (remainder != 0) break;
    magnitude = quotient;
    --scale;
  }
}

template <class Int>
void strip_zeros_above(Int& coefficient, int& scale, int target) {
  while (scale > target && !coefficient.is_zero() && (coefficient % 10).is_zero()) {
    coefficient /= 10;
    --scale;
  }
}

std::strong_ordering order(Magnitude a, Magnitude b) noexcept {
  return a < b ? std::strong_ordering::less : (a == b ? std::strong_ordering::equal : std::strong_ordering::greater);
}

// a + b for two coefficients at one scale, given as magnitudes and signs. Overflow past 2^128 - 1.
Coefficient add_aligned(Magnitude a, bool a_negative, Magnitude b, bool b_negative) {
  if (a_negative == b_negative) {
    Magnitude sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) [[unlikely]] {
      throw_beyond_range("decimal");
    }
    return Coefficient::from_magnitude(sum, a_negative);
  }
  return a >= b ? Coefficient::from_magnitude(a - b, a_negative) : Coefficient::from_magnitude(b - a, b_negative);
}

// The coefficient of `value` at `scale` (>= its own), as a 256-bit integer: 2^128 * 10^30 < 2^256.
Int256 aligned_wide(const Decimal& value, int scale) {
  const auto power = Coefficient::from_magnitude(detail::k_pow10[static_cast<std::size_t>(scale - value.scale())]);
  return detail::to_wide<Int256>(value.coefficient()) * detail::to_wide<Int256>(power);
}

// a + b at `scale` when one side passes 2^128 once aligned: the sum still fits when the other side takes
// most of it back. Out of line, so that the native paths of operator+ stay small.
[[gnu::noinline]] Coefficient wide_sum(const Decimal& a, const Decimal& b, int scale) {
  return detail::to_coefficient(aligned_wide(a, scale) + aligned_wide(b, scale), "decimal");
}

// a * b past 2^128 (below 2^256): it fits a Decimal only when it has trailing zeros to drop beyond 30 places.
[[gnu::noinline]] Coefficient wide_product(const Decimal& a, const Decimal& b, int& scale) {
  Int256 wide = detail::to_wide<Int256>(a.coefficient()) * detail::to_wide<Int256>(b.coefficient());
  strip_zeros_above(wide, scale, Decimal::k_max_scale);
  if (scale > Decimal::k_max_scale) throw_product_places(scale);
  return detail::to_coefficient(wide, "decimal");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The decimal digits of `magnitude`, written backwards so that they end at `end`; returns where they
// start. A zero is "0". Needs room for 39 digits.
char* write_digits(Magnitude magnitude, char* end) noexcept {
  constexpr std::uint64_t k_chunk = 10'000'000'000'000'000'000ULL;  // 10^19: 19 digits per 128-bit division
  char* begin = end;
  while ((magnitude >> 64) != 0) {
    auto chunk = static_cast<std::uint64_t>(magnitude % k_chunk);
    magnitude /= k_chunk;  // at least 1 left, since it was at least 2^64 > 10^19
    for (int i = 0; i < 19; ++i, chunk /= 10) *--begin = static_cast<char>('0' + chunk % 10);
  }
  auto low = static_cast<std::uint64_t>(magnitude);
  do {
    *--begin = static_cast<char>('0' + low % 10);
    low /= 10;
  } while (low != 0);
  return begin;
}

// The scale a parsed value ends with, once trailing zeros beyond k_max_scale are gone: more is refused.
void check_parsed_scale(int scale, std::string_view text, std::string_view field) {
  if (scale > Decimal::k_max_scale) {
    throw InvalidAmount(std::string(field), fmt::format("'{}' has {} places, more than the {} a Decimal holds", text,
                                                        scale, Decimal::k_max_scale));
  }
}

// The digits of `digits` (a point among them is skipped) as a magnitude, or nullopt past 2^128 - 1.
std::optional<Magnitude> native_digits(std::string_view digits) noexcept {
  std::size_t i = 0;
  std::uint64_t small = 0;  // the first 18 digits or so, on 64 bits: 10^18 * 10 + 9 < 2^64
  for (; i < digits.size() && small < 1'000'000'000'000'000'000ULL; ++i) {
    if (digits[i] != '.') small = small * 10 + static_cast<std::uint64_t>(digits[i] - '0');
  }
  Magnitude magnitude = small;
  for (; i < digits.size(); ++i) {
    if (digits[i] == '.') continue;
    if (__builtin_mul_overflow(magnitude, Magnitude{10}, &magnitude) ||
        __builtin_add_overflow(magnitude, static_cast<Magnitude>(digits[i] - '0'), &magnitude)) {
      return std::nullopt;
    }
  }
  return magnitude;
}

// parse()'s value from its digits when the coefficient passes 128 bits on the way: a run of more than 38
// digits, or a large exponent. 121 digits times 10^60 passes even 512 bits: Overflow too.
Coefficient wide_parsed(std::string_view digits, bool negative, int& scale, std::string_view text,
                        std::string_view field) {
  Int512 coefficient = 0;
  for (char c : digits) {
    if (c != '.') coefficient = coefficient * 10 + (c - '0');
  }
  if (scale < 0) {
    coefficient = overflow_guard(field, [&] { return Int512(coefficient * detail::pow10_512(-scale)); });
    scale = 0;
  }
  strip_zeros_above(coefficient, scale, Decimal::k_max_scale);
  check_parsed_scale(scale, text, field);
  if (negative) coefficient = -coefficient;
  return detail::to_coefficient(coefficient, field);
}

}  // namespace

Decimal Decimal::from_coefficient(Coefficient coefficient, int scale) {
  check_places(scale, "scale");
  return {coefficient, scale};
}

Decimal Decimal::parse(std::string_view text, std::string_view field) {
  // Longer text cannot be a number a Decimal holds (120 digits, a sign, a point and an exponent fit), and
  // refusing it first bounds both the work and what a message may quote.
  if (text.size() > k_max_text_bytes) {
    throw InvalidAmount(std::string(field), fmt::format("is {} bytes, longer than any decimal number ({} at most)",
                                                        text.size(), k_max_text_bytes));
  }
  const auto invalid = [&](std::string_view why) {
    return InvalidAmount(std::string(field), fmt::format("'{}' is not a decimal number: {}", text, why));
  };
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';

  const std::size_t digits_begin = i;
  int digits = 0;
  int places = 0;
  bool seen_point = false;
  for (; i < text.size() && (is_digit(text[i]) || text[i] == '.'); ++i) {
    if (text[i] == '.') {
      if (seen_point) throw invalid("two decimal points");
      seen_point = true;
      continue;
    }
    if (digits > 120) throw Overflow(std::string(field), fmt::format("'{}' has too many digits", text));
    ++digits;
    if (seen_point) ++places;
  }
  const std::string_view digit_text = text.substr(digits_begin, i - digits_begin);
  if (digits == 0) throw invalid("no digits");
  // "5." reads as 5 in some parsers and as a truncated "5.99" to a person: a point needs a digit after it.
  if (seen_point && i > 0 && text[i - 1] == '.') throw invalid("no digit after the point");

  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exponent_negative = text[i++] == '-';
    int exponent_digits = 0;
    for (; i < text.size() && is_digit(text[i]); ++i, ++exponent_digits) {
      if (exponent_digits == 4) throw invalid("exponent is too large");
      exponent = exponent * 10 + (text[i] - '0');
    }
    if (exponent_digits == 0) throw invalid("exponent has no digits");
    if (exponent_negative) exponent = -exponent;
  }
  if (i != text.size()) throw invalid(fmt::format("unexpected '{}'", text[i]));

  int scale = places - exponent;
  if (scale < -60) throw Overflow(std::string(field), fmt::format("'{}' is too large", text));
  // Native while the coefficient fits 128 bits on the way, as every price and quantity does.
  if (std::optional<Magnitude> magnitude = native_digits(digit_text)) {
    if (scale >= 0 || detail::scale_up(*magnitude, -scale, *magnitude)) {
      scale = std::max(scale, 0);
      strip_zeros_above(*magnitude, scale, k_max_scale);
      check_parsed_scale(scale, text, field);
      return {Coefficient::from_magnitude(*magnitude, negative), scale};
    }
  }
  const Coefficient coefficient = wide_parsed(digit_text, negative, scale, text, field);
  return {coefficient, scale};
}

Decimal Decimal::round(int places, RoundingMode mode) const {
  check_places(places, "places");
  if (places >= scale_) {
    Magnitude scaled = 0;
    if (!detail::scale_up(magnitude(), places - scale_, scaled)) throw_beyond_range("decimal");
    return {Coefficient::from_magnitude(scaled, negative_), places};
  }
  const Magnitude divisor = detail::k_pow10[static_cast<std::size_t>(scale_ - places)];
  return {Coefficient::from_magnitude(detail::divide_rounded_magnitude(magnitude(), divisor, negative_, mode), negative_),
          places};
}

Decimal Decimal::normalized() const {
  if (is_zero()) return {};  // 0.00 has no digit to keep its places: it is 0, as 1.00 is 1
  Magnitude stripped = magnitude();
  int scale = scale_;
  strip_zeros_above(stripped, scale, 0);
  return {Coefficient::from_magnitude(stripped, negative_), scale};
}

std::string Decimal::to_string() const {
  char buffer[40];
  char* const end = buffer + sizeof buffer;
  const char* const digits = write_digits(magnitude(), end);
  const auto count = static_cast<std::size_t>(end - digits);
  const auto scale = static_cast<std::size_t>(scale_);
  const std::size_t before_point = count > scale ? count - scale : 0;  // 5 at scale 2 is 0.05
  std::string out(static_cast<std::size_t>(negative_) + std::max<std::size_t>(before_point, 1) +
                      (scale > 0 ? scale + 1 : 0),
                  '0');
  char* p = out.data();
  if (negative_) *p++ = '-';
  if (before_point > 0) {
    p = std::copy(digits, digits + before_point, p);
  } else {
    ++p;  // the 0 before the point
  }
  if (scale > 0) {
    *p++ = '.';
    std::copy(end - std::min(count, scale), end, p + (scale - std::min(count, scale)));  // zeros are in place
  }
  return out;
}

std::size_t Decimal::hash() const noexcept {
  const Decimal value = normalized();
  std::size_t seed = std::hash<std::uint64_t>{}(value.low_);
  seed ^= std::hash<std::uint64_t>{}(value.high_) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  seed ^= static_cast<std::size_t>(value.scale_ * 31 + value.sign());
  return seed;
}

void Decimal::throw_overflow() { throw_beyond_range("decimal"); }

Decimal Decimal::add_aligning(const Decimal& a, const Decimal& b) {
  const int scale = std::max(a.scale_, b.scale_);
  Magnitude a_aligned = 0;
  Magnitude b_aligned = 0;
  if (detail::scale_up(a.magnitude(), scale - a.scale_, a_aligned) &&
      detail::scale_up(b.magnitude(), scale - b.scale_, b_aligned)) [[likely]] {
    return {add_aligned(a_aligned, a.negative_, b_aligned, b.negative_), scale};
  }
  return {wide_sum(a, b, scale), scale};
}

Decimal operator*(const Decimal& a, const Decimal& b) {
  int scale = a.scale_ + b.scale_;
  const bool negative = a.negative_ != b.negative_;
  Magnitude product = 0;
  if (!__builtin_mul_overflow(a.magnitude(), b.magnitude(), &product)) [[likely]] {
    strip_zeros_above(product, scale, Decimal::k_max_scale);
    if (scale > Decimal::k_max_scale) throw_product_places(scale);
    return {Coefficient::from_magnitude(product, negative), scale};
  }
  const Coefficient coefficient = wide_product(a, b, scale);
  return {coefficient, scale};
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
  if (a.sign() != b.sign()) return a.sign() <=> b.sign();
  std::strong_ordering by_magnitude = std::strong_ordering::equal;
  if (a.scale_ == b.scale_) {
    by_magnitude = order(a.magnitude(), b.magnitude());
  } else {
    // Aligned to the larger scale; a side that passes 2^128 on the way is the larger, the other being below.
    Magnitude aligned = 0;
    if (a.scale_ < b.scale_) {
      by_magnitude = detail::scale_up(a.magnitude(), b.scale_ - a.scale_, aligned) ? order(aligned, b.magnitude())
                                                                                 : std::strong_ordering::greater;
    } else {
      by_magnitude = detail::scale_up(b.magnitude(), a.scale_ - b.scale_, aligned) ? order(a.magnitude(), aligned)
                                                                                 : std::strong_ordering::less;
    }
  }
  return a.negative_ ? 0 <=> by_magnitude : by_magnitude;
}

Decimal divide(const Decimal& dividend, const Decimal& divisor, int places, RoundingMode mode) {
  check_places(places, "places");
  if (divisor.is_zero()) throw DivisionByZero("divisor", "cannot divide by zero");
  // dividend / divisor * 10^places = (c1 * 10^(places + s2 - s1)) / c2.
  const int shift = places + divisor.scale() - dividend.scale();
  const bool negative = dividend.coefficient().is_negative() != divisor.coefficient().is_negative();
  Magnitude numerator = dividend.coefficient().magnitude();
  Magnitude denominator = divisor.coefficient().magnitude();
  if (shift >= 0 ? detail::scale_up(numerator, shift, numerator) : detail::scale_up(denominator, -shift, denominator)) {
    const Magnitude quotient = detail::divide_rounded_magnitude(numerator, denominator, negative, mode);
    return Decimal::from_coefficient(Coefficient::from_magnitude(quotient, negative), places);
  }
  // Every factor fits in 512 bits.
  Int512 wide_numerator = detail::to_wide<Int512>(dividend.coefficient());
  Int512 wide_denominator = detail::to_wide<Int512>(divisor.coefficient());
  if (shift >= 0) {
    wide_numerator *= detail::pow10_512(shift);
  } else {
    wide_denominator *= detail::pow10_512(-shift);
  }
  return Decimal::from_coefficient(
      detail::to_coefficient(detail::divide_rounded(wide_numerator, wide_denominator, mode), "quotient"), places);
}

Decimal multiply(const Decimal& a, const Decimal& b, int places, RoundingMode mode) {
  check_places(places, "places");
  const int scale = a.scale() + b.scale();
  const bool negative = a.coefficient().is_negative() != b.coefficient().is_negative();
  Magnitude product = 0;
  if (!__builtin_mul_overflow(a.coefficient().magnitude(), b.coefficient().magnitude(), &product)) {
    Magnitude scaled = 0;
    if (places < scale && scale - places <= 38) {
      scaled = detail::divide_rounded_magnitude(product, detail::k_pow10[static_cast<std::size_t>(scale - places)],
                                                negative, mode);
      return Decimal::from_coefficient(Coefficient::from_magnitude(scaled, negative), places);
    }
    if (places >= scale && detail::scale_up(product, places - scale, scaled)) {
      return Decimal::from_coefficient(Coefficient::from_magnitude(scaled, negative), places);
    }
  }
  const Int512 wide = detail::to_wide<Int512>(a.coefficient()) * detail::to_wide<Int512>(b.coefficient());
  const Int512 wide_scaled = places >= scale ? wide * detail::pow10_512(places - scale)
                                             : detail::divide_rounded(wide, detail::pow10_512(scale - places), mode);
  return Decimal::from_coefficient(detail::to_coefficient(wide_scaled, "product"), places);
}

}  // namespace billing
