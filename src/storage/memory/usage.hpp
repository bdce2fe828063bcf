// The in-memory usage rows (meters, events, running aggregates with their distinct values, per-meter totals)
// and the repository over them. Internal to the adapter.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "billing/storage/usage_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct UsageTable {
  std::map<std::string, Meter, std::less<>> meters;
  std::unordered_map<std::string, StoredUsageEvent> events;  // by id, cancelled ones included
  // The live events by (meter, subject, at, id) and by (meter, at, id): what events() reads, as SQLite's indexes.
  std::set<std::tuple<std::string, std::string, std::int64_t, std::string>> by_subject;
  std::set<std::tuple<std::string, std::int64_t, std::string>> by_meter;
  std::map<UsageAggregateKey, UsageAggregate> aggregates;
  std::map<std::pair<UsageAggregateKey, std::string>, std::uint64_t> distinct;  // (key, value) -> events
  std::map<std::string, UsageTotals, std::less<>> totals;
};

class Usage final : public UsageRepository {
 public:
  Usage(Session& session, UsageTable& table) noexcept : session_(session), table_(table) {}

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
  /// Adds or removes the live event's entries in the two orders.
  void index(const StoredUsageEvent& event, bool add);

  Session& session_;
  UsageTable& table_;
};

}  // namespace billing::detail::memory
