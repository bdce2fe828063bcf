// Accounts: opening accounts and moving them through their life cycle.
//
// Opening an account is idempotent by id: the same request again returns the account with
// AccountResult::exists. Status changes follow k_account_transitions (account.hpp). Reach it through
// Books::accounts(); safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/account.hpp"
#include "billing/page.hpp"

namespace billing {

namespace detail {
class Context;
}

/// The outcome of Accounts::create, checked in this order.
enum class AccountResult : std::uint8_t {
  ok,                            ///< opened
  exists,                        ///< an account with this id and the same fields exists; it is returned
  exists_with_different_fields,  ///< an account with this id and other fields exists; it is returned
};

/// The outcome of a status change, checked in this order.
enum class StatusResult : std::uint8_t {
  ok,                    ///< changed (or already in that status)
  account_not_found,     ///< no account has this id
  transition_forbidden,  ///< k_account_transitions does not allow the change
  balance_not_zero,      ///< closing needs posted debits == credits and nothing pending
};

[[nodiscard]] std::string_view to_string(AccountResult result) noexcept;
[[nodiscard]] std::string_view to_string(StatusResult result) noexcept;

struct [[nodiscard]] AccountOutcome {
  AccountResult result{};
  std::optional<Account> account{};  ///< the stored account, for every result
};

struct [[nodiscard]] StatusOutcome {
  StatusResult result{};
  std::optional<Account> account{};  ///< the account after the change; absent when not found
};

class Accounts {
 public:
  explicit Accounts(detail::Context& context) noexcept : context_(context) {}

  /// Opens an account. Throws InvalidArgument (naming the field) for a name that is empty, over-long,
  /// only white space or holds a control character (AccountRequest::name), a status other than pending or active, both
  /// balance flags, a limit without exactly one flag or below zero, or bad metadata; CurrencyMismatch when the limit's
  /// currency is not the account's. Nothing is stored then.
  AccountOutcome create(const AccountRequest& request);

  /// The account with `id`, or nullopt.
  [[nodiscard]] std::optional<Account> get(const AccountId& id);

  /// Up to `limit` (1 to 1,000) accounts in id order after `cursor` (the id the previous page's next_cursor
  /// gave, or empty), only those with `status` when given. Throws InvalidArgument (field "limit" or "cursor")
  /// for a limit outside 1..1,000 or a cursor that is not an account id.
  [[nodiscard]] Page<Account> list(std::optional<AccountStatus> status = std::nullopt, const std::string& cursor = "",
                                   std::size_t limit = 100);

  /// Moves an account to `status` if the table allows it. Leaves the account unchanged otherwise.
  StatusOutcome set_status(const AccountId& id, AccountStatus status);

 private:
  detail::Context& context_;
};

}  // namespace billing
