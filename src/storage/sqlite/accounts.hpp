// The SQLite account rows (table `accounts`, see migrations/) and the repository over them.
// Internal to the adapter.
#pragma once

#include "billing/storage/account_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

class Accounts final : public AccountRepository {
 public:
  explicit Accounts(Session& session) noexcept : session_(session) {}

  bool insert(const Account& account) override;
  std::optional<Account> find(const AccountId& id) override;
  void set_status(const AccountId& id, AccountStatus status) override;
  void set_balances(const AccountId& id, const Balances& balances) override;
  std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after, std::size_t limit) override;

 private:
  Session& session_;
};

}  // namespace billing::detail::sqlite
