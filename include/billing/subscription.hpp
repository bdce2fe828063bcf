// Subscriptions: the values. A customer account on a plan (plan.hpp), billed once per cycle: a cycle anchored
// on a day of the month (calendar.hpp clamps it to the month's end), a status that moves through a table, the
// current period, and the adjustments (proration) the period's invoice will carry. The rules are in
// subscriptions.hpp; docs/subscriptions.md has the calendar and the proration arithmetic. Plain values; safe to
// share once built.
//
//   const SubscriptionOutcome made = books.subscriptions().create(
//       {.account_id = AccountId("acme"), .plan = "pro", .start = Timestamp::parse("2026-01-31T00:00:00Z")});
//   made.subscription->current_period_end;   // 2026-02-28T00:00:00Z: the cycle is anchored on the 31st
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/account.hpp"
#include "billing/calendar.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/time.hpp"

namespace billing {

struct SubscriptionIdTag {
  static constexpr std::string_view k_field = "subscription_id";
};
using SubscriptionId = Id<SubscriptionIdTag>;

/// Where a subscription is in its life.
/// - trialing: in its free trial; its first period is the trial, which is not billed.
/// - active: billed at the end of each period.
/// - past_due: its last invoice went unpaid after every attempt (dunning); still billed.
/// - paused: not billed; its periods still advance, so a resumed subscription bills from its current period.
/// - canceled: never billed again; final.
enum class SubscriptionStatus : std::uint8_t { trialing, active, past_due, paused, canceled };

inline constexpr SubscriptionStatus k_subscription_statuses[] = {
    SubscriptionStatus::trialing, SubscriptionStatus::active, SubscriptionStatus::past_due,
    SubscriptionStatus::paused, SubscriptionStatus::canceled};

/// The allowed status changes, read row (from) by column (to). Everything else is refused.
///
///   from \ to   TRIALING ACTIVE PAST_DUE PAUSED CANCELED
///   TRIALING       .       x       .       .       x
///   ACTIVE         .       .       x       x       x
///   PAST_DUE       .       x       .       x       x
///   PAUSED         .       x       .       .       x
///   CANCELED       .       .       .       .       .
inline constexpr std::array<std::array<bool, 5>, 5> k_subscription_transitions = {{
    {false, true, false, false, true},
    {false, false, true, true, true},
    {false, true, false, true, true},
    {false, true, false, false, true},
    {false, false, false, false, false},
}};

/// Whether the table above allows `from` -> `to`. False for a value that is not a SubscriptionStatus.
[[nodiscard]] constexpr bool subscription_transition_allowed(SubscriptionStatus from, SubscriptionStatus to) noexcept {
  const auto row = static_cast<std::size_t>(from);
  const auto column = static_cast<std::size_t>(to);
  return row < k_subscription_transitions.size() && column < k_subscription_transitions.size() &&
         k_subscription_transitions[row][column];
}

/// The allowed (from, to) pairs of k_subscription_transitions, row by row.
[[nodiscard]] std::vector<std::pair<SubscriptionStatus, SubscriptionStatus>> subscription_transitions();

/// What a host asks for when it subscribes an account to a plan.
struct SubscriptionRequest {
  std::optional<SubscriptionId> id{};  ///< made by the books' IdSource when absent
  AccountId account_id;                ///< an existing account in the plan's currency, not closed
  std::string plan{};                  ///< a plan's code
  Timestamp start{};                   ///< when the subscription (its trial, if any) begins
  /// The day of the month (1 to 31) a monthly or yearly cycle bills on, clamped to the month's end; the day of
  /// the first paid period's start when absent. A day other than that one makes the first period a stub up to
  /// the next such day, its flat fee prorated by seconds. Refused for daily and weekly plans.
  std::optional<unsigned> anchor_day{};
  std::uint32_t trial_days = 0;  ///< 0 to k_max_trial_days: a first, unbilled period of that many days
};

/// A subscription as stored.
struct Subscription {
  SubscriptionId id;
  AccountId account_id;
  std::string plan{};          ///< the plan of the next periods; the current period's usage is priced on it
  std::string period_plan{};   ///< the plan the current period started on: its flat fee is the invoice's base
  std::string running_plan{};  ///< the plan whose flat fee runs for the rest of the current period (proration)
  Currency currency;          ///< the plans' and the account's
  PlanInterval interval = PlanInterval::month;
  SubscriptionStatus status = SubscriptionStatus::active;
  Timestamp start{};             ///< as asked for
  std::optional<Timestamp> trial_end{};
  Timestamp cycle_origin{};      ///< billing_date(cycle_origin, interval, anchor_day, n) starts period n
  unsigned anchor_day = 1;       ///< 1 to 31
  std::int64_t period_index = 0; ///< the current period is number period_index of the cycle (the trial is -1)
  Timestamp current_period_start{};
  Timestamp current_period_end{};  ///< when the current period is billed
  bool cancel_at_period_end = false;
  std::optional<Timestamp> canceled_at{};
  std::uint64_t version = 1;  ///< one higher after every change
  Timestamp created_at{};
  Timestamp updated_at{};

  friend bool operator==(const Subscription&, const Subscription&) = default;
};

/// An amount the current period's invoice will carry besides the flat fee and the usage: a proration credit
/// (negative) or charge from a change of plan. Appended once, never changed.
struct SubscriptionAdjustment {
  SubscriptionId subscription_id;
  Timestamp period_start{};  ///< the period whose invoice carries it
  std::uint32_t sequence = 0;  ///< 1, 2, ... within the period
  std::string description{};
  Money amount;              ///< in the subscription's currency; negative for a credit
  Timestamp created_at{};

  friend bool operator==(const SubscriptionAdjustment&, const SubscriptionAdjustment&) = default;
};

/// The flat fee `fee` of the subscription's current period: zero in a trial; prorate()d by microseconds over
/// the cycle's full period for a first period that starts after its cycle date (a stub, from an anchor_day);
/// whole otherwise.
[[nodiscard]] Money period_fee(const Subscription& subscription, const Money& fee);

/// The outcome of Subscriptions::create, checked in this order.
enum class SubscriptionResult : std::uint8_t {
  ok,
  exists,                        ///< the same request made this id before: the stored subscription is returned
  exists_with_different_fields,  ///< the id is taken by another subscription; nothing changed
  account_not_found,
  account_closed,                ///< or inactive
  plan_not_found,
  currency_mismatch,             ///< the account's currency is not the plan's
};

/// The outcome of a change to a subscription (cancel, pause, resume, change_plan), checked in this order.
enum class SubscriptionChangeResult : std::uint8_t {
  ok,
  not_found,
  transition_forbidden,  ///< the status table does not allow it (a canceled subscription never changes)
  plan_not_found,        ///< change_plan: no such plan
  interval_mismatch,     ///< change_plan: the new plan bills on another interval or in another currency
  version_conflict,      ///< expected_version given and not the stored version
};

struct [[nodiscard]] SubscriptionOutcome {
  SubscriptionResult result{};
  std::optional<Subscription> subscription{};  ///< the stored subscription when one was found or made
  [[nodiscard]] bool ok() const noexcept { return result == SubscriptionResult::ok; }
};

struct [[nodiscard]] SubscriptionChange {
  SubscriptionChangeResult result{};
  std::optional<Subscription> subscription{};  ///< after the change; as stored when refused (nullopt: not found)
  std::vector<SubscriptionAdjustment> adjustments{};  ///< change_plan with proration: the credit and the charge
  [[nodiscard]] bool ok() const noexcept { return result == SubscriptionChangeResult::ok; }
};

/// When cancel() takes effect.
enum class CancelAt : std::uint8_t { now, period_end };

/// Whether change_plan() prorates.
enum class Proration : std::uint8_t {
  none,        ///< the new plan's flat fee applies from the next period; nothing is added to this one
  by_seconds,  ///< credit the unused part of the old plan's fee and charge the rest of the new one's
};

[[nodiscard]] std::string_view to_string(SubscriptionStatus status) noexcept;
[[nodiscard]] std::string_view to_string(SubscriptionResult result) noexcept;
[[nodiscard]] std::string_view to_string(SubscriptionChangeResult result) noexcept;

/// `fee` x (to - from) / (end - start), to the minor unit, half to even: the part of a period's fee that
/// [from, to) is of [start, end), by seconds (microseconds, exactly). Throws InvalidArgument naming "period"
/// unless start <= from <= to <= end and start < end.
[[nodiscard]] Money prorate(const Money& fee, Timestamp start, Timestamp end, Timestamp from, Timestamp to);

inline constexpr std::uint32_t k_max_trial_days = 730;

}  // namespace billing
