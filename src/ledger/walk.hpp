// Walking the whole store a page at a time, for the readers that must see everything (verify, export),
// without holding it all in memory at once.
#pragma once

#include <optional>
#include <string>

#include "billing/storage/account_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/store.hpp"

namespace billing::detail {

inline constexpr std::size_t k_walk_page = 1000;

/// Calls visit(const Account&) for every account, in id order.
template <class Visit>
void for_each_account(AccountRepository& accounts, Visit&& visit) {
  for (std::string after;;) {
    const auto page = accounts.list(std::nullopt, after, k_walk_page);
    for (const Account& account : page) visit(account);
    if (page.size() < k_walk_page) return;
    after = page.back().id.str();
  }
}

/// Calls visit(const Entry&) for every entry in sequence order, or only those touching `account`.
template <class Visit>
void for_each_entry(LedgerRepository& ledger, const std::optional<AccountId>& account, Visit&& visit) {
  for (std::uint64_t after = 0;;) {
    const auto page = account ? ledger.for_account(*account, after, std::nullopt, std::nullopt, k_walk_page)
                              : ledger.scan(after, k_walk_page);
    for (const Entry& entry : page) visit(entry);
    if (page.size() < k_walk_page) return;
    after = page.back().sequence;
  }
}

}  // namespace billing::detail
