#include "billing/email.hpp"

#include <array>
#include <string_view>

namespace billing {
namespace {

constexpr std::size_t k_max_label_bytes = 63;  // RFC 1035, 2.3.4

constexpr bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_letter_or_digit(char c) noexcept { return is_letter(c) || (c >= '0' && c <= '9'); }

// RFC 5322, 3.2.3: letters, digits and these marks. A table, since every byte of an address is looked up.
constexpr std::array<bool, 256> k_atext = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = is_letter_or_digit(static_cast<char>(c));
  for (const char c : std::string_view("!#$%&'*+-/=?^_`{|}~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_atext(char c) noexcept { return k_atext[static_cast<unsigned char>(c)]; }

std::string_view local_problem(std::string_view local) noexcept {
  if (local.empty()) return "has nothing before the @";
  if (local.size() > k_max_email_local_bytes) return "has more than 64 bytes before the @";
  char previous = '.';  // so that a leading dot reads as an empty atom
  for (const char c : local) {
    if (c == '.') {
      if (previous == '.') return "has a dot first, last or twice in a row before the @";
    } else if (!is_atext(c)) {
      return "has a character before the @ that an unquoted address cannot hold";
    }
    previous = c;
  }
  if (previous == '.') return "has a dot first, last or twice in a row before the @";
  return {};
}

std::string_view label_problem(std::string_view label) noexcept {
  if (label.empty()) return "has an empty label in its domain (a dot first, last or twice in a row)";
  if (label.size() > k_max_label_bytes) return "has a domain label longer than 63 bytes";
  for (const char c : label) {
    if (!is_letter_or_digit(c) && c != '-') return "has a character in its domain other than A-Z, a-z, 0-9, - and .";
  }
  if (label.front() == '-' || label.back() == '-') return "has a domain label that starts or ends with a hyphen";
  return {};
}

std::string_view domain_problem(std::string_view domain) noexcept {
  if (domain.empty()) return "has nothing after the @";
  if (domain.find('.') == std::string_view::npos) return "has no dot in its domain";
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? domain.size() - start : dot - start);
    if (const std::string_view problem = label_problem(label); !problem.empty()) return problem;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // Every top-level domain starts with a letter (xn-- forms included); one that does not is more likely an
  // IP address than a host name (RFC 3696, 2).
  if (!is_letter(last.front())) return "has a last domain label that does not begin with a letter";
  return {};
}

}  // namespace

std::string_view email_problem(std::string_view text) noexcept {
  if (text.empty()) return "is empty";
  if (text.size() > k_max_email_bytes) return "is longer than 254 bytes";
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos) return "has no @";
  if (const std::string_view problem = local_problem(text.substr(0, at)); !problem.empty()) return problem;
  return domain_problem(text.substr(at + 1));
}

}  // namespace billing
