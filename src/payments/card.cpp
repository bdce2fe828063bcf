// Card numbers: normalising, the Luhn check, and the brand of the leading digits (the IIN).
//
// The IIN ranges and lengths below are written from these public tables (facts, not code):
//  - Wikipedia, "Payment card number", section "Issuer identification number (IIN)", the table of issuing
//    networks (ranges, active, lengths), as of 2023;
//  - Braintree's credit-card-type library, src/lib/card-types.ts (github.com/braintree/credit-card-type);
//  - CyberSource's developer guide, "Card Type Identification" (developer.cybersource.com).
// Where they differ, the table stands: Mastercard includes 2221-2720; Discover includes
// 622126-622925, a UnionPay range that Discover's network accepts (the longer prefix wins over UnionPay's
// 62); UnionPay includes 81; Visa is 13, 16 or 19 digits long. docs/payments.md reproduces the table.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "billing/payment_validation.hpp"
#include "payments/cards.hpp"

namespace billing {
namespace {

struct BrandInfo {
  std::string_view name;
  std::string_view display;
  std::uint32_t lengths;  // bit n set: n digits is a length of this brand
  std::string_view lengths_text;
  int cvc_digits;
};

constexpr std::uint32_t lengths(int from, int to) noexcept {
  std::uint32_t bits = 0;
  for (int n = from; n <= to; ++n) bits |= 1U << static_cast<unsigned>(n);
  return bits;
}
constexpr std::uint32_t length(int n) noexcept { return lengths(n, n); }

// Indexed by CardBrand.
constexpr std::array<BrandInfo, k_card_brand_count> k_brands{{
    {"visa", "Visa", length(13) | length(16) | length(19), "13, 16 or 19", 3},
    {"mastercard", "Mastercard", length(16), "16", 3},
    {"amex", "American Express", length(15), "15", 4},
    {"discover", "Discover", lengths(16, 19), "16 to 19", 3},
    {"jcb", "JCB", lengths(16, 19), "16 to 19", 3},
    {"diners_club", "Diners Club", lengths(14, 19), "14 to 19", 3},
    {"unionpay", "UnionPay", lengths(16, 19), "16 to 19", 3},
    {"maestro", "Maestro", lengths(12, 19), "12 to 19", 3},
}};

const BrandInfo& info(CardBrand brand) noexcept { return k_brands[static_cast<std::size_t>(brand)]; }

// A range of IINs: the first `digits` digits of the number, read as an integer, in [low, high].
struct IinRange {
  std::uint32_t low;
  std::uint32_t high;
  std::uint8_t digits;
  CardBrand brand;
  char lead;  // the range's first digit, to skip the ranges of other first digits at once
};

constexpr char first_digit(std::uint32_t low) noexcept {
  while (low >= 10) low /= 10;
  return static_cast<char>('0' + low);
}

constexpr IinRange iin(std::uint32_t low, std::uint32_t high, std::uint8_t digits, CardBrand brand) noexcept {
  return {low, high, digits, brand, first_digit(low)};
}

constexpr std::array k_ranges_as_listed{
    iin(4, 4, 1, CardBrand::visa),
    iin(51, 55, 2, CardBrand::mastercard),
    iin(2221, 2720, 4, CardBrand::mastercard),
    iin(34, 34, 2, CardBrand::amex),
    iin(37, 37, 2, CardBrand::amex),
    iin(6011, 6011, 4, CardBrand::discover),
    iin(644, 649, 3, CardBrand::discover),
    iin(65, 65, 2, CardBrand::discover),
    iin(622126, 622925, 6, CardBrand::discover),
    iin(3528, 3589, 4, CardBrand::jcb),
    iin(36, 36, 2, CardBrand::diners_club),
    iin(300, 305, 3, CardBrand::diners_club),
    iin(3095, 3095, 4, CardBrand::diners_club),
    iin(38, 39, 2, CardBrand::diners_club),
    iin(62, 62, 2, CardBrand::unionpay),
    iin(81, 81, 2, CardBrand::unionpay),
    iin(5018, 5018, 4, CardBrand::maestro),
    iin(5020, 5020, 4, CardBrand::maestro),
    iin(5038, 5038, 4, CardBrand::maestro),
    iin(5893, 5893, 4, CardBrand::maestro),
    iin(6304, 6304, 4, CardBrand::maestro),
    iin(6759, 6759, 4, CardBrand::maestro),
    iin(6761, 6763, 4, CardBrand::maestro),
};
constexpr std::size_t k_longest_iin = 6;

// The ranges grouped by first digit, each group longest prefix first, so that brand_of() reads only the
// ranges that can match and stops at the first that does.
constexpr auto k_ranges = [] {
  auto ranges = k_ranges_as_listed;
  std::sort(ranges.begin(), ranges.end(), [](const IinRange& a, const IinRange& b) {
    return a.lead != b.lead ? a.lead < b.lead : a.digits > b.digits;
  });
  return ranges;
}();

// k_group[d]: the first range in k_ranges whose first digit is d; k_group[d + 1] ends the group.
constexpr auto k_group = [] {
  std::array<std::size_t, 11> group{};
  for (int d = 0; d <= 10; ++d) {
    std::size_t i = 0;
    while (i < k_ranges.size() && k_ranges[i].lead < '0' + d) ++i;
    group[static_cast<std::size_t>(d)] = i;
  }
  return group;
}();

// The brand of the longest range that the leading digits fall in (no two ranges of one length overlap).
std::optional<CardBrand> brand_of(std::string_view digits) noexcept {
  std::array<std::uint32_t, k_longest_iin + 1> prefix{};  // prefix[n]: the first n digits as an integer
  const std::size_t known = digits.size() < k_longest_iin ? digits.size() : k_longest_iin;
  for (std::size_t n = 1; n <= known; ++n)
    prefix[n] = prefix[n - 1] * 10 + static_cast<std::uint32_t>(digits[n - 1] - '0');
  const auto lead = static_cast<std::size_t>(digits[0] - '0');
  for (std::size_t i = k_group[lead]; i < k_group[lead + 1]; ++i) {
    const IinRange& range = k_ranges[i];
    if (range.digits <= known && prefix[range.digits] >= range.low && prefix[range.digits] <= range.high) {
      return range.brand;
    }
  }
  return std::nullopt;
}

// The digits of `text` with spaces and dashes removed, into `out`, and whether they pass Luhn, in one pass;
// nullopt for text beyond k_max_card_number_bytes or holding any other character. `count` may exceed
// out.size(): the digits past it are counted, not kept.
struct Normalised {
  std::size_t count;
  bool passes_luhn;
};

std::optional<Normalised> normalise(std::string_view text, std::array<char, CardNumber::k_max_digits>& out) noexcept {
  if (text.size() > k_max_card_number_bytes) return std::nullopt;
  // Luhn doubles every second digit from the right, and the count is known only at the end: so both sums
  // are kept, by the parity of each digit's place from the left, and the right one is taken at the end.
  std::array<unsigned, 2> plain{};
  std::array<unsigned, 2> doubled{};
  std::size_t n = 0;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      const auto d = static_cast<unsigned>(c - '0');
      plain[n % 2] += d;
      doubled[n % 2] += d > 4 ? d * 2 - 9 : d * 2;
      if (n < out.size()) out[n] = c;
      ++n;
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  // The last digit (place n - 1) is not doubled, the one before it is, and so on.
  const bool luhn = n > 0 && (plain[(n - 1) % 2] + doubled[n % 2]) % 10 == 0;
  return Normalised{n, luhn};
}

}  // namespace

std::string_view to_string(CardBrand brand) noexcept { return info(brand).name; }
std::string_view display_name(CardBrand brand) noexcept { return info(brand).display; }
int cvc_digits(CardBrand brand) noexcept { return info(brand).cvc_digits; }
std::string_view detail::card_lengths_text(CardBrand brand) noexcept { return info(brand).lengths_text; }

bool passes_luhn(std::string_view digits) noexcept {
  if (digits.empty()) return false;
  unsigned sum = 0;
  bool twice = false;  // from the right: the check digit once, its neighbour twice, and so on
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (digits[i] < '0' || digits[i] > '9') return false;
    unsigned d = static_cast<unsigned>(digits[i] - '0');
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

CardNumberCheck check_card_number(std::string_view text, CardBrands accepted) noexcept {
  CardNumberCheck out;
  if (text.size() > k_max_card_number_bytes) {
    out.problem = ValidationCode::too_long;
    return out;
  }
  if (text.empty()) {
    out.problem = ValidationCode::empty;
    return out;
  }
  CardNumber number;
  const std::optional<Normalised> normalised = normalise(text, number.digits_);
  if (!normalised) {
    out.problem = ValidationCode::invalid_format;
    return out;
  }
  const std::size_t count = normalised->count;
  out.digit_count = count;
  if (count < CardNumber::k_min_digits || count > CardNumber::k_max_digits) {
    out.problem = ValidationCode::invalid_length;
    return out;
  }
  number.size_ = static_cast<std::uint8_t>(count);
  if (!normalised->passes_luhn) {
    out.problem = ValidationCode::checksum;
    return out;
  }
  out.brand = brand_of(number.digits());
  if (!out.brand) {
    out.problem = ValidationCode::unknown_brand;
  } else if ((info(*out.brand).lengths & (1U << count)) == 0) {
    out.problem = ValidationCode::invalid_length;
  } else if (!accepted.contains(*out.brand)) {
    out.problem = ValidationCode::brand_not_accepted;
  } else {
    number.brand_ = *out.brand;
    out.number = number;
  }
  return out;
}

bool is_valid_card_number(std::string_view text) noexcept { return !check_card_number(text).problem.has_value(); }

std::optional<CardBrand> card_brand(std::string_view text) noexcept {
  std::array<char, CardNumber::k_max_digits> digits{};
  const std::optional<Normalised> normalised = normalise(text, digits);
  if (!normalised || normalised->count == 0) return std::nullopt;
  return brand_of(std::string_view(digits.data(), std::min(normalised->count, digits.size())));
}

CardDetails::CardDetails(CardBrand brand, std::string_view last_four, int expiry_month, int expiry_year) noexcept
    : brand_(brand), expiry_month_(expiry_month), expiry_year_(expiry_year) {
  for (std::size_t i = 0; i < last_four_.size() && i < last_four.size(); ++i) last_four_[i] = last_four[i];
}

}  // namespace billing
