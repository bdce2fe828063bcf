#include "billing/account.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"
#include "text.hpp"

namespace billing {
namespace {

std::int64_t checked_difference(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) throw Overflow("balance", "is beyond the range of Money");
  return out;
}

std::int64_t checked_sum(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw Overflow("balance", "is beyond the range of Money");
  return out;
}

}  // namespace

Money Account::net_balance() const {
  const Balances& b = balances;
  return Money::from_minor(normal_side == Side::debit ? checked_difference(b.debits_posted, b.credits_posted)
                                                      : checked_difference(b.credits_posted, b.debits_posted),
                           currency);
}

Money Account::projected_balance() const {
  const Balances& b = balances;
  const std::int64_t debits = checked_sum(b.debits_posted, b.debits_pending);
  const std::int64_t credits = checked_sum(b.credits_posted, b.credits_pending);
  return Money::from_minor(
      normal_side == Side::debit ? checked_difference(debits, credits) : checked_difference(credits, debits), currency);
}

std::optional<Money> Account::available() const {
  const std::int64_t allowance = limit ? limit->minor() : 0;
  const Balances& b = balances;
  if (debits_must_not_exceed_credits) {
    const std::int64_t room =
        checked_difference(checked_sum(b.credits_posted, allowance), checked_sum(b.debits_posted, b.debits_pending));
    return Money::from_minor(room, currency);
  }
  if (credits_must_not_exceed_debits) {
    const std::int64_t room =
        checked_difference(checked_sum(b.debits_posted, allowance), checked_sum(b.credits_posted, b.credits_pending));
    return Money::from_minor(room, currency);
  }
  return std::nullopt;
}

std::string_view to_string(Side side) noexcept { return side == Side::debit ? "DEBIT" : "CREDIT"; }

std::string_view to_string(AccountStatus status) noexcept {
  switch (status) {
    case AccountStatus::pending: return "PENDING";
    case AccountStatus::active: return "ACTIVE";
    case AccountStatus::inactive: return "INACTIVE";
    case AccountStatus::closed: return "CLOSED";
  }
  return "?";
}

namespace detail {
void validate_metadata(const Metadata& metadata, std::string_view field) {
  if (metadata.size() > k_max_metadata_pairs) {
    throw InvalidArgument(std::string(field),
                          fmt::format("{} pairs is more than the {} allowed", metadata.size(), k_max_metadata_pairs));
  }
  std::size_t index = 0;
  for (const auto& [key, value] : metadata) {
    // Keys are named by the index in key order, never quoted: a key may be data rather than a name.
    if (const auto problem = name_problem(key, k_max_metadata_key_bytes)) {
      throw InvalidArgument(std::string(field), fmt::format("key {} (in key order) {}", index, *problem));
    }
    if (const auto problem = utf8_problem(value, k_max_metadata_value_bytes)) {
      throw InvalidArgument(std::string(field), fmt::format("the value of key {} (in key order) {}", index, *problem));
    }
    ++index;
  }
}
}  // namespace detail

}  // namespace billing
