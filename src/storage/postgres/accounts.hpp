// The PostgreSQL account rows (table `accounts`, see migrations/v1_accounts_and_ledger.inc) and the
// repository over them. Internal to the adapter.
//
// Every change of an account row (status, balances) happens under the ledger's writer lock, and so does
// every read of one in a write transaction (session.hpp): a writer that read an account's balances or
// status acts on them knowing that no other writer can change them before it ends. A read transaction
// takes no lock; its snapshot holds the rows as they were.
#pragma once

#include "billing/storage/account_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

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

}  // namespace billing::detail::postgres
