// The PostgreSQL subscriptions and their adjustments (tables `subscriptions` and `subscription_adjustments`, see
// migrations/v8_subscriptions.inc) and the repository over them. Internal to the adapter.
//
// The semantics are the SQLite adapter's (src/storage/sqlite/subscriptions.cpp), refusal for refusal. What
// differs is how: PostgreSQL aborts the whole transaction at a failed statement, so every refusal is decided
// before or without one (a conditional INSERT or UPDATE that changes no row, then a look at why), never by a
// constraint firing. In a write transaction find() and due() lock the rows they return (FOR NO KEY UPDATE: the
// lock an UPDATE of the row takes, which lets other transactions' foreign keys to it go on), so that two billing
// runs, or a billing run and a plan change, take turns on a subscription instead of both acting on one version;
// and, as no other transaction can change a row this one holds, the repository keeps each such row as stored and
// serves find() from it.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/subscription_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

/// The SQL of due() from the start and after a cursor, of each listing (no filter, by account, by status, by
/// both), then of find, update and adjustments, for the adapter's tests (EXPLAIN: each must be served by an
/// index). The reads are the plain ones, without the lock a write transaction adds.
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
  /// How many held rows a transaction keeps: the billing run holds one or a few.
  static constexpr std::size_t k_max_held = 64;

  /// After a write that matched no row: InvariantViolation naming the account or plan of `subscription` that is
  /// not stored; returns when all are.
  void name_missing_reference(const Subscription& subscription);
  /// The row `id` as this write transaction holds it, or null when it holds none.
  [[nodiscard]] const Subscription* held(const SubscriptionId& id) const noexcept;
  /// Keeps `subscription` as the row this write transaction holds (locked or inserted), while there is room.
  void hold(const Subscription& subscription);

  Session& session_;
  /// The rows this write transaction holds (it read them locked, inserted or updated them), as stored: no other
  /// transaction can change them before this one ends, so find() serves them without asking the server.
  std::vector<Subscription> held_;
};

}  // namespace billing::detail::postgres
