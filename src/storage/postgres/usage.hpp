// The PostgreSQL usage tables (usage_meters, usage_events, usage_aggregates, usage_distinct, usage_totals; see
// migrations/v6_usage.inc) and the repository over them. Internal to the adapter.
//
// Usage writers take turns, as the ledger's do: in a write transaction the first call of this repository
// waits for and then holds (until the transaction ends) one lock of the area (Session::lock_key("usage",
// "writers")), before its first read. Every find-then-put of the area (event_exists then insert_event,
// find_aggregate then put_aggregate, add_distinct's count then its change, totals then put_totals,
// find_meter then insert_meter) then reads what the last writer committed, and no other writer changes it
// before this one ends. Finer locks would buy little and cost much here:
//  - every event of a meter folds into the meter's rows of every subject together and into its totals, so
//    the writers of one meter take turns on those rows whatever the locks;
//  - a batch touches its meters, subjects and buckets in the order of its events, so two batches that lock
//    rows (or keys) as they go deadlock whenever their orders cross (each a second of deadlock_timeout,
//    then a retry);
//  - a lock per event id or per new bucket takes one entry of the server's lock table each, and a batch of
//    k_max_record_batch events would take more than a default server holds (max_locks_per_transaction 64:
//    about 12,000 entries in all), failing with "out of shared memory".
// Read transactions take no lock: they see one snapshot.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "billing/storage/usage_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

class Usage final : public UsageRepository {
 public:
  explicit Usage(Session& session) noexcept : session_(session) {}

  bool insert_meter(const Meter& meter) override;
  std::optional<Meter> find_meter(std::string_view code) override;
  std::vector<Meter> meters() override;

  bool event_exists(std::string_view id) override;
  void insert_event(const StoredUsageEvent& event) override;
  std::optional<StoredUsageEvent> find_event(std::string_view id) override;
  void mark_cancelled(std::string_view id, Timestamp at) override;
  std::vector<StoredUsageEvent> events(const UsageEventQuery& query, const std::optional<UsageEventCursor>& after,
                                       std::size_t limit) override;

  std::optional<UsageAggregate> find_aggregate(const UsageAggregateKey& key) override;
  void put_aggregate(const UsageAggregate& aggregate) override;
  std::vector<UsageAggregate> aggregates(const UsageAggregateRange& range) override;
  std::vector<UsageAggregate> aggregates_of_subjects(std::string_view meter, UsagePeriod period, Timestamp start,
                                                     Timestamp end) override;
  std::uint64_t add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) override;
  std::vector<std::string> distinct_values(const UsageAggregateRange& range) override;

  UsageTotals totals(std::string_view meter) override;
  void put_totals(const UsageTotals& totals) override;

 private:
  /// In a write transaction, waits for and then holds the usage writers' lock, unless it holds it already.
  void take_turn();
  /// The connection for a read (Misuse after commit), once this transaction holds the writers' lock when it
  /// is a write transaction.
  Connection& reader();
  /// The connection for a write (Misuse after commit and in a read transaction), once this transaction holds
  /// the writers' lock.
  Connection& writer();
  /// The stored meter `code`, from this transaction's cache (a meter never changes once stored).
  const Meter* cached_meter(std::string_view code);

  Session& session_;
  std::map<std::string, Meter, std::less<>> meters_;
  bool holds_turn_ = false;  // this write transaction holds the usage writers' lock
};

/// The SQL of the repository's reads, for the adapter's own tests (EXPLAIN): each is served by an index once
/// its table holds more than a few rows (the planner scans a table of a page or two). The listings of every
/// meter and of every subject's aggregates sort what they read (a short list; a range of buckets).
[[nodiscard]] std::vector<std::string> usage_reads_for_testing();

}  // namespace billing::detail::postgres
