#include "integrity.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::integrity {

void check_account(const Account& account) {
  if (account.limit && account.limit->currency() != account.currency) {
    throw InvariantViolation("limit",
                             fmt::format("the limit of account '{}' is in {}, the account in {}", account.id.str(),
                                         account.limit->currency().code(), account.currency.code()));
  }
}

void check_appendable(const Entry& entry, std::uint64_t head_sequence) {
  if (entry.sequence != head_sequence + 1) {
    throw InvariantViolation("sequence", fmt::format("entry {} does not follow {}", entry.sequence, head_sequence));
  }
  if (entry.balances_after.size() != entry.postings.size()) {
    throw InvariantViolation("balances_after",
                             fmt::format("entry '{}' has {} postings but {} balances_after", entry.id.str(),
                                         entry.postings.size(), entry.balances_after.size()));
  }
}

void check_posting_currency(const Posting& posting, std::string_view account_currency) {
  if (posting.amount.currency().code() != account_currency) {
    throw InvariantViolation(
        "currency", fmt::format("a posting in {} on account '{}', which is in {}", posting.amount.currency().code(),
                                posting.account.str(), account_currency));
  }
}

void duplicate_entry(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' already exists", id.str()));
}

void missing_account(const AccountId& id) {
  throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
}

void already_linked(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' is already resolved or reversed", id.str()));
}

void check_new_order(const Order& order) {
  const auto refuse = [&](std::string_view field, std::string_view why) {
    throw InvariantViolation(std::string(field), fmt::format("new order '{}' {}", order.id.str(), why));
  };
  if (order.status != OrderStatus::pending || order.version != 1) refuse("status", "is not PENDING at version 1");
  if (order.deleted_at || order.updated_at != order.created_at) refuse("updated_at", "is deleted or updated already");
  try {
    if (order_total(order.lines) != order.total) refuse("total", "has a total that is not the sum of its lines");
  } catch (const InvariantViolation&) {
    throw;
  } catch (const Error& e) {
    refuse("lines", fmt::format("has lines that cannot be summed ({})", e.what()));
  }
}

void check_order_change(const OrderChange& change) {
  if (!order_transition_allowed(change.from, change.to) || change.version < 2) {
    throw InvariantViolation("status", fmt::format("order '{}' cannot move from {} to {} as version {}",
                                                   change.order_id.str(), to_string(change.from),
                                                   to_string(change.to), change.version));
  }
}

void order_not_at(const OrderId& id, std::uint64_t version) {
  throw InvariantViolation("version", fmt::format("no live order '{}' is at version {} in a status that allows "
                                                  "this change",
                                                  id.str(), version));
}

}  // namespace billing::detail::integrity
