// The SQLite subscriptions and their adjustments (tables `subscriptions` and `subscription_adjustments`, see
// migrations/v9_subscriptions.inc) and the repository over them. Internal to the adapter.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/subscription_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

/// The SQL of due() from the start and after a cursor, of each listing (no filter, by account, by status, by
/// both), then of find, update and adjustments, for the adapter's tests: each must be served by an index
/// (EXPLAIN QUERY PLAN).
[[nodiscard]] std::vector<std::string> subscription_reads_for_testing();

class Subscriptions final : public SubscriptionRepository {
 public:
  explicit Subscriptions(Session& session) noexcept : session_(session) {}

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
  /// After a write that a foreign key refused: InvariantViolation naming the account or plan of
  /// `subscription` that is not stored; returns when all are.
  void name_missing_reference(const Subscription& subscription);
  /// Why insert_adjustment's INSERT was refused, in the memory adapter's words; returns when it finds no reason.
  void name_adjustment_refusal(const SubscriptionAdjustment& adjustment);

  Session& session_;
};

}  // namespace billing::detail::sqlite
