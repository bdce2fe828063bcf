// The subscriptions area's storage: the repository interface its rules (subscriptions.hpp) use. An adapter
// implements it in src/storage/<adapter>/subscriptions.cpp. One instance belongs to one Transaction and to the
// thread that uses it.
//
// A subscription's identity (id, account, currency, interval, start, created_at) never changes; everything
// else moves with its version one higher each time, and its status only along k_subscription_transitions or
// not at all (advancing a period keeps it), except that CANCELED is final. A subscription is never deleted. Adjustments are append-only. The adapter decides nothing: it stores, loads, and
// refuses (InvariantViolation) a row the rules could never produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/subscription.hpp"

namespace billing {

/// Which subscriptions a listing returns: those of `account_id` and in `status`, when given.
struct SubscriptionFilter {
  std::optional<AccountId> account_id{};
  std::optional<SubscriptionStatus> status{};
};

class SubscriptionRepository {
 public:
  virtual ~SubscriptionRepository() = default;

  /// Stores a new subscription. Returns false, storing nothing, when one with its id exists. Throws
  /// InvariantViolation for a row that breaks the area's invariants (version 1, period_start < period_end,
  /// anchor_day 1 to 31, ...; integrity.hpp: check_subscription), or whose account ("account_id") or plans
  /// ("plan") do not exist.
  [[nodiscard]] virtual bool insert(const Subscription& subscription) = 0;

  /// The subscription with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Subscription> find(const SubscriptionId& id) = 0;

  /// Replaces the stored subscription `next.id` at version next.version - 1 with `next`. Returns false,
  /// changing nothing, when no subscription has that id at that version. Throws InvariantViolation when
  /// `next` changes an immutable column, moves the status along a pair the table refuses, or breaks the
  /// invariants; the row stays as it was then.
  [[nodiscard]] virtual bool update(const Subscription& next) = 0;

  /// Up to `limit` subscriptions that are not canceled or paused and whose current period ends at or before
  /// `as_of`, in (current_period_end, id) order, after (`after_end`, `after_id`) when `after_id` is not empty.
  /// Reads an index on (current_period_end, id) of billable subscriptions, never every row.
  [[nodiscard]] virtual std::vector<Subscription> due(Timestamp as_of, Timestamp after_end,
                                                      const std::string& after_id, std::size_t limit) = 0;

  /// Up to `limit` subscriptions that match `filter`, with an id after `after` (from the start when empty),
  /// in id order.
  [[nodiscard]] virtual std::vector<Subscription> list(const SubscriptionFilter& filter, const std::string& after,
                                                       std::size_t limit) = 0;

  /// Appends an adjustment. Throws InvariantViolation when no subscription has its id, when its sequence is not
  /// one more than the period's last (1 for the first), or when its currency is not the subscription's.
  virtual void insert_adjustment(const SubscriptionAdjustment& adjustment) = 0;

  /// The adjustments of (id, period_start), in sequence order.
  [[nodiscard]] virtual std::vector<SubscriptionAdjustment> adjustments(const SubscriptionId& id,
                                                                        Timestamp period_start) = 0;
};

}  // namespace billing
