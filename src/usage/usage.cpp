// Usage metering's rules: what a meter may be, what an event must hold, which aggregates an event touches
// (per subject and across subjects; every group and its own group; all time, its hour, day and month) and
// how it folds into them, how a cancel corrects them, and how reads cover a range with stored buckets.
// Everything is checked and folded before the first write, and written through UsageRepository in one unit
// of work (the caller's, when it has one open). docs/usage.md says the same in words.
#include "billing/usage.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "../context.hpp"
#include "../text.hpp"
#include "aggregate.hpp"
#include "billing/error.hpp"
#include "billing/storage/store.hpp"
#include "billing/storage/usage_repository.hpp"
#include "calendar.hpp"

namespace billing {
namespace {

using detail::usage::k_day_us;
using detail::usage::k_end_at;
using detail::usage::k_first_at;
using detail::usage::k_hour_us;
using detail::usage::k_minute_us;

constexpr std::size_t k_event_page = 1000;
constexpr auto k_max_lateness = std::chrono::hours(24 * 366);
constexpr auto k_max_lead = std::chrono::hours(24);
constexpr auto k_max_cancel_window = std::chrono::hours(24 * 366);
constexpr auto k_max_utc_offset = std::chrono::minutes(18 * 60);
constexpr UsagePeriod k_periods[] = {UsagePeriod::all_time, UsagePeriod::hour, UsagePeriod::day, UsagePeriod::month};

bool is_letter(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_code_char(char c) noexcept {
  return is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
}

// A field of the `index`-th event of a batch ("[3].id"), or the field itself.
std::string field_of(std::optional<std::size_t> index, std::string_view name) {
  return index ? fmt::format("[{}].{}", *index, name) : std::string(name);
}

// ------------------------------------------------------------------------------------------ validation

void validate_code(std::string_view code, const std::string& field) {
  if (code.empty() || code.size() > k_max_meter_code_bytes) {
    throw InvalidArgument(field, fmt::format("must be 1 to {} characters, not {}", k_max_meter_code_bytes, code.size()));
  }
  if (!is_letter(code.front())) throw InvalidArgument(field, "must start with a letter (A-Z or a-z)");
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (!is_code_char(code[i])) throw InvalidArgument(field, fmt::format("byte {} is not one of A-Z a-z 0-9 _ . : -", i));
  }
}

void validate_property_name(const std::optional<std::string>& name, const std::string& field) {
  if (!name) return;
  if (name->empty()) {
    throw InvalidArgument(field, fmt::format("must be 1 to {} bytes; leave it out for none", k_max_property_key_bytes));
  }
  detail::validate_line(*name, field, k_max_property_key_bytes);
}

void validate(const MeterRequest& request) {
  validate_code(request.code, "code");
  if (request.aggregation > Aggregation::unique_count) {
    throw InvalidArgument("aggregation", fmt::format("{} is not an Aggregation", static_cast<int>(request.aggregation)));
  }
  detail::validate_line(request.unit, "unit", k_max_meter_unit_bytes);
  validate_property_name(request.property, "property");
  validate_property_name(request.group_by, "group_by");
  if (request.aggregation == Aggregation::unique_count && !request.property) {
    throw InvalidArgument("property", "unique_count counts the distinct values of a property; name one");
  }
  if (request.property && request.group_by && *request.property == *request.group_by) {
    throw InvalidArgument("group_by", "must not be the property the meter aggregates");
  }
}

void validate_text(std::string_view text, const std::string& field, std::size_t max_bytes) {
  if (text.empty()) throw InvalidArgument(field, fmt::format("must be 1 to {} bytes, not empty", max_bytes));
  detail::validate_line(text, field, max_bytes);
}

void validate_at(Timestamp at, const std::string& field) {
  if (at < k_first_at || !(at < k_end_at)) {
    throw InvalidArgument(field, "must be from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z");
  }
}

// What an event must hold whatever its meter; the meter's property is checked once the meter is known.
void validate(const UsageEvent& event, std::optional<std::size_t> index) {
  validate_text(event.id, field_of(index, "id"), k_max_event_id_bytes);
  validate_text(event.meter, field_of(index, "meter"), k_max_meter_code_bytes);
  validate_text(event.subject, field_of(index, "subject"), k_max_subject_bytes);
  if (event.at) validate_at(*event.at, field_of(index, "at"));
  const std::string field = field_of(index, "properties");
  if (event.properties.size() > k_max_event_properties) {
    throw InvalidArgument(field, fmt::format("holds {} pairs, more than the {} an event may", event.properties.size(),
                                             k_max_event_properties));
  }
  std::size_t position = 0;
  for (const auto& [key, value] : event.properties) {
    if (key.empty() || detail::line_problem(key, k_max_property_key_bytes)) {
      throw InvalidArgument(field, fmt::format("key {} (in key order) must be 1 to {} bytes of UTF-8 with no control "
                                               "characters",
                                               position, k_max_property_key_bytes));
    }
    if (detail::line_problem(value, k_max_property_value_bytes)) {
      throw InvalidArgument(field, fmt::format("the value of key {} (in key order) must be up to {} bytes of UTF-8 "
                                               "with no control characters",
                                               position, k_max_property_value_bytes));
    }
    ++position;
  }
}

void validate(const UsageOptions& options) {
  if (options.lateness <= std::chrono::microseconds::zero() || options.lateness > k_max_lateness) {
    throw InvalidArgument("lateness", "must be more than zero and at most 366 days");
  }
  if (options.lead < std::chrono::microseconds::zero() || options.lead > k_max_lead) {
    throw InvalidArgument("lead", "must be zero to 24 hours");
  }
  if (options.cancel_window < std::chrono::microseconds::zero() || options.cancel_window > k_max_cancel_window) {
    throw InvalidArgument("cancel_window", "must be zero to 366 days");
  }
}

// ------------------------------------------------------------------------------------------ recording

// An event that passed every check, with what its meter reads from it.
struct Planned {
  StoredUsageEvent stored;
  Decimal value;
  const Meter* meter;
};

// The value the meter reads from `event` (its stored text) and its group. Throws InvalidArgument naming the
// property when the event lacks it or, for a numeric aggregation, it is not a decimal.
std::pair<std::string, Decimal> read_value(const Meter& meter, const UsageEvent& event, std::optional<std::size_t> index) {
  if (meter.aggregation == Aggregation::count) return {"1", Decimal(1)};
  if (!meter.property) return {event.quantity.to_string(), event.quantity};
  const std::string field = field_of(index, "properties." + *meter.property);
  const auto it = event.properties.find(*meter.property);
  if (it == event.properties.end()) throw InvalidArgument(field, "is missing; the meter aggregates it");
  if (meter.aggregation == Aggregation::unique_count) return {it->second, Decimal(1)};
  Decimal value;
  try {
    value = Decimal::parse(it->second, field);
  } catch (const Overflow&) {
    throw;
  } catch (const Error&) {
    throw InvalidArgument(field, "is not a decimal number; the meter aggregates it as one");
  }
  return {value.to_string(), value};
}

std::optional<std::string> group_of(const Meter& meter, const UsageEvent& event) {
  if (!meter.group_by) return std::nullopt;
  const auto it = event.properties.find(*meter.group_by);
  return it == event.properties.end() ? std::string() : it->second;
}

// The aggregates an event of `meter` touches: its subject and every subject; every group and its own; each period.
template <class F>
void for_each_key(const Meter& meter, const StoredUsageEvent& stored, F&& visit) {
  const UsageEvent& event = stored.recorded.event;
  for (const std::string* subject : {&event.subject, static_cast<const std::string*>(nullptr)}) {
    for (int grouped = 0; grouped < (stored.group ? 2 : 1); ++grouped) {
      for (const UsagePeriod period : k_periods) {
        visit(UsageAggregateKey{.meter = meter.code,
                                .subject = subject ? *subject : std::string(),
                                .group = grouped ? stored.group : std::nullopt,
                                .period = period,
                                .bucket_start = detail::usage::bucket_of(period, *event.at)});
      }
    }
  }
}

// One aggregate a write touches: the row as stored before (if any) and as it will be, and the events per
// distinct value it gains.
struct Slot {
  std::optional<UsageAggregate> before;
  UsageAggregate row;
  std::map<std::string, std::int64_t, std::less<>> distinct;
};

class RecordPlan {
 public:
  RecordPlan(UsageRepository& repository, const UsageOptions& options, Timestamp now)
      : repository_(repository), options_(options), now_(now) {}

  // Checks the events in order and keeps the ones that will count. Reads only.
  std::vector<RecordResult> check(std::span<const UsageEvent> events, bool batch) {
    std::vector<RecordResult> results;
    results.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      results.push_back(check_one(events[i], batch ? std::optional(i) : std::nullopt));
    }
    return results;
  }

  // Folds the kept events into the aggregates they touch and the meters' totals. Reads only; throws Overflow
  // before anything is written.
  void fold() {
    for (const Planned& planned : planned_) {
      const Meter& meter = *planned.meter;
      const UsageEvent& event = planned.stored.recorded.event;
      for_each_key(meter, planned.stored, [&](UsageAggregateKey key) {
        Slot& slot = slot_of(std::move(key));
        detail::usage::add_event(slot.row, planned.value, *event.at, event.id);
        if (meter.aggregation == Aggregation::unique_count) ++slot.distinct[planned.stored.value];
      });
      Totals& totals = totals_of(meter);
      totals.events += 1;
      totals.sum_gained = totals.sum_gained + planned.value;
    }
    count_new_distinct_values();
    fold_totals();
  }

  // Writes the events, the aggregates and the totals.
  void write() {
    for (const Planned& planned : planned_) repository_.insert_event(planned.stored);
    for (auto& [key, slot] : slots_) {
      for (const auto& [value, events] : slot.distinct) (void)repository_.add_distinct(key, value, events);
      repository_.put_aggregate(slot.row);
    }
    for (const auto& [code, totals] : totals_) repository_.put_totals(totals.after);
  }

 private:
  struct Totals {
    const Meter* meter = nullptr;
    UsageTotals after;
    std::uint64_t events = 0;
    Decimal sum_gained{};
  };

  RecordResult check_one(const UsageEvent& event, std::optional<std::size_t> index) {
    if (accepted_ids_.contains(event.id)) return RecordResult::duplicate;
    const Meter* meter = meter_of(event.meter);
    if (repository_.event_exists(event.id)) return RecordResult::duplicate;
    if (meter == nullptr) return RecordResult::unknown_meter;
    const Timestamp at = event.at.value_or(now_);
    if (at < now_ - options_.lateness) return RecordResult::too_late;
    if (at > now_ + options_.lead) return RecordResult::too_early;
    auto [text, value] = read_value(*meter, event, index);
    StoredUsageEvent stored{.recorded = {.event = event, .recorded_at = now_, .cancelled_at = std::nullopt},
                            .value = std::move(text),
                            .group = group_of(*meter, event)};
    stored.recorded.event.at = at;
    accepted_ids_.insert(event.id);
    planned_.push_back(Planned{.stored = std::move(stored), .value = std::move(value), .meter = meter});
    return RecordResult::ok;
  }

  const Meter* meter_of(const std::string& code) {
    auto it = meters_.find(code);
    if (it == meters_.end()) it = meters_.emplace(code, repository_.find_meter(code)).first;
    return it->second ? &*it->second : nullptr;
  }

  Slot& slot_of(UsageAggregateKey key) {
    auto it = slots_.find(key);
    if (it != slots_.end()) return it->second;
    Slot slot;
    slot.before = repository_.find_aggregate(key);
    slot.row = slot.before ? *slot.before : UsageAggregate{.key = key};
    return slots_.emplace(std::move(key), std::move(slot)).first->second;
  }

  Totals& totals_of(const Meter& meter) {
    auto it = totals_.find(meter.code);
    if (it == totals_.end()) {
      it = totals_.emplace(meter.code, Totals{.meter = &meter, .after = repository_.totals(meter.code)}).first;
    }
    return it->second;
  }

  // A distinct value that no stored event of the bucket carries adds one to its unique count.
  void count_new_distinct_values() {
    for (auto& [key, slot] : slots_) {
      for (const auto& [value, events] : slot.distinct) {
        if (repository_.add_distinct(key, value, 0) == 0) slot.row.unique_count += 1;
      }
    }
  }

  // The totals follow each subject's all-time value (every group together) from before to after.
  void fold_totals() {
    for (auto& [code, totals] : totals_) {
      UsageTotals& after = totals.after;
      const Aggregation aggregation = totals.meter->aggregation;
      for (const auto& [key, slot] : slots_) {
        if (key.meter != code || key.subject.empty() || key.group || key.period != UsagePeriod::all_time) continue;
        const UsageAggregate none{.key = key};
        const UsageAggregate& before = slot.before ? *slot.before : none;
        const Decimal gained = detail::usage::value_of(aggregation, slot.row, slot.row.unique_count) -
                               detail::usage::value_of(aggregation, before, before.unique_count);
        after.total = add_checked(after.total, gained);
        if (before.count == 0 && slot.row.count > 0) after.subjects += 1;
      }
      after.events += totals.events;
      after.sum = add_checked(after.sum, totals.sum_gained);
    }
  }

  static Decimal add_checked(const Decimal& a, const Decimal& b) {
    try {
      return a + b;
    } catch (const Overflow&) {
      throw Overflow("quantity", "a meter's total would pass the range of Decimal");
    }
  }

  UsageRepository& repository_;
  const UsageOptions& options_;
  Timestamp now_;
  std::map<std::string, std::optional<Meter>, std::less<>> meters_;  // stable addresses for Planned::meter
  std::unordered_set<std::string> accepted_ids_;
  std::vector<Planned> planned_;
  std::map<UsageAggregateKey, Slot> slots_;
  std::map<std::string, Totals, std::less<>> totals_;
};

// Counts for the health report: the events stored once the unit commits, duplicates as they are told.
void count_recorded(detail::Metrics& metrics, UnitOfWork& work, const std::vector<RecordResult>& results) {
  const auto stored = static_cast<std::uint64_t>(std::count(results.begin(), results.end(), RecordResult::ok));
  metrics.add_on_commit(work, detail::Counter::events_recorded, stored);
  metrics.add(detail::Counter::event_duplicates,
              static_cast<std::uint64_t>(std::count(results.begin(), results.end(), RecordResult::duplicate)));
}

std::vector<RecordResult> record_in(UnitOfWork& work, detail::Metrics& metrics, const UsageOptions& options,
                                    Timestamp now, std::span<const UsageEvent> events, bool batch) {
  RecordPlan plan(work->usage(), options, now);
  std::vector<RecordResult> results = plan.check(events, batch);
  plan.fold();
  plan.write();
  count_recorded(metrics, work, results);
  return results;
}

// ------------------------------------------------------------------------------------------ cancelling

// Folds the live events of `query` (paged) with `visit(event, value)`.
template <class F>
void for_each_event(UsageRepository& repository, const Meter& meter, const UsageEventQuery& query, F&& visit) {
  std::optional<UsageEventCursor> after;
  for (;;) {
    const std::vector<StoredUsageEvent> page = repository.events(query, after, k_event_page);
    for (const StoredUsageEvent& stored : page) {
      visit(stored, detail::usage::numeric_value(meter.aggregation, stored.value));
    }
    if (page.size() < k_event_page) return;
    after = UsageEventCursor{.at = *page.back().recorded.event.at, .id = page.back().recorded.event.id};
  }
}

int recompute_order(UsagePeriod period) {
  switch (period) {
    case UsagePeriod::hour: return 0;
    case UsagePeriod::day: return 1;
    case UsagePeriod::month: return 2;
    case UsagePeriod::all_time: break;
  }
  return 3;
}

// Sets the min, max and latest of `row` from what it covers: an hour from its live events, a day from its
// hours, a month from its days, all time from its months (each already corrected).
void recompute(UsageRepository& repository, const Meter& meter, UsageAggregate& row) {
  const UsageAggregateKey& key = row.key;
  UsageAggregate fold{.key = key};
  if (key.period == UsagePeriod::hour) {
    const UsageEventQuery query{.meter = key.meter,
                                .subject = key.subject.empty() ? std::nullopt : std::optional(key.subject),
                                .group = key.group, .start = key.bucket_start,
                                .end = detail::usage::bucket_end(UsagePeriod::hour, key.bucket_start)};
    for_each_event(repository, meter, query, [&](const StoredUsageEvent& stored, const Decimal& value) {
      detail::usage::add_event(fold, value, *stored.recorded.event.at, stored.recorded.event.id);
    });
  } else {
    const UsagePeriod finer = key.period == UsagePeriod::day     ? UsagePeriod::hour
                              : key.period == UsagePeriod::month ? UsagePeriod::day
                                                                 : UsagePeriod::month;
    const UsageAggregateRange range{.meter = key.meter, .subject = key.subject, .group = key.group, .period = finer,
                                    .start = key.bucket_start, .end = detail::usage::bucket_end(key.period, key.bucket_start)};
    for (const UsageAggregate& part : repository.aggregates(range)) detail::usage::merge(fold, part);
  }
  BILLING_ASSERT(fold.count == row.count);
  row.min = fold.min;
  row.max = fold.max;
  row.latest = fold.latest;
  row.latest_at = fold.latest_at;
  row.latest_event_id = fold.latest_event_id;
}

// Takes a cancelled event out of every aggregate it touched and out of its meter's totals. Count and sum go
// down, a unique count follows its distinct values, and min, max and latest are recomputed (recompute())
// when the event may have been one of them.
void uncount(UsageRepository& repository, const Meter& meter, const StoredUsageEvent& stored) {
  const UsageEvent& event = stored.recorded.event;
  const Decimal value = detail::usage::numeric_value(meter.aggregation, stored.value);
  std::vector<UsageAggregateKey> keys;
  for_each_key(meter, stored, [&](UsageAggregateKey key) { keys.push_back(std::move(key)); });
  std::stable_sort(keys.begin(), keys.end(), [](const UsageAggregateKey& a, const UsageAggregateKey& b) {
    return recompute_order(a.period) < recompute_order(b.period);
  });
  UsageTotals totals = repository.totals(meter.code);
  for (const UsageAggregateKey& key : keys) {
    std::optional<UsageAggregate> found = repository.find_aggregate(key);
    BILLING_ASSERT(found && found->count > 0);
    UsageAggregate row = *found;
    row.count -= 1;
    row.sum = row.sum - value;
    if (meter.aggregation == Aggregation::unique_count && repository.add_distinct(key, stored.value, -1) == 1) {
      row.unique_count -= 1;
    }
    if (row.count == 0) {
      row = UsageAggregate{.key = key};
    } else if (value == *row.min || value == *row.max || row.latest_event_id == event.id) {
      recompute(repository, meter, row);
    }
    repository.put_aggregate(row);
    if (!key.subject.empty() && !key.group && key.period == UsagePeriod::all_time) {
      totals.total = totals.total + detail::usage::value_of(meter.aggregation, row, row.unique_count) -
                     detail::usage::value_of(meter.aggregation, *found, found->unique_count);
      if (row.count == 0) totals.subjects -= 1;
    }
  }
  totals.events -= 1;
  totals.sum = totals.sum - value;
  repository.put_totals(totals);
}

// ------------------------------------------------------------------------------------------ reading

Meter require_meter(UsageRepository& repository, std::string_view code) {
  std::optional<Meter> meter = repository.find_meter(code);
  if (!meter) throw InvalidArgument("meter", "no meter has this code");
  return std::move(*meter);
}

// One subject's (or, with subject "", every subject's) fold over [start, end).
detail::usage::RangeFold fold_range(UsageRepository& repository, const Meter& meter, const std::string& subject,
                                    const std::optional<std::string>& group, Timestamp start, Timestamp end) {
  detail::usage::RangeFold fold;
  const bool unique = meter.aggregation == Aggregation::unique_count;
  detail::usage::decompose(
      start, end,
      [&](Timestamp s, Timestamp e) {
        const UsageEventQuery query{.meter = meter.code,
                                    .subject = subject.empty() ? std::nullopt : std::optional(subject),
                                    .group = group, .start = s, .end = e};
        for_each_event(repository, meter, query, [&](const StoredUsageEvent& stored, const Decimal& value) {
          const UsageEvent& event = stored.recorded.event;
          detail::usage::add_event(fold.row, value, *event.at, event.id);
          if (unique) fold.distinct.insert(stored.value);
        });
      },
      [&](UsagePeriod period, Timestamp s, Timestamp e) {
        const UsageAggregateRange range{.meter = meter.code, .subject = subject, .group = group, .period = period,
                                        .start = s, .end = e};
        for (const UsageAggregate& row : repository.aggregates(range)) detail::usage::merge(fold.row, row);
        if (unique) {
          for (std::string& value : repository.distinct_values(range)) fold.distinct.insert(std::move(value));
        }
      });
  return fold;
}

// [start, end) of a read, each bound clamped to the span events may lie in. Throws InvalidArgument ("end")
// when end is before start.
std::pair<Timestamp, Timestamp> read_span(std::optional<Timestamp> start, std::optional<Timestamp> end) {
  if (start && end && *end < *start) throw InvalidArgument("end", "must not be before start");
  const Timestamp s = std::clamp(start.value_or(k_first_at), k_first_at, k_end_at);
  const Timestamp e = std::clamp(end.value_or(k_end_at), k_first_at, k_end_at);
  return {s, e};
}

UsageStats stats_of(std::uint64_t subjects, std::uint64_t events, const Decimal& total, const Decimal& sum) {
  return UsageStats{.subjects = subjects,
                    .events = events,
                    .total = total,
                    .average_per_subject = detail::usage::average(total, subjects),
                    .average_per_event = detail::usage::average(sum, events)};
}

// Every subject's fold over [start, end): rows of single subjects for whole buckets, events at the edges.
std::map<std::string, detail::usage::RangeFold> fold_subjects(UsageRepository& repository, const Meter& meter,
                                                              Timestamp start, Timestamp end) {
  std::map<std::string, detail::usage::RangeFold> folds;
  std::vector<std::pair<UsagePeriod, std::pair<Timestamp, Timestamp>>> bucket_spans;
  const bool unique = meter.aggregation == Aggregation::unique_count;
  detail::usage::decompose(
      start, end,
      [&](Timestamp s, Timestamp e) {
        const UsageEventQuery query{.meter = meter.code, .subject = std::nullopt, .group = std::nullopt, .start = s,
                                    .end = e};
        for_each_event(repository, meter, query, [&](const StoredUsageEvent& stored, const Decimal& value) {
          const UsageEvent& event = stored.recorded.event;
          detail::usage::RangeFold& fold = folds[event.subject];
          detail::usage::add_event(fold.row, value, *event.at, event.id);
          if (unique) fold.distinct.insert(stored.value);
        });
      },
      [&](UsagePeriod period, Timestamp s, Timestamp e) {
        for (const UsageAggregate& row : repository.aggregates_of_subjects(meter.code, period, s, e)) {
          detail::usage::merge(folds[row.key.subject].row, row);
        }
        bucket_spans.push_back({period, {s, e}});
      });
  if (unique) {
    for (auto& [subject, fold] : folds) {
      for (const auto& [period, span] : bucket_spans) {
        const UsageAggregateRange range{.meter = meter.code, .subject = subject, .group = std::nullopt,
                                        .period = period, .start = span.first, .end = span.second};
        for (std::string& value : repository.distinct_values(range)) fold.distinct.insert(std::move(value));
      }
    }
  }
  return folds;
}

// ------------------------------------------------------------------------------------------ series

// The start of the `granularity` step that holds `at`, in UTC shifted by `offset_us`.
std::int64_t step_start(Granularity granularity, std::int64_t at, std::int64_t offset_us) {
  switch (granularity) {
    case Granularity::minute: return detail::usage::floor_to(at, k_minute_us);
    case Granularity::hour: return detail::usage::floor_to(at + offset_us, k_hour_us) - offset_us;
    case Granularity::day: return detail::usage::floor_to(at + offset_us, k_day_us) - offset_us;
    case Granularity::month: return detail::usage::month_start_utc(at + offset_us) - offset_us;
  }
  BILLING_ASSERT(false && "a granularity out of range");
  return at;
}

std::int64_t step_end(Granularity granularity, std::int64_t start, std::int64_t offset_us) {
  switch (granularity) {
    case Granularity::minute: return start + k_minute_us;
    case Granularity::hour: return start + k_hour_us;
    case Granularity::day: return start + k_day_us;
    case Granularity::month: return detail::usage::next_month_utc(start + offset_us) - offset_us;
  }
  BILLING_ASSERT(false && "a granularity out of range");
  return start;
}

// The steps [start, end) of a series, empty ones included.
std::vector<std::pair<Timestamp, Timestamp>> steps(Granularity granularity, Timestamp start, Timestamp end,
                                                   std::int64_t offset_us) {
  std::vector<std::pair<Timestamp, Timestamp>> out;
  if (!(start < end)) return out;
  for (std::int64_t at = step_start(granularity, start.unix_micros(), offset_us); at < end.unix_micros();) {
    if (out.size() == k_max_series_buckets) {
      throw InvalidArgument("end", fmt::format("the series would have more than {} buckets; ask for a shorter range or "
                                               "a coarser granularity",
                                               k_max_series_buckets));
    }
    const std::int64_t next = step_end(granularity, at, offset_us);
    out.emplace_back(Timestamp::from_unix_micros(at), Timestamp::from_unix_micros(next));
    at = next;
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------ the service

void Usage::configure(UsageOptions options) {
  validate(options);
  options_ = options;
}

MeterOutcome Usage::define_meter(const MeterRequest& request) {
  validate(request);
  return context_.write([&](UnitOfWork& work) {
    UsageRepository& repository = work->usage();
    if (std::optional<Meter> stored = repository.find_meter(request.code)) {
      const bool same = stored->aggregation == request.aggregation && stored->unit == request.unit &&
                        stored->property == request.property && stored->group_by == request.group_by;
      return MeterOutcome{same ? MeterResult::exists : MeterResult::exists_with_different_fields, std::move(*stored)};
    }
    Meter meter{.code = request.code,
                .aggregation = request.aggregation,
                .unit = request.unit,
                .property = request.property,
                .group_by = request.group_by,
                .created_at = context_.clock().now()};
    BILLING_ASSERT(repository.insert_meter(meter));
    return MeterOutcome{MeterResult::ok, std::move(meter)};
  });
}

std::optional<Meter> Usage::meter(std::string_view code) {
  return context_.read([&](UnitOfWork& work) { return work->usage().find_meter(code); });
}

std::vector<Meter> Usage::meters() {
  return context_.read([&](UnitOfWork& work) { return work->usage().meters(); });
}

RecordResult Usage::record(const UsageEvent& event) {
  validate(event, std::nullopt);
  return context_.write([&](UnitOfWork& work) {
    return record_in(work, context_.metrics(), options_, context_.clock().now(), std::span(&event, 1), false).front();
  });
}

RecordResult Usage::record(UnitOfWork& work, const UsageEvent& event) {
  validate(event, std::nullopt);
  return record_in(work, context_.metrics(), options_, context_.clock().now(), std::span(&event, 1), false).front();
}

std::vector<RecordResult> Usage::record_batch(std::span<const UsageEvent> events) {
  if (events.size() > k_max_record_batch) {
    throw InvalidArgument("events", fmt::format("holds {} events, more than the {} a batch may", events.size(),
                                                k_max_record_batch));
  }
  for (std::size_t i = 0; i < events.size(); ++i) validate(events[i], i);
  if (events.empty()) return {};
  return context_.write([&](UnitOfWork& work) {
    return record_in(work, context_.metrics(), options_, context_.clock().now(), events, true);
  });
}

CancelResult Usage::cancel(std::string_view id) {
  if (id.empty() || id.size() > k_max_event_id_bytes) {
    throw InvalidArgument("id", fmt::format("must be 1 to {} bytes", k_max_event_id_bytes));
  }
  return context_.write([&](UnitOfWork& work) {
    UsageRepository& repository = work->usage();
    const std::optional<StoredUsageEvent> stored = repository.find_event(id);
    if (!stored) return CancelResult::not_found;
    if (stored->recorded.cancelled_at) return CancelResult::already_cancelled;
    const Timestamp now = context_.clock().now();
    if (now - stored->recorded.recorded_at > options_.cancel_window) return CancelResult::window_passed;
    const Meter meter = require_meter(repository, stored->recorded.event.meter);
    repository.mark_cancelled(id, now);
    uncount(repository, meter, *stored);
    return CancelResult::ok;
  });
}

std::optional<RecordedEvent> Usage::event(std::string_view id) {
  return context_.read([&](UnitOfWork& work) -> std::optional<RecordedEvent> {
    std::optional<StoredUsageEvent> stored = work->usage().find_event(id);
    if (!stored) return std::nullopt;
    return std::move(stored->recorded);
  });
}

Decimal Usage::total(std::string_view meter_code, std::string_view subject, std::optional<Timestamp> start,
                     std::optional<Timestamp> end, const std::optional<std::string>& group) {
  if (subject.empty() || subject.size() > k_max_subject_bytes) {
    throw InvalidArgument("subject", fmt::format("must be 1 to {} bytes", k_max_subject_bytes));
  }
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  const std::pair<Timestamp, Timestamp> span = read_span(start, end);
  const Timestamp s = span.first;
  const Timestamp e = span.second;
  return context_.read([&](UnitOfWork& work) {
    UsageRepository& repository = work->usage();
    const Meter meter = require_meter(repository, meter_code);
    if (group && !meter.group_by) throw InvalidArgument("group", "the meter does not group its events");
    if (!start && !end) {
      const std::optional<UsageAggregate> row = repository.find_aggregate(
          {.meter = meter.code, .subject = std::string(subject), .group = group, .period = UsagePeriod::all_time,
           .bucket_start = k_first_at});
      return row ? detail::usage::value_of(meter.aggregation, *row, row->unique_count) : Decimal(0);
    }
    return fold_range(repository, meter, std::string(subject), group, s, e).value(meter.aggregation);
  });
}

UsageStats Usage::stats(std::string_view meter_code, std::optional<Timestamp> start, std::optional<Timestamp> end) {
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  const std::pair<Timestamp, Timestamp> span = read_span(start, end);
  const Timestamp s = span.first;
  const Timestamp e = span.second;
  return context_.read([&](UnitOfWork& work) {
    UsageRepository& repository = work->usage();
    const Meter meter = require_meter(repository, meter_code);
    if (!start && !end) {
      const UsageTotals totals = repository.totals(meter.code);
      return stats_of(totals.subjects, totals.events, totals.total, totals.sum);
    }
    std::uint64_t subjects = 0;
    std::uint64_t events = 0;
    Decimal total;
    Decimal sum;
    for (const auto& [subject, fold] : fold_subjects(repository, meter, s, e)) {
      if (fold.row.count == 0) continue;
      subjects += 1;
      events += fold.row.count;
      total += fold.value(meter.aggregation);
      sum += fold.row.sum;
    }
    return stats_of(subjects, events, total, sum);
  });
}

std::vector<UsageBucket> Usage::series(std::string_view meter_code, Timestamp start, Timestamp end,
                                       Granularity granularity, const std::optional<std::string>& subject,
                                       std::chrono::minutes utc_offset) {
  if (end < start) throw InvalidArgument("end", "must not be before start");
  if (granularity > Granularity::month) {
    throw InvalidArgument("granularity", fmt::format("{} is not a Granularity", static_cast<int>(granularity)));
  }
  if (utc_offset < -k_max_utc_offset || utc_offset > k_max_utc_offset) {
    throw InvalidArgument("utc_offset", "must be -18:00 to +18:00");
  }
  if (subject && (subject->empty() || subject->size() > k_max_subject_bytes)) {
    throw InvalidArgument("subject", fmt::format("must be 1 to {} bytes", k_max_subject_bytes));
  }
  const std::int64_t offset_us = std::chrono::duration_cast<std::chrono::microseconds>(utc_offset).count();
  const auto spans = steps(granularity, start, end, offset_us);
  return context_.read([&](UnitOfWork& work) {
    UsageRepository& repository = work->usage();
    const Meter meter = require_meter(repository, meter_code);
    const std::string who = subject.value_or(std::string());
    std::vector<detail::usage::RangeFold> folds(spans.size());
    // Whole hours (UTC, or shifted by whole hours) are stored buckets; minutes, and hours shifted by part of
    // one, are read from the events in one pass.
    if (!spans.empty() && (granularity == Granularity::minute || offset_us % k_hour_us != 0)) {
      const UsageEventQuery query{.meter = meter.code, .subject = subject, .group = std::nullopt,
                                  .start = std::max(spans.front().first, k_first_at),
                                  .end = std::min(spans.back().second, k_end_at)};
      const bool unique = meter.aggregation == Aggregation::unique_count;
      for_each_event(repository, meter, query, [&](const StoredUsageEvent& stored, const Decimal& value) {
        const UsageEvent& event = stored.recorded.event;
        const auto at = std::upper_bound(spans.begin(), spans.end(), *event.at,
                                         [](Timestamp t, const auto& span) { return t < span.first; });
        detail::usage::RangeFold& fold = folds[static_cast<std::size_t>(at - spans.begin()) - 1];
        detail::usage::add_event(fold.row, value, *event.at, event.id);
        if (unique) fold.distinct.insert(stored.value);
      });
    } else {
      for (std::size_t i = 0; i < spans.size(); ++i) {
        const auto [s, e] = read_span(spans[i].first, spans[i].second);
        folds[i] = fold_range(repository, meter, who, std::nullopt, s, e);
      }
    }
    std::vector<UsageBucket> out;
    out.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      out.push_back(UsageBucket{.start = spans[i].first, .end = spans[i].second,
                                .value = folds[i].value(meter.aggregation), .events = folds[i].row.count});
    }
    return out;
  });
}

}  // namespace billing
