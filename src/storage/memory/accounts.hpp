// The in-memory account rows, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <string>

#include "billing/storage/account_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct AccountTable {
  std::map<std::string, Account, std::less<>> rows;  // by id, so that list() runs in id order
};

class Accounts final : public AccountRepository {
 public:
  Accounts(Session& session, AccountTable& table) noexcept : session_(session), table_(table) {}

  bool insert(const Account& account) override;
  std::optional<Account> find(const AccountId& id) override;
  void set_status(const AccountId& id, AccountStatus status) override;
  void set_balances(const AccountId& id, const Balances& balances) override;
  std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) override;

 private:
  Account& existing(const AccountId& id);

  Session& session_;
  AccountTable& table_;
};

}  // namespace billing::detail::memory
