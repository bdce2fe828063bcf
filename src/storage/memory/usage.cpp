#include "usage.hpp"

#include <limits>

#include "../integrity.hpp"

namespace billing::detail::memory {
namespace {

UsageAggregateKey range_key(const UsageAggregateRange& range, Timestamp bucket) {
  return {.meter = range.meter, .subject = range.subject, .group = range.group, .period = range.period,
          .bucket_start = bucket};
}

bool same_series(const UsageAggregateKey& key, const UsageAggregateRange& range) {
  return key.meter == range.meter && key.subject == range.subject && key.group == range.group &&
         key.period == range.period;
}

}  // namespace

bool Usage::insert_meter(const Meter& meter) {
  session_.require_write();
  integrity::check_meter(meter);
  if (table_.meters.contains(meter.code)) return false;
  table_.meters.emplace(meter.code, meter);
  session_.on_rollback([this, code = meter.code] { table_.meters.erase(code); });
  return true;
}

std::optional<Meter> Usage::find_meter(std::string_view code) {
  session_.require_open();
  const auto it = table_.meters.find(code);
  if (it == table_.meters.end()) return std::nullopt;
  return it->second;
}

std::vector<Meter> Usage::meters() {
  session_.require_open();
  std::vector<Meter> out;
  out.reserve(table_.meters.size());
  for (const auto& [code, meter] : table_.meters) out.push_back(meter);
  return out;
}

bool Usage::event_exists(std::string_view id) {
  session_.require_open();
  return table_.events.contains(std::string(id));
}

void Usage::index(const StoredUsageEvent& stored, bool add) {
  const UsageEvent& event = stored.recorded.event;
  const std::int64_t at = event.at->unix_micros();
  auto subject_key = std::tuple(event.meter, event.subject, at, event.id);
  auto meter_key = std::tuple(event.meter, at, event.id);
  if (add) {
    table_.by_subject.insert(std::move(subject_key));
    table_.by_meter.insert(std::move(meter_key));
  } else {
    table_.by_subject.erase(subject_key);
    table_.by_meter.erase(meter_key);
  }
}

void Usage::insert_event(const StoredUsageEvent& stored) {
  session_.require_write();
  const UsageEvent& event = stored.recorded.event;
  const auto meter = table_.meters.find(event.meter);
  if (meter == table_.meters.end()) {
    throw InvariantViolation("meter", "a usage event of a meter that is not stored");
  }
  integrity::check_usage_event(stored, meter->second);
  const auto [it, inserted] = table_.events.emplace(event.id, stored);
  if (!inserted) integrity::missing_usage_event(event.id, "already exists");
  index(stored, true);
  session_.on_rollback([this, id = event.id] {
    const auto row = table_.events.find(id);
    index(row->second, false);
    table_.events.erase(row);
  });
}

std::optional<StoredUsageEvent> Usage::find_event(std::string_view id) {
  session_.require_open();
  const auto it = table_.events.find(std::string(id));
  if (it == table_.events.end()) return std::nullopt;
  return it->second;
}

void Usage::mark_cancelled(std::string_view id, Timestamp at) {
  session_.require_write();
  const auto it = table_.events.find(std::string(id));
  if (it == table_.events.end()) integrity::missing_usage_event(id, "does not exist");
  if (it->second.recorded.cancelled_at) integrity::missing_usage_event(id, "is cancelled already");
  index(it->second, false);
  it->second.recorded.cancelled_at = at;
  session_.on_rollback([this, key = it->first] {
    StoredUsageEvent& row = table_.events.at(key);
    row.recorded.cancelled_at.reset();
    index(row, true);
  });
}

std::vector<StoredUsageEvent> Usage::events(const UsageEventQuery& query, const std::optional<UsageEventCursor>& after,
                                            std::size_t limit) {
  session_.require_open();
  std::vector<StoredUsageEvent> out;
  const auto keep = [&](const std::string& id) {
    const StoredUsageEvent& row = table_.events.at(id);
    if (!query.group || row.group == query.group) out.push_back(row);
  };
  const std::int64_t end = query.end.unix_micros();
  if (query.subject) {
    auto it = after ? table_.by_subject.upper_bound({query.meter, *query.subject, after->at.unix_micros(), after->id})
                    : table_.by_subject.lower_bound({query.meter, *query.subject, query.start.unix_micros(), ""});
    for (; it != table_.by_subject.end() && out.size() < limit; ++it) {
      const auto& [meter, subject, at, id] = *it;
      if (meter != query.meter || subject != *query.subject || at >= end) break;
      if (at >= query.start.unix_micros()) keep(id);
    }
  } else {
    auto it = after ? table_.by_meter.upper_bound({query.meter, after->at.unix_micros(), after->id})
                    : table_.by_meter.lower_bound({query.meter, query.start.unix_micros(), ""});
    for (; it != table_.by_meter.end() && out.size() < limit; ++it) {
      const auto& [meter, at, id] = *it;
      if (meter != query.meter || at >= end) break;
      if (at >= query.start.unix_micros()) keep(id);
    }
  }
  return out;
}

std::optional<UsageAggregate> Usage::find_aggregate(const UsageAggregateKey& key) {
  session_.require_open();
  const auto it = table_.aggregates.find(key);
  if (it == table_.aggregates.end()) return std::nullopt;
  return it->second;
}

void Usage::put_aggregate(const UsageAggregate& aggregate) {
  session_.require_write();
  integrity::check_usage_aggregate(aggregate);
  const auto it = table_.aggregates.find(aggregate.key);
  if (it == table_.aggregates.end()) {
    table_.aggregates.emplace(aggregate.key, aggregate);
    session_.on_rollback([this, key = aggregate.key] { table_.aggregates.erase(key); });
  } else {
    session_.on_rollback([this, before = it->second] { table_.aggregates.at(before.key) = before; });
    it->second = aggregate;
  }
}

std::vector<UsageAggregate> Usage::aggregates(const UsageAggregateRange& range) {
  session_.require_open();
  std::vector<UsageAggregate> out;
  for (auto it = table_.aggregates.lower_bound(range_key(range, range.start));
       it != table_.aggregates.end() && same_series(it->first, range) && it->first.bucket_start < range.end; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<UsageAggregate> Usage::aggregates_of_subjects(std::string_view meter, UsagePeriod period, Timestamp start,
                                                          Timestamp end) {
  session_.require_open();
  std::vector<UsageAggregate> out;
  // Every row of the meter, in (subject, group, period, bucket) order: the memory adapter has no index by period.
  const UsageAggregateKey first{.meter = std::string(meter)};
  for (auto it = table_.aggregates.lower_bound(first); it != table_.aggregates.end() && it->first.meter == meter;
       ++it) {
    const UsageAggregateKey& key = it->first;
    if (key.subject.empty() || key.group || key.period != period) continue;
    if (key.bucket_start < start || !(key.bucket_start < end)) continue;
    out.push_back(it->second);
  }
  return out;
}

std::uint64_t Usage::add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) {
  session_.require_write();
  auto map_key = std::pair(key, std::string(value));
  const auto it = table_.distinct.find(map_key);
  const std::uint64_t before = it == table_.distinct.end() ? 0 : it->second;
  // The magnitude through the unsigned type, so that the most negative delta has one.
  const std::uint64_t magnitude =
      delta < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(delta) : static_cast<std::uint64_t>(delta);
  if (delta < 0 && before < magnitude) {
    throw InvariantViolation("value", "a distinct value would be held by fewer than no events");
  }
  if (delta > 0 && std::numeric_limits<std::uint64_t>::max() - before < magnitude) {
    throw Overflow("value", "a distinct value's count passes 2^64");
  }
  const std::uint64_t after = delta < 0 ? before - magnitude : before + magnitude;
  if (after == 0) {
    if (it != table_.distinct.end()) table_.distinct.erase(it);
  } else {
    table_.distinct[map_key] = after;
  }
  session_.on_rollback([this, map_key = std::move(map_key), before] {
    if (before == 0) {
      table_.distinct.erase(map_key);
    } else {
      table_.distinct[map_key] = before;
    }
  });
  return before;
}

std::vector<std::string> Usage::distinct_values(const UsageAggregateRange& range) {
  session_.require_open();
  std::vector<std::string> out;
  for (auto it = table_.distinct.lower_bound({range_key(range, range.start), std::string()});
       it != table_.distinct.end() && same_series(it->first.first, range) &&
       it->first.first.bucket_start < range.end;
       ++it) {
    out.push_back(it->first.second);
  }
  return out;
}

UsageTotals Usage::totals(std::string_view meter) {
  session_.require_open();
  const auto it = table_.totals.find(meter);
  if (it == table_.totals.end()) return UsageTotals{.meter = std::string(meter)};
  return it->second;
}

void Usage::put_totals(const UsageTotals& totals) {
  session_.require_write();
  integrity::check_usage_totals(totals);
  if (!table_.meters.contains(totals.meter)) throw InvariantViolation("meter", "totals of a meter that is not stored");
  const auto it = table_.totals.find(totals.meter);
  if (it == table_.totals.end()) {
    table_.totals.emplace(totals.meter, totals);
    session_.on_rollback([this, meter = totals.meter] { table_.totals.erase(meter); });
  } else {
    session_.on_rollback([this, before = it->second] { table_.totals.at(before.meter) = before; });
    it->second = totals;
  }
}

}  // namespace billing::detail::memory
