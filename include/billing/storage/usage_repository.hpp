// Usage metering's storage: the repository interface the metering rules (usage.hpp) use, and its row
// types. An adapter implements it in src/storage/<adapter>/usage.cpp. One instance belongs to one
// Transaction and to the thread that uses it.
//
// The adapter keeps four kinds of rows: meters (never change once stored), events (never change but
// for being marked cancelled once), running aggregates per (meter, subject, group, period, bucket start),
// each with the distinct values its events carried (for unique_count), and one row of totals per meter.
// It stores what the rules computed and decides nothing: which aggregates an event touches and how it
// folds into them are the rules' (src/usage/). Every function that writes throws InvariantViolation
// (naming the field, integrity.hpp) for a row the rules could never produce, and stores nothing then.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/decimal.hpp"
#include "billing/meter.hpp"
#include "billing/time.hpp"

namespace billing {

/// The span of an aggregate's bucket. all_time has one bucket, which starts at the Unix epoch; an hour,
/// day or month bucket starts at the UTC hour, day or first of the month that holds its events.
enum class UsagePeriod : std::uint8_t { all_time, hour, day, month };

/// Which running aggregate a row is.
struct UsageAggregateKey {
  std::string meter{};
  std::string subject{};               ///< empty: every subject of the meter together
  std::optional<std::string> group{};  ///< the group_by property's value; nullopt: every group together
  UsagePeriod period = UsagePeriod::all_time;
  Timestamp bucket_start{};

  friend bool operator==(const UsageAggregateKey&, const UsageAggregateKey&) = default;
  friend std::strong_ordering operator<=>(const UsageAggregateKey&, const UsageAggregateKey&) = default;
};

/// One running aggregate: what every aggregation needs, kept for every meter (an event's value is its
/// decimal value, or 1 for count and unique_count). A row whose events were all cancelled has count 0 and
/// no min, max or latest.
struct UsageAggregate {
  UsageAggregateKey key{};
  std::uint64_t count = 0;
  Decimal sum{};
  std::optional<Decimal> min{};
  std::optional<Decimal> max{};
  std::optional<Decimal> latest{};  ///< the value of the event with the latest (at, id)
  std::optional<Timestamp> latest_at{};
  std::string latest_event_id{};
  std::uint64_t unique_count = 0;  ///< how many distinct values the key's distinct rows hold

  friend bool operator==(const UsageAggregate&, const UsageAggregate&) = default;
};

/// An event as stored, with what the rules read from it when it was recorded.
struct StoredUsageEvent {
  RecordedEvent recorded;
  std::string value{};                 ///< its value as decimal text, or as the property's text for unique_count
  std::optional<std::string> group{};  ///< its group_by property's value ("" when it has none); nullopt without group_by

  friend bool operator==(const StoredUsageEvent&, const StoredUsageEvent&) = default;
};

/// A meter's running figures across subjects over all time: `subjects` with at least one event that counts,
/// `events` that count, the sum of the subjects' all-time values (`total`) and of the events' values (`sum`).
struct UsageTotals {
  std::string meter{};
  std::uint64_t subjects = 0;
  std::uint64_t events = 0;
  Decimal total{};
  Decimal sum{};

  friend bool operator==(const UsageTotals&, const UsageTotals&) = default;
};

/// Which live events a listing returns: of `meter`, of `subject` when given (every subject otherwise), of
/// `group` when given, with start <= at < end.
struct UsageEventQuery {
  std::string meter{};
  std::optional<std::string> subject{};
  std::optional<std::string> group{};
  Timestamp start{};
  Timestamp end{};
};

/// Where a listing of events resumes: after the event (at, id).
struct UsageEventCursor {
  Timestamp at{};
  std::string id{};
};

/// Which aggregates a range read returns: those of (meter, subject, group, period) with
/// start <= bucket_start < end.
struct UsageAggregateRange {
  std::string meter{};
  std::string subject{};
  std::optional<std::string> group{};
  UsagePeriod period = UsagePeriod::hour;
  Timestamp start{};
  Timestamp end{};
};

class UsageRepository {
 public:
  virtual ~UsageRepository() = default;

  // ---------------------------------------------------------------------------------------- meters

  /// Stores a new meter. Returns false and stores nothing when its code exists. Throws InvariantViolation
  /// for a meter the rules would refuse (integrity.hpp: check_meter).
  virtual bool insert_meter(const Meter& meter) = 0;
  /// The meter with `code`, or nullopt.
  [[nodiscard]] virtual std::optional<Meter> find_meter(std::string_view code) = 0;
  /// Every meter, by code.
  [[nodiscard]] virtual std::vector<Meter> meters() = 0;

  // ---------------------------------------------------------------------------------------- events

  /// Whether an event with `id` is stored (cancelled or not).
  [[nodiscard]] virtual bool event_exists(std::string_view id) = 0;
  /// Stores a new event, not cancelled. Throws InvariantViolation (field "event_id") when its id exists, or
  /// when its meter does not (field "meter"), and for a row that breaks check_usage_event; stores nothing then.
  virtual void insert_event(const StoredUsageEvent& event) = 0;
  /// The event with `id`, cancelled or not, or nullopt.
  [[nodiscard]] virtual std::optional<StoredUsageEvent> find_event(std::string_view id) = 0;
  /// Marks the event `id` cancelled at `at`. Throws InvariantViolation (field "event_id") when no event has
  /// the id or it is cancelled already; changes nothing then.
  virtual void mark_cancelled(std::string_view id, Timestamp at) = 0;
  /// Up to `limit` events that are not cancelled and match `query`, after `after` when given, in (at, id)
  /// order.
  [[nodiscard]] virtual std::vector<StoredUsageEvent> events(const UsageEventQuery& query,
                                                             const std::optional<UsageEventCursor>& after,
                                                             std::size_t limit) = 0;

  // ------------------------------------------------------------------------------------ aggregates

  /// The aggregate of `key`, or nullopt when none was stored.
  [[nodiscard]] virtual std::optional<UsageAggregate> find_aggregate(const UsageAggregateKey& key) = 0;
  /// Stores `aggregate` under its key, replacing the row there. Throws InvariantViolation for a row that
  /// breaks check_usage_aggregate (its bucket is not the start of its period, min above max, ...).
  virtual void put_aggregate(const UsageAggregate& aggregate) = 0;
  /// The aggregates in `range`, by bucket_start.
  [[nodiscard]] virtual std::vector<UsageAggregate> aggregates(const UsageAggregateRange& range) = 0;
  /// The aggregates of every subject (not the rows of every subject together) of `meter`, every group
  /// together, of `period`, with start <= bucket_start < end; by subject, then bucket_start.
  [[nodiscard]] virtual std::vector<UsageAggregate> aggregates_of_subjects(std::string_view meter, UsagePeriod period,
                                                                          Timestamp start, Timestamp end) = 0;

  /// Adds `delta` to the number of events of `key` that carry `value`, and returns the number before. A row
  /// that reaches zero is removed. Throws InvariantViolation (field "value") when the number would go below
  /// zero; changes nothing then.
  virtual std::uint64_t add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) = 0;
  /// The distinct values of the aggregates in `range`: each once per bucket that holds it, in no set order.
  [[nodiscard]] virtual std::vector<std::string> distinct_values(const UsageAggregateRange& range) = 0;

  // ---------------------------------------------------------------------------------------- totals

  /// The meter's totals; all zero when none were stored.
  [[nodiscard]] virtual UsageTotals totals(std::string_view meter) = 0;
  /// Stores the meter's totals, replacing the row. Throws InvariantViolation (field "subjects") when
  /// subjects > events, or ("meter") for a meter that is not stored.
  virtual void put_totals(const UsageTotals& totals) = 0;
};

}  // namespace billing
