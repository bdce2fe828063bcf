#include "email.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/order.hpp"

namespace billing::detail {
namespace {

constexpr std::size_t k_max_local_bytes = 64;  // RFC 5321, 4.5.3.1.1
constexpr std::size_t k_max_label_bytes = 63;  // RFC 1035, 2.3.4

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 5322's atext: letters, digits and these marks.
bool is_atext(char c) noexcept {
  return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::optional<std::string> local_problem(std::string_view local) {
  if (local.empty()) return "has nothing before the '@'";
  if (local.size() > k_max_local_bytes) {
    return fmt::format("has {} bytes before the '@', more than the {} allowed", local.size(), k_max_local_bytes);
  }
  if (local.front() == '.' || local.back() == '.') return "has a '.' at an end of the part before the '@'";
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i] == '.') {
      if (local[i - 1] == '.') return "has two '.' in a row before the '@'";
    } else if (!is_atext(local[i])) {
      return fmt::format("has a character not allowed before the '@', at byte {}", i);
    }
  }
  return std::nullopt;
}

std::optional<std::string> label_problem(std::string_view label, bool last) {
  if (label.empty()) return "has an empty label after the '@' (two '.' in a row, or one at an end)";
  if (label.size() > k_max_label_bytes) {
    return fmt::format("has a label of {} bytes after the '@', more than the {} allowed", label.size(),
                       k_max_label_bytes);
  }
  if (label.front() == '-' || label.back() == '-') return "has a label that begins or ends with '-'";
  for (const char c : label) {
    if (!is_alpha(c) && !is_digit(c) && c != '-') return "has a character not allowed after the '@'";
  }
  if (last && !is_alpha(label.front())) return "has a last label that does not begin with a letter";
  return std::nullopt;
}

std::optional<std::string> domain_problem(std::string_view domain) {
  if (domain.empty()) return "has nothing after the '@'";
  if (domain.find('.') == std::string_view::npos) return "has a domain of one label; it needs two or more";
  for (std::size_t start = 0;;) {
    const std::size_t dot = domain.find('.', start);
    const bool last = dot == std::string_view::npos;
    if (auto problem = label_problem(domain.substr(start, last ? domain.size() - start : dot - start), last)) {
      return problem;
    }
    if (last) return std::nullopt;
    start = dot + 1;
  }
}

}  // namespace

std::optional<std::string> email_problem(std::string_view text) {
  if (text.size() > k_max_customer_email_bytes) {
    return fmt::format("is a {}-byte text, longer than the {} an email may be", text.size(),
                       k_max_customer_email_bytes);
  }
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos) return std::string("is not an email: it has no '@'");
  if (auto problem = local_problem(text.substr(0, at))) return "is not an email: it " + *problem;
  if (auto problem = domain_problem(text.substr(at + 1))) return "is not an email: it " + *problem;
  return std::nullopt;
}

void validate_email(std::string_view text, std::string_view field) {
  if (auto problem = email_problem(text)) throw InvalidArgument(std::string(field), *problem);
}

}  // namespace billing::detail
