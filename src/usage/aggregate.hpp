// How usage events fold into running aggregates, and how a time range splits into the stored buckets that
// cover it. Internal to the metering rules (usage.cpp); docs/usage.md, "Aggregations" and "Reads", says
// the same in words.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "billing/meter.hpp"
#include "billing/storage/usage_repository.hpp"

namespace billing::detail::usage {

/// The decimal an event adds to its aggregates: 1 for count and unique_count, else its stored value.
[[nodiscard]] Decimal numeric_value(Aggregation aggregation, std::string_view stored_value);

/// Folds one event into `row`: count + 1, sum + value, min, max, and latest by (at, id). Throws Overflow
/// (field "quantity") when the sum or the count would pass its range; `row` is unchanged then.
void add_event(UsageAggregate& row, const Decimal& value, Timestamp at, std::string_view id);

/// Folds the events of `from` into `into` (not unique_count, which needs the distinct values). Throws
/// Overflow as add_event does.
void merge(UsageAggregate& into, const UsageAggregate& from);

/// The value the meter's aggregation gives `row`, with `unique` distinct values: zero with no events.
[[nodiscard]] Decimal value_of(Aggregation aggregation, const UsageAggregate& row, std::uint64_t unique);

/// `dividend` / `divisor` to k_usage_average_places places, HALF_EVEN (fewer for a quotient beyond 10^26, which
/// has no room for them in a Decimal); nullopt for a zero divisor.
[[nodiscard]] std::optional<Decimal> average(const Decimal& dividend, std::uint64_t divisor);

/// What a range read gathers: the folded row, and the distinct values when the meter counts them.
struct RangeFold {
  UsageAggregate row;
  std::set<std::string> distinct;

  [[nodiscard]] Decimal value(Aggregation aggregation) const { return value_of(aggregation, row, distinct.size()); }
};

/// Splits [start, end) into what covers it: events at its edges that are not on hour boundaries, then whole
/// hours, days and months (each as few buckets as the calendar allows). Calls `events(s, e)` for each span
/// read from events and `buckets(period, s, e)` for each span of stored buckets, both with s < e.
void decompose(Timestamp start, Timestamp end, const std::function<void(Timestamp, Timestamp)>& events,
               const std::function<void(UsagePeriod, Timestamp, Timestamp)>& buckets);

}  // namespace billing::detail::usage
