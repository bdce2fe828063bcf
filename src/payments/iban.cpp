// IBANs: the country lengths of the SWIFT IBAN registry, and ISO 7064 mod 97-10.
//
// The lengths are the registry's (SWIFT, "IBAN Registry", swift.com/node/11971, as ISO 13616's
// registration authority publishes it), read from python-stdnum's transcription of it (stdnum/iban.dat,
// whose BBAN formats sum, with the 4 leading characters, to each length below): 89 countries, including
// recent additions such as Somalia, Honduras and Yemen. Territories that use another country's code (the Aland
// Islands under FI, Jersey under GB, the French overseas departments under FR) have no entry of their own,
// as in the registry: their IBANs start with the other code. docs/payments.md says how to update the table.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "billing/payment_validation.hpp"

namespace billing {
namespace {

struct Country {
  std::string_view code;
  std::uint8_t length;
};

// Sorted by code.
constexpr Country k_registry[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28},
    {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22},
    {"MK", 19}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

// Sorted and without repeats, so that a reader finds a country at a glance and no code is listed twice.
constexpr bool sorted_by_code() {
  for (std::size_t i = 1; i < std::size(k_registry); ++i) {
    if (!(k_registry[i - 1].code < k_registry[i].code)) return false;
  }
  return true;
}
static_assert(sorted_by_code());

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }

// The registry by code, AA to ZZ, for a lookup without a search: 0 for a code not in it.
constexpr auto k_length_by_code = [] {
  std::array<std::uint8_t, 26 * 26> table{};
  for (const Country& country : k_registry) {
    table[static_cast<std::size_t>((country.code[0] - 'A') * 26 + (country.code[1] - 'A'))] = country.length;
  }
  return table;
}();
char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The IBAN's value mod 97 with its first four characters moved to the end and each letter read as two
// digits (A = 10 ... Z = 35) (ISO 7064, MOD 97-10). Digits gather in 64 bits and are reduced only when
// they might not fit two more, so that a 34-character IBAN costs two or three divisions, not 34.
unsigned mod_97(std::string_view iban) noexcept {
  constexpr std::uint64_t k_reduce_at = 100'000'000'000'000'000;  // 10^17: times 100, plus 35, fits 64 bits
  std::uint64_t value = 0;
  const auto add = [&](char c) {
    value = is_digit(c) ? value * 10 + static_cast<std::uint64_t>(c - '0')
                        : value * 100 + static_cast<std::uint64_t>(c - 'A' + 10);
    if (value >= k_reduce_at) value %= 97;
  };
  for (const char c : iban.substr(4)) add(c);
  for (const char c : iban.substr(0, 4)) add(c);
  return static_cast<unsigned>(value % 97);
}

}  // namespace

std::optional<std::size_t> iban_length(std::string_view country) noexcept {
  if (country.size() != 2 || !is_upper(country[0]) || !is_upper(country[1])) return std::nullopt;
  const std::uint8_t length = k_length_by_code[static_cast<std::size_t>((country[0] - 'A') * 26 + (country[1] - 'A'))];
  if (length == 0) return std::nullopt;
  return length;
}

std::optional<ValidationCode> iban_problem(std::string_view text) noexcept {
  if (text.size() > k_max_iban_bytes) return ValidationCode::too_long;
  if (text.empty()) return ValidationCode::empty;
  std::array<char, k_max_iban_bytes> compact{};  // without spaces, letters in upper case
  std::size_t size = 0;
  for (const char c : text) {
    if (c == ' ') continue;
    const char letter = upper(c);
    if (!is_digit(letter) && !is_upper(letter)) return ValidationCode::invalid_format;
    compact[size++] = letter;
  }
  const std::string_view iban(compact.data(), size);
  if (size < 4 || !is_upper(iban[0]) || !is_upper(iban[1]) || !is_digit(iban[2]) || !is_digit(iban[3])) {
    return ValidationCode::invalid_format;
  }
  const std::optional<std::size_t> length = iban_length(iban.substr(0, 2));
  if (!length) return ValidationCode::unknown_country;
  if (size != *length) return ValidationCode::invalid_length;
  // Check digits are 02 to 98 (ISO 13616-1); 00, 01 and 99 would pass mod 97 where 97, 98 and 02 should.
  const int check = (iban[2] - '0') * 10 + (iban[3] - '0');
  if (check < 2 || check > 98 || mod_97(iban) != 1) return ValidationCode::checksum;
  return std::nullopt;
}

}  // namespace billing
