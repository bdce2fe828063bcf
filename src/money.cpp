#include "billing/money.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "wide_int.hpp"

namespace billing {
namespace {

using detail::Int256;
using detail::Int512;

[[noreturn]] void throw_beyond_money(std::string_view field) {
  throw Overflow(std::string(field), "is beyond the range of Money (+-(2^63 - 1) minor units)");
}

// A minor-unit count inside the symmetric range, or Overflow.
std::int64_t to_minor(const Decimal::Coefficient& value, std::string_view field) {
  const std::optional<std::int64_t> minor = detail::to_native_int64(value);
  if (!minor) throw_beyond_money(field);
  return *minor;
}

std::int64_t to_minor(const Int256& value, std::string_view field) {
  if (value > Int256(Money::k_max_minor) || value < Int256(Money::k_min_minor)) throw_beyond_money(field);
  return static_cast<std::int64_t>(value);
}

std::int64_t minor_from_decimal(const Decimal& amount, Currency currency) {
  const Decimal exact = amount.round(currency.minor_units(), RoundingMode::down);
  return to_minor(exact.coefficient(), "amount");
}

using native_uint128 = detail::Magnitude;

// The largest-remainder method on non-negative integer ratios; see Money::allocate. `Int` is a native
// 128-bit integer when the ratios allow it (the common case, no heap), else a 512-bit one.
template <class Int>
std::vector<std::int64_t> allocate_magnitude(std::int64_t magnitude, const std::vector<Int>& ratios) {
  const Int total = std::accumulate(ratios.begin(), ratios.end(), Int(0));
  if (total == 0) throw InvalidArgument("ratios", "must not all be zero");
  std::vector<std::int64_t> shares(ratios.size());
  std::vector<Int> remainders(ratios.size());
  std::int64_t given = 0;
  for (std::size_t i = 0; i < ratios.size(); ++i) {
    const Int product = Int(magnitude) * ratios[i];
    shares[i] = static_cast<std::int64_t>(product / total);  // at most magnitude: fits
    remainders[i] = product % total;
    given += shares[i];
  }
  std::vector<std::size_t> order(ratios.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
  const auto left_over = static_cast<std::size_t>(magnitude - given);  // fewer than ratios.size()
  BILLING_ASSERT(left_over < ratios.size());
  for (std::size_t k = 0; k < left_over; ++k) ++shares[order[k]];
  return shares;
}

template <class Int>
std::vector<Money> signed_shares(const Money& whole, const std::vector<Int>& ratios) {
  if (ratios.empty()) throw InvalidArgument("ratios", "must not be empty");
  const std::int64_t magnitude = whole.minor() < 0 ? -whole.minor() : whole.minor();
  std::vector<Money> out;
  out.reserve(ratios.size());
  for (std::int64_t share : allocate_magnitude(magnitude, ratios)) {
    out.push_back(Money::from_minor(whole.minor() < 0 ? -share : share, whole.currency()));
  }
  return out;
}

}  // namespace

Money::Money(const Decimal& amount, Currency currency) : minor_(0), currency_(currency) {
  if (amount.scale() > currency.minor_units() && amount.normalized().scale() > currency.minor_units()) {
    throw InvalidAmount("amount", fmt::format("{} has more places than the {} that {} allows; pass a rounding mode",
                                              amount.to_string(), currency.minor_units(), currency.code()));
  }
  minor_ = minor_from_decimal(amount, currency);
}

Money::Money(const Decimal& amount, Currency currency, RoundingMode mode)
    : minor_(to_minor(amount.round(currency.minor_units(), mode).coefficient(), "amount")), currency_(currency) {}

Money Money::from_minor(std::int64_t minor, Currency currency) {
  if (minor < k_min_minor) throw Overflow("minor", "-2^63 is outside the symmetric range of Money");
  return Money(minor, currency, Unchecked{});
}

Money Money::parse(std::string_view text) {
  constexpr std::size_t k_max_text = Decimal::k_max_text_bytes + 1 + 16;  // an amount, a space, a code
  if (text.size() > k_max_text) {
    throw InvalidAmount("money", fmt::format("is {} bytes, longer than any '<amount> <currency>' ({} at most)",
                                             text.size(), k_max_text));
  }
  const auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0 || text.find(' ', space + 1) != std::string_view::npos) {
    throw InvalidAmount("money", fmt::format("'{}' is not '<amount> <currency>', such as '12.34 USD'", text));
  }
  return Money(Decimal::parse(text.substr(0, space), "amount"), Currency(text.substr(space + 1)));
}

Money Money::multiply(const Decimal& factor, RoundingMode mode) const {
  if (const auto small = detail::to_native_int64(factor.coefficient())) {
    // Fast path: |minor * coefficient| < 2^126 and 10^scale <= 10^30 < 2^127, so 128 bits are exact.
    std::int64_t product = 0;
    if (factor.scale() <= 18 && !__builtin_mul_overflow(minor_, *small, &product) &&
        product != std::numeric_limits<std::int64_t>::min()) {
      // Faster still when the product fits 64 bits, as it does for most prices and rates.
      const auto divisor = static_cast<std::int64_t>(detail::k_pow10[static_cast<std::size_t>(factor.scale())]);
      return Money(detail::divide_rounded_native(product, divisor, mode), currency_, Unchecked{});
    }
    const auto divisor = static_cast<detail::native_int128>(detail::k_pow10[static_cast<std::size_t>(factor.scale())]);
    const auto scaled =
        detail::divide_rounded_native(static_cast<detail::native_int128>(minor_) * *small, divisor, mode);
    if (scaled > k_max_minor || scaled < k_min_minor) throw_overflow("*");
    return Money(static_cast<std::int64_t>(scaled), currency_, Unchecked{});
  }
  // |minor| < 2^63 and |coefficient| < 2^128, so the exact product fits 256 bits.
  const Int256 product = Int256(minor_) * detail::to_wide<Int256>(factor.coefficient());
  const auto power = Decimal::Coefficient::from_magnitude(detail::k_pow10[static_cast<std::size_t>(factor.scale())]);
  const Int256 scaled = detail::divide_rounded(product, detail::to_wide<Int256>(power), mode);
  return Money(to_minor(scaled, "amount"), currency_, Unchecked{});
}

Money Money::multiply(std::int64_t factor) const {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(minor_, factor, &product) || product == std::numeric_limits<std::int64_t>::min()) {
    throw_overflow("*");
  }
  return Money(product, currency_, Unchecked{});
}

void Money::check_parts(std::size_t count, std::string_view field) {
  if (count > k_max_parts) {
    throw InvalidArgument(std::string(field),
                          fmt::format("{} is more than the {} shares one call may make", count, k_max_parts));
  }
}

std::vector<Money> Money::allocate(std::span<const std::uint64_t> ratios) const {
  check_parts(ratios.size(), "ratios");
  // With at most 2^64 ratios below 2^64 each, the total stays under 2^128 and magnitude * ratio under
  // 2^127, so native unsigned 128-bit arithmetic is exact.
  return signed_shares(*this, std::vector<native_uint128>(ratios.begin(), ratios.end()));
}

std::vector<Money> Money::allocate(std::span<const Decimal> ratios) const {
  check_parts(ratios.size(), "ratios");
  int scale = 0;
  for (const Decimal& ratio : ratios) {
    if (ratio.sign() < 0) throw InvalidArgument("ratios", fmt::format("{} is negative", ratio.to_string()));
    scale = std::max(scale, ratio.scale());
  }
  std::vector<Int512> whole_ratios;  // the same proportions as integers
  whole_ratios.reserve(ratios.size());
  for (const Decimal& ratio : ratios) {
    whole_ratios.push_back(detail::to_wide<Int512>(ratio.coefficient()) * detail::pow10_512(scale - ratio.scale()));
  }
  return signed_shares(*this, whole_ratios);
}

std::vector<Money> Money::split(std::size_t parts) const {
  if (parts == 0) throw InvalidArgument("parts", "must be at least 1");
  check_parts(parts, "parts");
  return signed_shares(*this, std::vector<native_uint128>(parts, 1));
}

std::string Money::to_string() const { return fmt::format("{} {}", amount().to_string(), currency_.code()); }

void Money::throw_mismatch(Currency a, Currency b) {
  throw CurrencyMismatch("currency", fmt::format("cannot combine {} with {}", a.code(), b.code()));
}

void Money::throw_overflow(std::string_view operation) {
  throw Overflow("amount", fmt::format("'{}' overflows the range of Money (+-(2^63 - 1) minor units)", operation));
}

}  // namespace billing
