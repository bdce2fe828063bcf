// The in-memory subscriptions and their adjustments, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "accounts.hpp"
#include "billing/storage/subscription_repository.hpp"
#include "plans.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct SubscriptionTable {
  std::map<std::string, Subscription, std::less<>> rows;  // by id, so that list() runs in id order
  // What due() and list() read, as SQLite's indexes: the billable subscriptions by (current_period_end, id),
  // and every subscription by (account, id) and by (status, id).
  std::set<std::pair<Timestamp, std::string>> due;
  std::set<std::pair<std::string, std::string>> by_account;
  std::set<std::pair<SubscriptionStatus, std::string>> by_status;
  // By (subscription id, period start), in sequence order.
  std::map<std::pair<std::string, Timestamp>, std::vector<SubscriptionAdjustment>> adjustments;
};

class Subscriptions final : public SubscriptionRepository {
 public:
  /// `accounts` and `plans` are the store's, which a subscription must name, as SQLite's foreign keys.
  Subscriptions(Session& session, SubscriptionTable& table, const AccountTable& accounts,
                const PlanTable& plans) noexcept
      : session_(session), table_(table), accounts_(accounts), plans_(plans) {}

  bool insert(const Subscription& subscription) override;
  std::optional<Subscription> find(const SubscriptionId& id) override;
  bool update(const Subscription& next) override;
  std::vector<Subscription> due(Timestamp as_of, Timestamp after_end, const std::string& after_id,
                                std::size_t limit) override;
  std::vector<Subscription> list(const SubscriptionFilter& filter, const std::string& after,
                                 std::size_t limit) override;
  void insert_adjustment(const SubscriptionAdjustment& adjustment) override;
  std::vector<SubscriptionAdjustment> adjustments(const SubscriptionId& id, Timestamp period_start) override;

 private:
  /// Throws InvariantViolation unless the account and the three plans that `subscription` names are stored.
  void check_references(const Subscription& subscription) const;

  Session& session_;
  SubscriptionTable& table_;
  const AccountTable& accounts_;
  const PlanTable& plans_;
};

}  // namespace billing::detail::memory
