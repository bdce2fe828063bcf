// Account: a named bucket of one currency in the double-entry ledger, with a status life cycle,
// balance constraints and running totals.
//
// These are plain values: the rules that create and change accounts live in accounts.hpp, and the
// ledger (ledger.hpp) is the only writer of balances. Values are safe to share between threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "billing/currency.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing {

struct AccountIdTag {
  static constexpr std::string_view k_field = "account_id";
};
using AccountId = Id<AccountIdTag>;

/// Free-form string pairs kept with accounts and entries. Sorted, so that equal maps encode alike.
/// At most 64 pairs; keys are 1 to 64 bytes of UTF-8, not only white space and without control
/// characters; values are up to 1,024 bytes of UTF-8 (any characters).
using Metadata = std::map<std::string, std::string, std::less<>>;
inline constexpr std::size_t k_max_metadata_pairs = 64;
inline constexpr std::size_t k_max_metadata_key_bytes = 64;
inline constexpr std::size_t k_max_metadata_value_bytes = 1024;

/// The longest account name, in bytes of UTF-8.
inline constexpr std::size_t k_max_account_name_bytes = 256;

/// A side of a posting, and the side on which an account's balance normally grows.
enum class Side : std::uint8_t { debit, credit };

/// The account life cycle. Only an active account accepts new postings.
enum class AccountStatus : std::uint8_t { pending, active, inactive, closed };

inline constexpr AccountStatus k_account_statuses[] = {AccountStatus::pending, AccountStatus::active,
                                                       AccountStatus::inactive, AccountStatus::closed};

/// The allowed status changes, read row (from) by column (to):
///
///   from \ to   PENDING ACTIVE INACTIVE CLOSED
///   PENDING        .      x       .       .
///   ACTIVE         .      .       x       x
///   INACTIVE       .      x       .       x
///   CLOSED         .      .       .       .
inline constexpr std::array<std::array<bool, 4>, 4> k_account_transitions = {{
    {false, true, false, false},
    {false, false, true, true},
    {false, true, false, true},
    {false, false, false, false},
}};

/// Whether the table above allows `from` -> `to`.
[[nodiscard]] constexpr bool account_transition_allowed(AccountStatus from, AccountStatus to) noexcept {
  return k_account_transitions[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

/// Running totals of an account, in minor units of its currency. Each is >= 0.
struct Balances {
  std::int64_t debits_posted = 0;
  std::int64_t credits_posted = 0;
  std::int64_t debits_pending = 0;
  std::int64_t credits_pending = 0;

  friend bool operator==(const Balances&, const Balances&) = default;
};

/// What a host asks for when it opens an account.
struct AccountRequest {
  std::optional<AccountId> id{};  ///< made by the IdSource when absent
  Currency currency;
  std::string name{};  ///< 1 to 256 bytes of UTF-8, not only white space, no control characters
  Side normal_side = Side::debit;
  AccountStatus status = AccountStatus::active;  ///< pending or active
  /// Debits (posted and pending) may not pass credits posted by more than `limit` (0 when absent).
  bool debits_must_not_exceed_credits = false;
  /// Credits (posted and pending) may not pass debits posted by more than `limit` (0 when absent).
  bool credits_must_not_exceed_debits = false;
  /// A credit line or overdraft in the account's currency, >= 0; needs exactly one of the two flags.
  std::optional<Money> limit{};
  Metadata metadata{};
};

struct Account {
  AccountId id;
  Currency currency;
  std::string name{};
  Side normal_side{};
  AccountStatus status{};
  bool debits_must_not_exceed_credits{};
  bool credits_must_not_exceed_debits{};
  std::optional<Money> limit{};
  Metadata metadata{};
  Timestamp created_at{};
  Balances balances{};

  /// Posted balance on the normal side: debits - credits for a debit-normal account, else the reverse.
  [[nodiscard]] Money net_balance() const;
  /// Posted plus pending on the normal side, as if every hold were captured.
  [[nodiscard]] Money projected_balance() const;
  /// How much more may be posted against the constrained side before a limit stops it, or nullopt
  /// when the account has no balance constraint.
  [[nodiscard]] std::optional<Money> available() const;

  friend bool operator==(const Account&, const Account&) = default;
};

[[nodiscard]] std::string_view to_string(Side side) noexcept;
[[nodiscard]] std::string_view to_string(AccountStatus status) noexcept;

namespace detail {
/// Throws InvalidArgument naming `field` when metadata breaks the limits documented on Metadata.
void validate_metadata(const Metadata& metadata, std::string_view field);
}  // namespace detail

}  // namespace billing
