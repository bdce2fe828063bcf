#include "billing/decimal.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

#include "billing/error.hpp"

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

const Int128& pow10_128(int n) {
  static const auto table = [] {
    std::array<Int128, 39> powers;
    powers[0] = 1;
    for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
  }();
  BILLING_ASSERT(n >= 0 && n <= 38);
  return table[static_cast<std::size_t>(n)];
}

native_int128 native_pow10(int n) noexcept {
  static const auto table = [] {
    std::array<native_int128, 39> powers{};
    powers[0] = 1;
    for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
  }();
  return table[static_cast<std::size_t>(n)];
}

std::optional<std::int64_t> to_native_int64(const Int128& value) noexcept {
  static const Int128 max = std::numeric_limits<std::int64_t>::max();
  if (value > max || value < -max) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace detail

namespace {

using detail::Int128;
using detail::Int256;
using detail::Int512;

// Boost's checked integers throw std::overflow_error; the library's callers see billing::Overflow.
template <class F>
auto overflow_guard(std::string_view what, F&& compute) {
  try {
    return compute();
  } catch (const std::overflow_error&) {
    throw Overflow(std::string(what), "result is beyond the range of a Decimal (2^128 - 1 as coefficient)");
  } catch (const std::range_error&) {
    throw Overflow(std::string(what), "result is beyond the range of a Decimal (2^128 - 1 as coefficient)");
  }
}

void check_places(int places, std::string_view field) {
  if (places < 0 || places > Decimal::k_max_scale) {
    throw InvalidArgument(std::string(field), fmt::format("{} places is outside 0..{}", places, Decimal::k_max_scale));
  }
}

// Drops trailing zeros while the scale is above `target`.
template <class Int>
void strip_zeros_above(Int& coefficient, int& scale, int target) {
  while (scale > target && !coefficient.is_zero() && (coefficient % 10).is_zero()) {
    coefficient /= 10;
    --scale;
  }
}

Int128 aligned(const Decimal& value, int scale) {
  return value.coefficient() * detail::pow10_128(scale - value.scale());
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The decimal digits of a non-negative coefficient, 19 at a time. (Boost's str() trips a false
// -Wrestrict in GCC 12, and this is faster.)
std::string digits_of(Int128 magnitude) {
  constexpr std::uint64_t k_chunk = 10'000'000'000'000'000'000ULL;
  char buffer[64];
  char* end = buffer + sizeof buffer;
  char* begin = end;
  do {
    auto chunk = static_cast<std::uint64_t>(magnitude % k_chunk);
    magnitude /= k_chunk;
    const bool last = magnitude.is_zero();
    for (int i = 0; i < 19 && (!last || chunk != 0 || begin == end); ++i) {
      *--begin = static_cast<char>('0' + chunk % 10);
      chunk /= 10;
    }
  } while (!magnitude.is_zero());
  return {begin, end};
}

}  // namespace

const Decimal::Coefficient& Decimal::max_coefficient() noexcept {
  static const Coefficient max = std::numeric_limits<Coefficient>::max();
  return max;
}

Decimal Decimal::from_coefficient(Coefficient coefficient, int scale) {
  check_places(scale, "scale");
  return {std::move(coefficient), scale};
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

  Int512 coefficient = 0;  // wide, so that a long run of digits is judged once, at the end
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
    coefficient = coefficient * 10 + (text[i] - '0');
    ++digits;
    if (seen_point) ++places;
  }
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
  if (scale < 0) {
    if (scale < -60) throw Overflow(std::string(field), fmt::format("'{}' is too large", text));
    // 121 digits times 10^60 passes even 512 bits: Overflow, as for any other value too large.
    coefficient = overflow_guard(field, [&] { return Int512(coefficient * detail::pow10_512(-scale)); });
    scale = 0;
  }
  strip_zeros_above(coefficient, scale, k_max_scale);
  if (scale > k_max_scale) {
    throw InvalidAmount(std::string(field),
                        fmt::format("'{}' has {} places, more than the {} a Decimal holds", text, scale, k_max_scale));
  }
  if (negative) coefficient = -coefficient;
  return {detail::narrow<Int128>(coefficient, field), scale};
}

Decimal Decimal::round(int places, RoundingMode mode) const {
  check_places(places, "places");
  if (places >= scale_) {
    return overflow_guard("decimal", [&] { return Decimal(aligned(*this, places), places); });
  }
  return {detail::divide_rounded(coefficient_, detail::pow10_128(scale_ - places), mode), places};
}

Decimal Decimal::normalized() const {
  if (coefficient_.is_zero()) return {};  // 0.00 has no digit to keep its places: it is 0, as 1.00 is 1
  Coefficient coefficient = coefficient_;
  int scale = scale_;
  strip_zeros_above(coefficient, scale, 0);
  return {std::move(coefficient), scale};
}

std::string Decimal::to_string() const {
  std::string digits = digits_of(boost::multiprecision::abs(coefficient_));
  const auto scale = static_cast<std::size_t>(scale_);
  if (digits.size() <= scale) digits = std::string(scale + 1 - digits.size(), '0') + digits;  // 5 at scale 2: 0.05
  std::string out;
  out.reserve(digits.size() + 2);
  if (coefficient_.sign() < 0) out += '-';
  out.append(digits, 0, digits.size() - scale);
  if (scale > 0) {
    out += '.';
    out.append(digits, digits.size() - scale, scale);
  }
  return out;
}

std::size_t Decimal::hash() const noexcept {
  const Decimal value = normalized();
  const Coefficient magnitude = boost::multiprecision::abs(value.coefficient_);
  const auto low = static_cast<std::uint64_t>(magnitude & Coefficient(~std::uint64_t{0}));
  const auto high = static_cast<std::uint64_t>(magnitude >> 64);
  std::size_t seed = std::hash<std::uint64_t>{}(low);
  seed ^= std::hash<std::uint64_t>{}(high) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  seed ^= static_cast<std::size_t>(value.scale_ * 31 + value.sign());
  return seed;
}

Decimal operator+(const Decimal& a, const Decimal& b) {
  if (a.scale_ == b.scale_) {
    return overflow_guard("decimal", [&] { return Decimal(a.coefficient_ + b.coefficient_, a.scale_); });
  }
  const int scale = std::max(a.scale_, b.scale_);
  return overflow_guard("decimal", [&] { return Decimal(aligned(a, scale) + aligned(b, scale), scale); });
}

Decimal operator-(const Decimal& a, const Decimal& b) { return a + (-b); }

Decimal operator*(const Decimal& a, const Decimal& b) {
  Int256 product = Int256(a.coefficient_) * Int256(b.coefficient_);
  int scale = a.scale_ + b.scale_;
  strip_zeros_above(product, scale, Decimal::k_max_scale);
  if (scale > Decimal::k_max_scale) {
    throw Overflow("decimal", fmt::format("the exact product needs {} places, more than the {} a Decimal holds; "
                                          "use multiply(a, b, places, mode)",
                                          scale, Decimal::k_max_scale));
  }
  return {detail::narrow<Int128>(product, "decimal"), scale};
}

Decimal operator-(const Decimal& value) { return {-value.coefficient_, value.scale_}; }

Decimal abs(const Decimal& value) { return {boost::multiprecision::abs(value.coefficient_), value.scale_}; }

bool operator==(const Decimal& a, const Decimal& b) noexcept { return (a <=> b) == 0; }

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
  const auto order = [](const auto& x, const auto& y) {
    return x < y ? std::strong_ordering::less : (x == y ? std::strong_ordering::equal : std::strong_ordering::greater);
  };
  if (a.scale_ == b.scale_) return order(a.coefficient_, b.coefficient_);
  // 2^128 * 10^30 < 2^256, so aligning in 256 bits cannot overflow.
  const int scale = std::max(a.scale_, b.scale_);
  return order(Int256(a.coefficient_) * Int256(detail::pow10_128(scale - a.scale_)),
               Int256(b.coefficient_) * Int256(detail::pow10_128(scale - b.scale_)));
}

Decimal divide(const Decimal& dividend, const Decimal& divisor, int places, RoundingMode mode) {
  check_places(places, "places");
  if (divisor.is_zero()) throw DivisionByZero("divisor", "cannot divide by zero");
  // dividend / divisor * 10^places = (c1 * 10^(places + s2 - s1)) / c2; every factor fits in 512 bits.
  Int512 numerator(dividend.coefficient());
  Int512 denominator(divisor.coefficient());
  const int shift = places + divisor.scale() - dividend.scale();
  if (shift >= 0) {
    numerator *= detail::pow10_512(shift);
  } else {
    denominator *= detail::pow10_512(-shift);
  }
  return Decimal::from_coefficient(
      detail::narrow<Int128>(detail::divide_rounded(numerator, denominator, mode), "quotient"), places);
}

Decimal multiply(const Decimal& a, const Decimal& b, int places, RoundingMode mode) {
  check_places(places, "places");
  const Int512 product = Int512(a.coefficient()) * Int512(b.coefficient());
  const int scale = a.scale() + b.scale();
  const Int512 scaled = places >= scale ? product * detail::pow10_512(places - scale)
                                        : detail::divide_rounded(product, detail::pow10_512(scale - places), mode);
  return Decimal::from_coefficient(detail::narrow<Int128>(scaled, "product"), places);
}

}  // namespace billing
