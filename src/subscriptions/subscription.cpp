// Subscriptions' values: names, the status table's pairs, and proration by microseconds.
#include "billing/subscription.hpp"

#include "../wide_int.hpp"
#include "billing/calendar.hpp"
#include "billing/error.hpp"

namespace billing {

std::vector<std::pair<SubscriptionStatus, SubscriptionStatus>> subscription_transitions() {
  std::vector<std::pair<SubscriptionStatus, SubscriptionStatus>> out;
  for (const SubscriptionStatus from : k_subscription_statuses) {
    for (const SubscriptionStatus to : k_subscription_statuses) {
      if (subscription_transition_allowed(from, to)) out.emplace_back(from, to);
    }
  }
  return out;
}

Money prorate(const Money& fee, Timestamp start, Timestamp end, Timestamp from, Timestamp to) {
  if (!(start < end)) throw InvalidArgument("period", "must start before it ends");
  if (from < start || to < from || end < to) {
    throw InvalidArgument("period", "the prorated span must lie within the period, from before to");
  }
  // |minor| < 2^63 and a span < 2^63 microseconds: the product stays below 2^126.
  const std::int64_t minor = fee.minor();
  const auto magnitude = static_cast<detail::Magnitude>(minor < 0 ? -static_cast<detail::native_int128>(minor)
                                                                  : static_cast<detail::native_int128>(minor));
  const auto part = static_cast<detail::Magnitude>((to - from).count());
  const auto whole = static_cast<detail::Magnitude>((end - start).count());
  const detail::Magnitude rounded =
      detail::divide_rounded_magnitude(magnitude * part, whole, minor < 0, RoundingMode::half_even);
  const auto value = static_cast<std::int64_t>(rounded);  // <= |minor|: fits
  return Money::from_minor(minor < 0 ? -value : value, fee.currency());
}

Money period_fee(const Subscription& subscription, const Money& fee) {
  if (subscription.period_index < 0) return Money::zero(fee.currency());  // the trial
  const Timestamp cycle_start = billing_date(subscription.cycle_origin, subscription.interval, subscription.anchor_day,
                                             subscription.period_index);
  if (subscription.current_period_start == cycle_start) return fee;
  const Timestamp cycle_end = billing_date(subscription.cycle_origin, subscription.interval, subscription.anchor_day,
                                           subscription.period_index + 1);
  return prorate(fee, cycle_start, cycle_end, subscription.current_period_start, subscription.current_period_end);
}

std::string_view to_string(SubscriptionStatus status) noexcept {
  switch (status) {
    case SubscriptionStatus::trialing: return "trialing";
    case SubscriptionStatus::active: return "active";
    case SubscriptionStatus::past_due: return "past_due";
    case SubscriptionStatus::paused: return "paused";
    case SubscriptionStatus::canceled: return "canceled";
  }
  return "?";
}

std::string_view to_string(SubscriptionResult result) noexcept {
  switch (result) {
    case SubscriptionResult::ok: return "ok";
    case SubscriptionResult::exists: return "exists";
    case SubscriptionResult::exists_with_different_fields: return "exists_with_different_fields";
    case SubscriptionResult::account_not_found: return "account_not_found";
    case SubscriptionResult::account_closed: return "account_closed";
    case SubscriptionResult::currency_mismatch: return "currency_mismatch";
    case SubscriptionResult::plan_not_found: return "plan_not_found";
  }
  return "?";
}

std::string_view to_string(SubscriptionChangeResult result) noexcept {
  switch (result) {
    case SubscriptionChangeResult::ok: return "ok";
    case SubscriptionChangeResult::not_found: return "not_found";
    case SubscriptionChangeResult::transition_forbidden: return "transition_forbidden";
    case SubscriptionChangeResult::plan_not_found: return "plan_not_found";
    case SubscriptionChangeResult::interval_mismatch: return "interval_mismatch";
    case SubscriptionChangeResult::version_conflict: return "version_conflict";
  }
  return "?";
}

}  // namespace billing
