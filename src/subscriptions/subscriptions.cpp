// Subscriptions' rules: what a request may ask for (checked before the store is touched), the cycle a new
// subscription starts on (its trial, its stub up to the anchor day), status moves along the table under the
// stored version, plan changes with proration, and the step from one period to the next.
#include "billing/subscriptions.hpp"

#include <fmt/format.h>

#include "../plans/plan_rules.hpp"
#include "billing/accounts.hpp"
#include "billing/error.hpp"
#include "billing/plans.hpp"
#include "billing/storage/store.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "context.hpp"

namespace billing {
namespace {

constexpr std::int64_t k_micros_per_day = 86'400'000'000;
// Subscriptions start from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z, as ledger times do.
constexpr Timestamp k_first_start = Timestamp::from_unix_micros(0);
constexpr Timestamp k_end_start = Timestamp::from_unix_micros(7'258'118'400'000'000);

bool monthly_or_yearly(PlanInterval interval) noexcept {
  return interval == PlanInterval::month || interval == PlanInterval::year;
}

void validate(const SubscriptionRequest& request) {
  detail::validate_code(request.plan, "plan", k_max_plan_code_bytes);
  if (request.anchor_day && (*request.anchor_day < 1 || *request.anchor_day > 31)) {
    throw InvalidArgument("anchor_day", fmt::format("{} is outside 1..31", *request.anchor_day));
  }
  if (request.trial_days > k_max_trial_days) {
    throw InvalidArgument("trial_days", fmt::format("{} is beyond the longest trial, {} days", request.trial_days,
                                                    k_max_trial_days));
  }
  if (request.start < k_first_start || !(request.start < k_end_start)) {
    throw InvalidArgument("start", "must be from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z");
  }
}

// The subscription `request` makes on `plan`, its cycle laid out: a trial of trial_days from start (period -1),
// then period 0 from the first paid moment up to the next date of the cycle. With an anchor day other than the
// first paid moment's day, the cycle's dates fall on that day (clamped), and period 0 is the stub up to the
// first of them after the first paid moment.
Subscription laid_out(const SubscriptionRequest& request, const SubscriptionId& id, const Plan& plan,
                      Currency currency, Timestamp now) {
  Subscription s{.id = id,
                 .account_id = request.account_id,
                 .plan = plan.code,
                 .period_plan = plan.code,
                 .running_plan = plan.code,
                 .currency = currency,
                 .interval = plan.interval,
                 .start = request.start,
                 .version = 1,
                 .created_at = now,
                 .updated_at = now};
  const Timestamp first_paid =
      request.start + std::chrono::microseconds(static_cast<std::int64_t>(request.trial_days) * k_micros_per_day);
  s.anchor_day = request.anchor_day.value_or(day_of_month(first_paid));
  s.cycle_origin = first_paid;
  if (monthly_or_yearly(plan.interval) && s.anchor_day != day_of_month(first_paid)) {
    // The cycle date of first_paid's month, or the one before it when that date is still ahead.
    const Timestamp same_month = billing_date(first_paid, PlanInterval::month, s.anchor_day, 0);
    s.cycle_origin = first_paid < same_month ? billing_date(same_month, plan.interval, s.anchor_day, -1) : same_month;
  }
  if (request.trial_days > 0) {
    s.status = SubscriptionStatus::trialing;
    s.trial_end = first_paid;
    s.period_index = -1;
    s.current_period_start = request.start;
    s.current_period_end = first_paid;
  } else {
    s.status = SubscriptionStatus::active;
    s.period_index = 0;
    s.current_period_start = first_paid;
    s.current_period_end = billing_date(s.cycle_origin, s.interval, s.anchor_day, 1);
  }
  return s;
}

// Whether a stored subscription is what `request` would make (the id aside, and what the store sets).
bool same_request(const Subscription& stored, const SubscriptionRequest& request) {
  if (stored.account_id != request.account_id || stored.start != request.start) return false;
  if (request.anchor_day && *request.anchor_day != stored.anchor_day) return false;
  if (request.trial_days == 0) return !stored.trial_end.has_value();
  const Timestamp trial_end =
      request.start + std::chrono::microseconds(static_cast<std::int64_t>(request.trial_days) * k_micros_per_day);
  return stored.trial_end.has_value() && *stored.trial_end == trial_end;
}

Subscription changed(const Subscription& from, Timestamp now) {
  Subscription next = from;
  next.version = from.version + 1;
  next.updated_at = now;
  return next;
}

// Stores `next` (one version after what this unit of work read); a lost race is impossible inside the unit.
void store(UnitOfWork& work, const Subscription& next) {
  const bool updated = work->subscriptions().update(next);
  BILLING_ASSERT(updated);  // read at next.version - 1 in this same unit of work
}

}  // namespace

SubscriptionOutcome Subscriptions::create(const SubscriptionRequest& request) {
  validate(request);
  const SubscriptionId id = request.id ? *request.id : SubscriptionId("sub_" + context_.ids().next());
  return context_.write_joined([&](UnitOfWork& work) -> SubscriptionOutcome {
    if (std::optional<Subscription> stored = work->subscriptions().find(id)) {
      const bool same = stored->plan == request.plan && same_request(*stored, request);
      return {same ? SubscriptionResult::exists : SubscriptionResult::exists_with_different_fields, std::move(stored)};
    }
    const std::optional<Account> account = accounts_.get(request.account_id);
    if (!account) return {SubscriptionResult::account_not_found, std::nullopt};
    if (account->status == AccountStatus::closed || account->status == AccountStatus::inactive) {
      return {SubscriptionResult::account_closed, std::nullopt};
    }
    const std::optional<Plan> plan = plans_.get(work, request.plan);
    if (!plan) return {SubscriptionResult::plan_not_found, std::nullopt};
    if (plan->currency != account->currency) return {SubscriptionResult::currency_mismatch, std::nullopt};
    if (request.anchor_day && !monthly_or_yearly(plan->interval)) {
      throw InvalidArgument("anchor_day", fmt::format("applies to monthly and yearly plans; {} bills every {}",
                                                      plan->code, to_string(plan->interval)));
    }
    Subscription made = laid_out(request, id, *plan, account->currency, context_.clock().now());
    const bool inserted = work->subscriptions().insert(made);
    BILLING_ASSERT(inserted);  // find() saw no subscription with this id in this unit of work
    return {SubscriptionResult::ok, std::move(made)};
  });
}

std::optional<Subscription> Subscriptions::get(const SubscriptionId& id) {
  return context_.read([&](UnitOfWork& work) { return get(work, id); });
}

std::optional<Subscription> Subscriptions::get(UnitOfWork& work, const SubscriptionId& id) {
  return work->subscriptions().find(id);
}

Page<Subscription> Subscriptions::list(const std::optional<AccountId>& account_id,
                                       std::optional<SubscriptionStatus> status,
                                       const std::optional<std::string>& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  const std::string after = cursor ? SubscriptionId(*cursor).str() : std::string();  // InvalidArgument: not an id
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->subscriptions().list({.account_id = account_id, .status = status}, after,
                                                        limit + 1),
                             limit, [](const Subscription& s) { return s.id.str(); });
  });
}

SubscriptionChange Subscriptions::change(const SubscriptionId& id, std::optional<std::uint64_t> expected_version,
                                         SubscriptionStatus to) {
  return context_.write_joined([&](UnitOfWork& work) -> SubscriptionChange {
    std::optional<Subscription> stored = work->subscriptions().find(id);
    if (!stored) return {SubscriptionChangeResult::not_found, std::nullopt, {}};
    if (!subscription_transition_allowed(stored->status, to)) {
      return {SubscriptionChangeResult::transition_forbidden, std::move(stored), {}};
    }
    if (expected_version && *expected_version != stored->version) {
      return {SubscriptionChangeResult::version_conflict, std::move(stored), {}};
    }
    const Timestamp now = context_.clock().now();
    Subscription next = changed(*stored, now);
    next.status = to;
    if (to == SubscriptionStatus::canceled) next.canceled_at = now;
    store(work, next);
    return {SubscriptionChangeResult::ok, std::move(next), {}};
  });
}

SubscriptionChange Subscriptions::cancel(const SubscriptionId& id, CancelAt when,
                                         std::optional<std::uint64_t> expected_version) {
  if (when == CancelAt::now) return change(id, expected_version, SubscriptionStatus::canceled);
  if (when != CancelAt::period_end) throw InvalidArgument("when", "is not a CancelAt");
  return context_.write_joined([&](UnitOfWork& work) -> SubscriptionChange {
    std::optional<Subscription> stored = work->subscriptions().find(id);
    if (!stored) return {SubscriptionChangeResult::not_found, std::nullopt, {}};
    if (stored->status == SubscriptionStatus::canceled) {
      return {SubscriptionChangeResult::transition_forbidden, std::move(stored), {}};
    }
    if (expected_version && *expected_version != stored->version) {
      return {SubscriptionChangeResult::version_conflict, std::move(stored), {}};
    }
    if (stored->cancel_at_period_end) return {SubscriptionChangeResult::ok, std::move(stored), {}};
    Subscription next = changed(*stored, context_.clock().now());
    next.cancel_at_period_end = true;
    store(work, next);
    return {SubscriptionChangeResult::ok, std::move(next), {}};
  });
}

SubscriptionChange Subscriptions::pause(const SubscriptionId& id, std::optional<std::uint64_t> expected_version) {
  return change(id, expected_version, SubscriptionStatus::paused);
}

SubscriptionChange Subscriptions::resume(const SubscriptionId& id, std::optional<std::uint64_t> expected_version) {
  return context_.write_joined([&](UnitOfWork& work) -> SubscriptionChange {
    std::optional<Subscription> stored = work->subscriptions().find(id);
    if (!stored) return {SubscriptionChangeResult::not_found, std::nullopt, {}};
    if (stored->status != SubscriptionStatus::paused) {
      return {SubscriptionChangeResult::transition_forbidden, std::move(stored), {}};
    }
    return change(id, expected_version, SubscriptionStatus::active);
  });
}

SubscriptionChange Subscriptions::set_status(const SubscriptionId& id, SubscriptionStatus status,
                                             std::optional<std::uint64_t> expected_version) {
  if (static_cast<std::size_t>(status) >= k_subscription_transitions.size()) {
    throw InvalidArgument("status", "is not a SubscriptionStatus");
  }
  return change(id, expected_version, status);
}

SubscriptionChange Subscriptions::change_plan(const SubscriptionId& id, std::string_view plan_code,
                                              Proration proration, std::optional<std::uint64_t> expected_version) {
  detail::validate_code(plan_code, "plan", k_max_plan_code_bytes);
  if (proration != Proration::none && proration != Proration::by_seconds) {
    throw InvalidArgument("proration", "is not a Proration");
  }
  return context_.write_joined([&](UnitOfWork& work) -> SubscriptionChange {
    std::optional<Subscription> stored = work->subscriptions().find(id);
    if (!stored) return {SubscriptionChangeResult::not_found, std::nullopt, {}};
    if (stored->status == SubscriptionStatus::canceled) {
      return {SubscriptionChangeResult::transition_forbidden, std::move(stored), {}};
    }
    const std::optional<Plan> to = plans_.get(work, plan_code);
    if (!to) return {SubscriptionChangeResult::plan_not_found, std::move(stored), {}};
    if (to->interval != stored->interval || to->currency != stored->currency) {
      return {SubscriptionChangeResult::interval_mismatch, std::move(stored), {}};
    }
    if (expected_version && *expected_version != stored->version) {
      return {SubscriptionChangeResult::version_conflict, std::move(stored), {}};
    }
    if (stored->plan == to->code) return {SubscriptionChangeResult::ok, std::move(stored), {}};

    const Timestamp now = context_.clock().now();
    Subscription next = changed(*stored, now);
    next.plan = to->code;
    std::vector<SubscriptionAdjustment> added;
    if (stored->status == SubscriptionStatus::trialing) {
      next.period_plan = to->code;  // the trial is not billed: the first paid period starts on the new plan
      next.running_plan = to->code;
    } else if (proration == Proration::by_seconds) {
      const std::optional<Plan> running = plans_.get(work, stored->running_plan);
      BILLING_ASSERT(running.has_value());  // plans are never deleted
      const Timestamp start = stored->current_period_start;
      const Timestamp end = stored->current_period_end;
      const Timestamp from = now < start ? start : (end < now ? end : now);
      // Prorated over the cycle's full period, which a stub is part of, so that each amount is rounded once.
      const Timestamp cycle_start =
          billing_date(stored->cycle_origin, stored->interval, stored->anchor_day, stored->period_index);
      const Timestamp cycle_end =
          billing_date(stored->cycle_origin, stored->interval, stored->anchor_day, stored->period_index + 1);
      const Money zero = Money::zero(stored->currency);
      const Money old_fee = running->flat_fee.value_or(zero);
      const Money new_fee = to->flat_fee.value_or(zero);
      std::uint32_t sequence = static_cast<std::uint32_t>(work->subscriptions().adjustments(id, start).size());
      const auto adjust = [&](std::string description, Money amount) {
        SubscriptionAdjustment adjustment{.subscription_id = id,
                                          .period_start = start,
                                          .sequence = ++sequence,
                                          .description = std::move(description),
                                          .amount = amount,
                                          .created_at = now};
        work->subscriptions().insert_adjustment(adjustment);
        added.push_back(std::move(adjustment));
      };
      adjust(fmt::format("unused time on {} from {}", running->code, from.to_string()),
             -prorate(old_fee, cycle_start, cycle_end, from, end));
      adjust(fmt::format("remaining time on {} from {}", to->code, from.to_string()),
             prorate(new_fee, cycle_start, cycle_end, from, end));
      next.running_plan = to->code;
    }
    store(work, next);
    return {SubscriptionChangeResult::ok, std::move(next), std::move(added)};
  });
}

std::vector<SubscriptionAdjustment> Subscriptions::adjustments(const SubscriptionId& id, Timestamp period_start) {
  return context_.read([&](UnitOfWork& work) { return work->subscriptions().adjustments(id, period_start); });
}

std::vector<Subscription> Subscriptions::due(UnitOfWork& work, Timestamp as_of, std::size_t limit) {
  detail::check_page_limit(limit);
  return work->subscriptions().due(as_of, Timestamp(), "", limit);
}

Subscription Subscriptions::advance(UnitOfWork& work, const Subscription& subscription) {
  const std::optional<Subscription> stored = work->subscriptions().find(subscription.id);
  if (!stored || stored->version != subscription.version) {
    throw InvariantViolation("version", "the subscription changed since this unit of work read it");
  }
  Subscription next = changed(*stored, context_.clock().now());
  if (stored->cancel_at_period_end) {
    next.status = SubscriptionStatus::canceled;
    next.canceled_at = stored->current_period_end;
    store(work, next);
    return next;
  }
  if (stored->status == SubscriptionStatus::trialing) next.status = SubscriptionStatus::active;
  next.period_index = stored->period_index + 1;
  next.current_period_start = stored->current_period_end;
  next.current_period_end = billing_date(stored->cycle_origin, stored->interval, stored->anchor_day,
                                         next.period_index + 1);
  next.period_plan = stored->plan;
  next.running_plan = stored->plan;
  store(work, next);
  return next;
}

}  // namespace billing
