#include "subscriptions.hpp"

#include "../integrity.hpp"
#include "listing.hpp"

namespace billing::detail::memory {
namespace {

bool billable(SubscriptionStatus status) {
  return status == SubscriptionStatus::trialing || status == SubscriptionStatus::active ||
         status == SubscriptionStatus::past_due;
}

void index(SubscriptionTable& table, const Subscription& s) {
  if (billable(s.status)) table.due.emplace(s.current_period_end, s.id.str());
  table.by_account.emplace(s.account_id.str(), s.id.str());
  table.by_status.emplace(s.status, s.id.str());
}

void unindex(SubscriptionTable& table, const Subscription& s) {
  table.due.erase({s.current_period_end, s.id.str()});
  table.by_account.erase({s.account_id.str(), s.id.str()});
  table.by_status.erase({s.status, s.id.str()});
}

}  // namespace

void Subscriptions::check_references(const Subscription& subscription) const {
  if (!accounts_.rows.contains(subscription.account_id.str())) integrity::missing_account(subscription.account_id);
  if (!plans_.plans.contains(subscription.plan)) integrity::missing_plan(subscription.plan);
  if (!plans_.plans.contains(subscription.period_plan)) integrity::missing_plan(subscription.period_plan);
  if (!plans_.plans.contains(subscription.running_plan)) integrity::missing_plan(subscription.running_plan);
}

bool Subscriptions::insert(const Subscription& subscription) {
  session_.require_write();
  integrity::check_new_subscription(subscription);
  if (table_.rows.contains(subscription.id.str())) return false;
  check_references(subscription);
  const auto it = table_.rows.emplace(subscription.id.str(), subscription).first;
  index(table_, subscription);
  session_.on_rollback([this, key = it->first] {
    const auto row = table_.rows.find(key);
    unindex(table_, row->second);
    table_.rows.erase(row);
  });
  return true;
}

std::optional<Subscription> Subscriptions::find(const SubscriptionId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

bool Subscriptions::update(const Subscription& next) {
  session_.require_write();
  integrity::check_subscription(next);
  const auto it = table_.rows.find(next.id.str());
  if (it == table_.rows.end() || it->second.version + 1 != next.version) return false;
  Subscription& row = it->second;
  integrity::check_subscription_update(row, next);
  check_references(next);
  session_.on_rollback([this, &row, before = row] {
    unindex(table_, row);
    row = before;
    index(table_, row);
  });
  unindex(table_, row);
  row = next;
  index(table_, row);
  return true;
}

std::vector<Subscription> Subscriptions::due(Timestamp as_of, Timestamp after_end, const std::string& after_id,
                                             std::size_t limit) {
  session_.require_open();
  std::vector<Subscription> out;
  auto it = after_id.empty() ? table_.due.begin() : table_.due.upper_bound({after_end, after_id});
  for (; it != table_.due.end() && !(as_of < it->first) && out.size() < limit; ++it) {
    out.push_back(table_.rows.find(it->second)->second);
  }
  return out;
}

std::vector<Subscription> Subscriptions::list(const SubscriptionFilter& filter, const std::string& after,
                                              std::size_t limit) {
  session_.require_open();
  return list_by_account_or_status<Subscription>(table_, filter, after, limit);
}

void Subscriptions::insert_adjustment(const SubscriptionAdjustment& adjustment) {
  session_.require_write();
  integrity::check_adjustment(adjustment);
  const auto subscription = table_.rows.find(adjustment.subscription_id.str());
  if (subscription == table_.rows.end()) integrity::missing_subscription(adjustment.subscription_id);
  auto& period = table_.adjustments[{adjustment.subscription_id.str(), adjustment.period_start}];
  // The period's list may have been made just now: an empty one reads as no adjustments, so it may stay.
  const auto last = period.empty() ? std::uint32_t{0} : period.back().sequence;
  integrity::check_adjustment_append(adjustment, subscription->second.currency, last);
  period.push_back(adjustment);
  session_.on_rollback([&period] { period.pop_back(); });
}

std::vector<SubscriptionAdjustment> Subscriptions::adjustments(const SubscriptionId& id, Timestamp period_start) {
  session_.require_open();
  const auto it = table_.adjustments.find({id.str(), period_start});
  if (it == table_.adjustments.end()) return {};
  return it->second;
}

}  // namespace billing::detail::memory
