#include "accounts.hpp"

#include "../integrity.hpp"

namespace billing::detail::memory {

bool Accounts::insert(const Account& account) {
  session_.require_write();
  integrity::check_account(account);
  const auto [it, inserted] = table_.rows.emplace(account.id.str(), account);
  if (inserted) session_.on_rollback([this, key = it->first] { table_.rows.erase(key); });
  return inserted;
}

std::optional<Account> Accounts::find(const AccountId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

void Accounts::set_status(const AccountId& id, AccountStatus status) {
  Account& account = existing(id);
  session_.on_rollback([&account, old = account.status] { account.status = old; });
  account.status = status;
}

void Accounts::set_balances(const AccountId& id, const Balances& balances) {
  Account& account = existing(id);
  session_.on_rollback([&account, old = account.balances] { account.balances = old; });
  account.balances = balances;
}

std::vector<Account> Accounts::list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) {
  session_.require_open();
  std::vector<Account> out;
  for (auto it = table_.rows.upper_bound(after); it != table_.rows.end() && out.size() < limit; ++it) {
    if (!status || it->second.status == *status) out.push_back(it->second);
  }
  return out;
}

Account& Accounts::existing(const AccountId& id) {
  session_.require_write();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) integrity::missing_account(id);
  return it->second;
}

}  // namespace billing::detail::memory
