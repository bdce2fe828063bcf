#include "aggregate.hpp"

#include <limits>

#include "billing/error.hpp"
#include "calendar.hpp"

namespace billing::detail::usage {
namespace {

bool later(Timestamp at, std::string_view id, const UsageAggregate& than) {
  return !than.latest_at || at > *than.latest_at || (at == *than.latest_at && id > than.latest_event_id);
}

std::uint64_t checked_count(std::uint64_t a, std::uint64_t b) {
  if (std::numeric_limits<std::uint64_t>::max() - a < b) throw Overflow("quantity", "an event count passes 2^64");
  return a + b;
}

Decimal checked_sum(const Decimal& a, const Decimal& b) {
  try {
    return a + b;
  } catch (const Overflow&) {
    throw Overflow("quantity", "the sum of a meter's values would pass the range of Decimal");
  }
}

Timestamp ceil_to(Timestamp at, std::int64_t width_us) {
  const std::int64_t floor = floor_to(at.unix_micros(), width_us);
  return Timestamp::from_unix_micros(floor == at.unix_micros() ? floor : floor + width_us);
}

Timestamp floor_to(Timestamp at, std::int64_t width_us) {
  return Timestamp::from_unix_micros(usage::floor_to(at.unix_micros(), width_us));
}

Timestamp ceil_month(Timestamp at) {
  const std::int64_t start = month_start_utc(at.unix_micros());
  return Timestamp::from_unix_micros(start == at.unix_micros() ? start : next_month_utc(start));
}

}  // namespace

Decimal numeric_value(Aggregation aggregation, std::string_view stored_value) {
  if (aggregation == Aggregation::count || aggregation == Aggregation::unique_count) return Decimal(1);
  return Decimal::parse(stored_value, "value");
}

void add_event(UsageAggregate& row, const Decimal& value, Timestamp at, std::string_view id) {
  const std::uint64_t count = checked_count(row.count, 1);
  Decimal sum = checked_sum(row.sum, value);
  row.count = count;
  row.sum = std::move(sum);
  if (!row.min || value < *row.min) row.min = value;
  if (!row.max || value > *row.max) row.max = value;
  if (later(at, id, row)) {
    row.latest = value;
    row.latest_at = at;
    row.latest_event_id = std::string(id);
  }
}

void merge(UsageAggregate& into, const UsageAggregate& from) {
  if (from.count == 0) return;
  const std::uint64_t count = checked_count(into.count, from.count);
  Decimal sum = checked_sum(into.sum, from.sum);
  into.count = count;
  into.sum = std::move(sum);
  if (!into.min || *from.min < *into.min) into.min = from.min;
  if (!into.max || *from.max > *into.max) into.max = from.max;
  if (later(*from.latest_at, from.latest_event_id, into)) {
    into.latest = from.latest;
    into.latest_at = from.latest_at;
    into.latest_event_id = from.latest_event_id;
  }
}

std::optional<Decimal> average(const Decimal& dividend, std::uint64_t divisor) {
  if (divisor == 0) return std::nullopt;
  // Beyond 10^26 a quotient has no room for all its places among Decimal's 38 digits: keep as many as fit.
  for (int places = k_usage_average_places;; --places) {
    try {
      return divide(dividend, Decimal(divisor), places, RoundingMode::half_even);
    } catch (const Overflow&) {
      if (places == 0) throw;
    }
  }
}

Decimal value_of(Aggregation aggregation, const UsageAggregate& row, std::uint64_t unique) {
  if (row.count == 0) return Decimal(0);
  switch (aggregation) {
    case Aggregation::count: return Decimal(row.count);
    case Aggregation::sum: return row.sum;
    case Aggregation::min: return *row.min;
    case Aggregation::max: return *row.max;
    case Aggregation::avg: return *average(row.sum, row.count);
    case Aggregation::latest: return *row.latest;
    case Aggregation::unique_count: return Decimal(unique);
  }
  BILLING_ASSERT(false && "an aggregation out of range");
  return Decimal(0);
}

void decompose(Timestamp start, Timestamp end, const std::function<void(Timestamp, Timestamp)>& events,
               const std::function<void(UsagePeriod, Timestamp, Timestamp)>& buckets) {
  const auto read_events = [&](Timestamp s, Timestamp e) {
    if (s < e) events(s, e);
  };
  const auto read_buckets = [&](UsagePeriod period, Timestamp s, Timestamp e) {
    if (s < e) buckets(period, s, e);
  };
  if (!(start < end)) return;
  const Timestamp hour_start = ceil_to(start, k_hour_us);
  const Timestamp hour_end = floor_to(end, k_hour_us);
  if (!(hour_start < hour_end)) {
    read_events(start, end);
    return;
  }
  read_events(start, hour_start);
  read_events(hour_end, end);
  const Timestamp day_start = ceil_to(hour_start, k_day_us);
  const Timestamp day_end = floor_to(hour_end, k_day_us);
  if (!(day_start < day_end)) {
    read_buckets(UsagePeriod::hour, hour_start, hour_end);
    return;
  }
  read_buckets(UsagePeriod::hour, hour_start, day_start);
  read_buckets(UsagePeriod::hour, day_end, hour_end);
  const Timestamp month_start = ceil_month(day_start);
  const Timestamp month_end = Timestamp::from_unix_micros(month_start_utc(day_end.unix_micros()));
  if (!(month_start < month_end)) {
    read_buckets(UsagePeriod::day, day_start, day_end);
    return;
  }
  read_buckets(UsagePeriod::day, day_start, month_start);
  read_buckets(UsagePeriod::day, month_end, day_end);
  read_buckets(UsagePeriod::month, month_start, month_end);
}

}  // namespace billing::detail::usage
