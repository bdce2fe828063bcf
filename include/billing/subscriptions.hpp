// Subscriptions: the service. Subscribes an account to a plan (plans.hpp) on a cycle anchored on a day of the
// month, moves its status along k_subscription_transitions, cancels it now or at the period's end, changes its
// plan with or without proration, and advances its period once that period is billed. docs/subscriptions.md
// has the rules.
//
// Every write joins this thread's Books::transaction() when one is open and is otherwise one unit of work.
// Reach it through Books::subscriptions(); safe to share between threads. Every change checks the stored
// version when `expected_version` is given, so two hosts that race on one subscription cannot both win.
//
//   auto made = books.subscriptions().create({.account_id = AccountId("acme"), .plan = "pro",
//                                             .start = books.clock().now(), .trial_days = 14});
//   books.subscriptions().change_plan(made.subscription->id, "team", Proration::by_seconds);
//   books.subscriptions().cancel(made.subscription->id, CancelAt::period_end);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/page.hpp"
#include "billing/subscription.hpp"

namespace billing {

namespace detail {
class Context;
}
class UnitOfWork;
class Accounts;
class Plans;

class Subscriptions {
 public:
  Subscriptions(detail::Context& context, Accounts& accounts, Plans& plans) noexcept
      : context_(context), accounts_(accounts), plans_(plans) {}

  /// Subscribes request.account_id to request.plan. Results in order: exists / exists_with_different_fields
  /// (the id is taken), account_not_found, account_closed (closed or inactive), plan_not_found,
  /// currency_mismatch, ok. Throws InvalidArgument naming "plan", "anchor_day" (outside 1..31, or given for a
  /// daily or weekly plan), "trial_days" (beyond k_max_trial_days) or "start" (outside the years 1970 to 2199);
  /// nothing is stored then.
  SubscriptionOutcome create(const SubscriptionRequest& request);

  [[nodiscard]] std::optional<Subscription> get(const SubscriptionId& id);
  [[nodiscard]] std::optional<Subscription> get(UnitOfWork& work, const SubscriptionId& id);

  /// Subscriptions in id order, a page at a time; of `account_id` and in `status` only, when given. Throws
  /// InvalidArgument (field "limit") outside 1..1,000.
  [[nodiscard]] Page<Subscription> list(const std::optional<AccountId>& account_id = std::nullopt,
                                        std::optional<SubscriptionStatus> status = std::nullopt,
                                        const std::optional<std::string>& cursor = std::nullopt,
                                        std::size_t limit = 100);

  /// Cancels now (status CANCELED, canceled_at = now; the current period is never billed) or at the period's
  /// end (cancel_at_period_end set; the billing run bills the period, then cancels). Canceling at the period's
  /// end twice is ok and changes nothing the second time.
  SubscriptionChange cancel(const SubscriptionId& id, CancelAt when = CancelAt::now,
                            std::optional<std::uint64_t> expected_version = std::nullopt);

  /// ACTIVE or PAST_DUE -> PAUSED, and PAUSED -> ACTIVE.
  SubscriptionChange pause(const SubscriptionId& id, std::optional<std::uint64_t> expected_version = std::nullopt);
  SubscriptionChange resume(const SubscriptionId& id, std::optional<std::uint64_t> expected_version = std::nullopt);

  /// Moves the subscription to `plan` (same interval and currency; another interval is interval_mismatch).
  /// Proration::by_seconds appends two adjustments to the current period: minus the old plan's flat fee for
  /// [now, period end) and plus the new plan's for the same span, each prorate()d by microseconds. With
  /// Proration::none the period's flat fee stays the old plan's; the new plan's starts with the next period.
  /// Usage of the period is priced on the plan current when the period is billed. A trialing subscription
  /// changes plan without proration (its trial is not billed). Changing to the current plan is ok and
  /// changes nothing.
  SubscriptionChange change_plan(const SubscriptionId& id, std::string_view plan, Proration proration,
                                 std::optional<std::uint64_t> expected_version = std::nullopt);

  /// Moves the status along the table (for dunning: PAST_DUE, and ACTIVE once paid).
  SubscriptionChange set_status(const SubscriptionId& id, SubscriptionStatus status,
                                std::optional<std::uint64_t> expected_version = std::nullopt);

  /// The adjustments the invoice of the period that starts at `period_start` carries, in order.
  [[nodiscard]] std::vector<SubscriptionAdjustment> adjustments(const SubscriptionId& id, Timestamp period_start);

  // ---- for the billing run, inside its unit of work

  /// Up to `limit` (1 to 1,000) subscriptions whose current period has ended by `as_of` and that are billable
  /// (trialing, active or past_due), soonest first; through the store's index of period ends.
  [[nodiscard]] std::vector<Subscription> due(UnitOfWork& work, Timestamp as_of, std::size_t limit);

  /// Ends the current period of `subscription` (as read in this unit of work): the next period of the cycle
  /// becomes current, its plan the subscription's plan; a trial ends (TRIALING -> ACTIVE); a subscription set
  /// to cancel at the period's end is CANCELED instead. Throws InvariantViolation when the stored version is not
  /// subscription.version (the caller read it in this unit of work, so it is).
  Subscription advance(UnitOfWork& work, const Subscription& subscription);

 private:
  SubscriptionChange change(const SubscriptionId& id, std::optional<std::uint64_t> expected_version,
                            SubscriptionStatus to);

  detail::Context& context_;
  Accounts& accounts_;
  Plans& plans_;
};

}  // namespace billing
