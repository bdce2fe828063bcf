// The SQLite usage tables (usage_meters, usage_events, usage_aggregates, usage_distinct, usage_totals; see
// migrations/v7_usage.inc) and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "billing/storage/usage_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

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
  /// The stored meter `code`, from this transaction's cache (a meter never changes once stored).
  const Meter* cached_meter(std::string_view code);

  Session& session_;
  std::map<std::string, Meter, std::less<>> meters_;
};

/// The SQL of the repository's reads, for the adapter's own tests: each must be served by an index
/// (EXPLAIN QUERY PLAN), never by a scan of a table or a sort.
[[nodiscard]] std::vector<std::string> usage_reads_for_testing();

}  // namespace billing::detail::sqlite
