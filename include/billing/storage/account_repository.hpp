// The accounts area's storage: the repository interface its rules use, and nothing about how an
// adapter keeps the rows. An adapter implements it in src/storage/<adapter>/accounts.cpp.
// One instance belongs to one Transaction and to the thread that uses it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "billing/account.hpp"

namespace billing {

/// Account rows. Accounts change status and balances; they are never removed.
class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  /// Stores a new account. Returns false, storing nothing, when an account with its id exists.
  [[nodiscard]] virtual bool insert(const Account& account) = 0;
  /// The account with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Account> find(const AccountId& id) = 0;
  /// Replaces the status of an existing account. Throws InvariantViolation when there is none.
  virtual void set_status(const AccountId& id, AccountStatus status) = 0;
  /// Replaces the running totals of an existing account. Throws InvariantViolation when there is none.
  virtual void set_balances(const AccountId& id, const Balances& balances) = 0;
  /// Up to `limit` accounts whose id sorts after `after` (from the start when empty), in id order,
  /// only those with `status` when given.
  [[nodiscard]] virtual std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after,
                                                  std::size_t limit) = 0;
};

}  // namespace billing
