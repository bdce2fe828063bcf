#include "usage.hpp"

#include <limits>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_METER_COLUMNS(X) X(code) X(aggregation) X(unit) X(property) X(group_by) X(created_at)
enum class MeterColumn : int { BILLING_METER_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_meter_columns{column_list(BILLING_METER_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_METER_COLUMNS

#define BILLING_EVENT_COLUMNS(X) \
  X(meter) X(subject) X(at) X(id) X(quantity) X(properties) X(value) X(group_value) X(recorded_at) X(cancelled_at)
enum class EventColumn : int { BILLING_EVENT_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_event_columns{column_list(BILLING_EVENT_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_EVENT_COLUMNS

// The key's columns come first in both tables that have one, so that a key binds alike in each.
#define BILLING_AGGREGATE_COLUMNS(X)                                                                      \
  X(meter) X(subject) X(grouped) X(group_value) X(period) X(bucket_start) X(count) X(sum) X(min) X(max) \
      X(latest) X(latest_at) X(latest_event_id) X(unique_count)
enum class AggregateColumn : int { BILLING_AGGREGATE_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_aggregate_columns{column_list(BILLING_AGGREGATE_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_AGGREGATE_COLUMNS

#define BILLING_TOTALS_COLUMNS(X) X(meter) X(subjects) X(events) X(total) X(sum)
enum class TotalsColumn : int { BILLING_TOTALS_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_totals_columns{column_list(BILLING_TOTALS_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_TOTALS_COLUMNS

template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}

const std::string k_insert_meter =
    "INSERT INTO usage_meters (" + k_meter_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO NOTHING";
const std::string k_find_meter = "SELECT " + k_meter_columns + " FROM usage_meters WHERE code = ?1";
const std::string k_meters = "SELECT " + k_meter_columns + " FROM usage_meters ORDER BY code";

constexpr std::string_view k_event_exists = "SELECT 1 FROM usage_events WHERE id = ?1";
const std::string k_insert_event =
    "INSERT INTO usage_events (" + k_event_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
const std::string k_find_event = "SELECT " + k_event_columns + " FROM usage_events WHERE id = ?1";
constexpr std::string_view k_cancel_event =
    "UPDATE usage_events SET cancelled_at = ?2 WHERE id = ?1 AND cancelled_at IS NULL";
// (at, id) > (?3, ?4) resumes after a cursor; with none, (start, '') is the same as at >= start, since ids are
// never empty. ?6 filters a group without costing the index its range.
const std::string k_events_of_subject =
    "SELECT " + k_event_columns +
    " FROM usage_events WHERE meter = ?1 AND subject = ?2 AND (at, id) > (?3, ?4) AND at < ?5 "
    "AND cancelled_at IS NULL AND (?6 IS NULL OR group_value = ?6) ORDER BY at, id LIMIT ?7";
const std::string k_events_of_meter =
    "SELECT " + k_event_columns +
    " FROM usage_events INDEXED BY usage_events_by_meter WHERE meter = ?1 AND (at, id) > (?3, ?4) AND at < ?5 "
    "AND cancelled_at IS NULL AND (?6 IS NULL OR group_value = ?6) ORDER BY at, id LIMIT ?7";

const std::string k_key_match =
    "meter = ?1 AND subject = ?2 AND grouped = ?3 AND group_value = ?4 AND period = ?5 AND bucket_start = ?6";
const std::string k_range_match =
    "meter = ?1 AND subject = ?2 AND grouped = ?3 AND group_value = ?4 AND period = ?5 AND bucket_start >= ?6 "
    "AND bucket_start < ?7";
const std::string k_find_aggregate = "SELECT " + k_aggregate_columns + " FROM usage_aggregates WHERE " + k_key_match;
const std::string k_put_aggregate =
    "INSERT INTO usage_aggregates (" + k_aggregate_columns +
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (meter, subject, grouped, group_value, period, bucket_start) DO UPDATE SET count = excluded.count, "
    "sum = excluded.sum, min = excluded.min, max = excluded.max, latest = excluded.latest, latest_at = "
    "excluded.latest_at, latest_event_id = excluded.latest_event_id, unique_count = excluded.unique_count";
const std::string k_aggregates =
    "SELECT " + k_aggregate_columns + " FROM usage_aggregates WHERE " + k_range_match + " ORDER BY bucket_start";
const std::string k_aggregates_of_subjects =
    "SELECT " + k_aggregate_columns +
    " FROM usage_aggregates INDEXED BY usage_aggregates_by_period WHERE meter = ?1 AND period = ?2 "
    "AND bucket_start >= ?3 AND bucket_start < ?4 AND grouped = 0 AND subject <> ''";

const std::string k_add_distinct =
    "INSERT INTO usage_distinct (meter, subject, grouped, group_value, period, bucket_start, value, events) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO UPDATE SET events = events + excluded.events "
    "RETURNING events";
const std::string k_find_distinct = "SELECT events FROM usage_distinct WHERE " + k_key_match + " AND value = ?7";
const std::string k_set_distinct = "UPDATE usage_distinct SET events = ?8 WHERE " + k_key_match + " AND value = ?7";
const std::string k_remove_distinct = "DELETE FROM usage_distinct WHERE " + k_key_match + " AND value = ?7";
const std::string k_distinct_values = "SELECT value FROM usage_distinct WHERE " + k_range_match;

const std::string k_totals = "SELECT " + k_totals_columns + " FROM usage_totals WHERE meter = ?1";
const std::string k_put_totals =
    "INSERT INTO usage_totals (" + k_totals_columns +
    ") VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (meter) DO UPDATE SET subjects = excluded.subjects, "
    "events = excluded.events, total = excluded.total, sum = excluded.sum";

constexpr std::int64_t k_max_aggregation = static_cast<std::int64_t>(Aggregation::unique_count);
constexpr std::int64_t k_max_period = static_cast<std::int64_t>(UsagePeriod::month);

std::int64_t stored_count(std::uint64_t value, std::string_view field) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw Overflow(std::string(field), "a count beyond 2^63 - 1 cannot be stored");
  }
  return static_cast<std::int64_t>(value);
}

std::uint64_t load_count(std::int64_t value, std::string_view what) {
  if (value < 0) throw_corrupt(what, fmt::format("{} is below zero", value));
  return static_cast<std::uint64_t>(value);
}

std::optional<Decimal> load_optional_decimal(const Statement& row, int column, std::string_view what) {
  if (row.is_null(column)) return std::nullopt;
  return load_decimal(row.text(column), what);
}

std::optional<std::string> optional_text(const Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return std::string(row.text(column));
}

void bind_optional(Statement& statement, int index, const std::optional<std::string>& text) {
  if (text) {
    statement.bind(index, *text);
  } else {
    statement.bind_null(index);
  }
}

Meter read_meter(const Statement& row) {
  return Meter{
      .code = std::string(row.text(col(MeterColumn::code))),
      .aggregation = load_enum<Aggregation>(row.int64(col(MeterColumn::aggregation)), k_max_aggregation, "aggregation"),
      .unit = std::string(row.text(col(MeterColumn::unit))),
      .property = optional_text(row, col(MeterColumn::property)),
      .group_by = optional_text(row, col(MeterColumn::group_by)),
      .created_at = load_time(row.int64(col(MeterColumn::created_at)), "meter created_at"),
  };
}

StoredUsageEvent read_event(const Statement& row) {
  const int cancelled = col(EventColumn::cancelled_at);
  StoredUsageEvent out{
      .recorded = {.event = {.id = std::string(row.text(col(EventColumn::id))),
                             .meter = std::string(row.text(col(EventColumn::meter))),
                             .subject = std::string(row.text(col(EventColumn::subject))),
                             .quantity = load_decimal(row.text(col(EventColumn::quantity)), "usage event quantity"),
                             .at = load_time(row.int64(col(EventColumn::at)), "usage event at"),
                             .properties = decode_metadata(row.text(col(EventColumn::properties)), "a usage event")},
                   .recorded_at = load_time(row.int64(col(EventColumn::recorded_at)), "usage event recorded_at"),
                   .cancelled_at = row.is_null(cancelled)
                                       ? std::nullopt
                                       : std::optional<Timestamp>(load_time(row.int64(cancelled), "cancelled_at"))},
      .value = std::string(row.text(col(EventColumn::value))),
      .group = optional_text(row, col(EventColumn::group_value)),
  };
  return out;
}

UsageAggregate read_aggregate(const Statement& row) {
  using C = AggregateColumn;
  UsageAggregate out;
  out.key.meter = std::string(row.text(col(C::meter)));
  out.key.subject = std::string(row.text(col(C::subject)));
  if (row.int64(col(C::grouped)) != 0) out.key.group = std::string(row.text(col(C::group_value)));
  out.key.period = load_enum<UsagePeriod>(row.int64(col(C::period)), k_max_period, "usage period");
  out.key.bucket_start = load_time(row.int64(col(C::bucket_start)), "usage bucket_start");
  out.count = load_count(row.int64(col(C::count)), "usage count");
  out.sum = load_decimal(row.text(col(C::sum)), "usage sum");
  out.min = load_optional_decimal(row, col(C::min), "usage min");
  out.max = load_optional_decimal(row, col(C::max), "usage max");
  out.latest = load_optional_decimal(row, col(C::latest), "usage latest");
  if (!row.is_null(col(C::latest_at))) out.latest_at = load_time(row.int64(col(C::latest_at)), "usage latest_at");
  out.latest_event_id = std::string(row.text(col(C::latest_event_id)));
  out.unique_count = load_count(row.int64(col(C::unique_count)), "usage unique_count");
  return out;
}

/// Binds a key to ?1 to ?6. `key` outlives the statement's use.
void bind_key(Statement& statement, const UsageAggregateKey& key) {
  using C = AggregateColumn;
  static const std::string k_no_group;
  statement.bind(param(C::meter), key.meter);
  statement.bind(param(C::subject), key.subject);
  statement.bind(param(C::grouped), std::int64_t{key.group ? 1 : 0});
  statement.bind(param(C::group_value), key.group ? *key.group : k_no_group);
  statement.bind(param(C::period), static_cast<std::int64_t>(key.period));
  statement.bind(param(C::bucket_start), key.bucket_start.unix_micros());
}

/// Binds a range to ?1 to ?7.
void bind_range(Statement& statement, const UsageAggregateRange& range) {
  static const std::string k_no_group;
  statement.bind(1, range.meter);
  statement.bind(2, range.subject);
  statement.bind(3, std::int64_t{range.group ? 1 : 0});
  statement.bind(4, range.group ? *range.group : k_no_group);
  statement.bind(5, static_cast<std::int64_t>(range.period));
  statement.bind(6, range.start.unix_micros());
  statement.bind(7, range.end.unix_micros());
}

std::vector<UsageAggregate> read_aggregates(Statement& query, std::string_view operation) {
  std::vector<UsageAggregate> out;
  while (query.step(operation)) out.push_back(read_aggregate(query));
  return out;
}

}  // namespace

std::vector<std::string> usage_reads_for_testing() {
  return {k_find_meter,     k_event_exists.data(), k_find_event, k_events_of_subject, k_events_of_meter,
          k_find_aggregate, k_aggregates,          k_aggregates_of_subjects, k_find_distinct, k_distinct_values,
          k_totals};
}

const Meter* Usage::cached_meter(std::string_view code) {
  if (const auto it = meters_.find(code); it != meters_.end()) return &it->second;
  std::optional<Meter> meter = find_meter(code);
  if (!meter) return nullptr;
  return &meters_.emplace(meter->code, std::move(*meter)).first->second;
}

bool Usage::insert_meter(const Meter& meter) {
  Connection& connection = session_.write();
  integrity::check_meter(meter);
  StatementLease statement = connection.statement(k_insert_meter);
  statement->bind(param(MeterColumn::code), meter.code);
  statement->bind(param(MeterColumn::aggregation), static_cast<std::int64_t>(meter.aggregation));
  statement->bind(param(MeterColumn::unit), meter.unit);
  bind_optional(*statement, param(MeterColumn::property), meter.property);
  bind_optional(*statement, param(MeterColumn::group_by), meter.group_by);
  statement->bind(param(MeterColumn::created_at), meter.created_at.unix_micros());
  statement->run("insert a meter");
  return connection.changes() == 1;
}

std::optional<Meter> Usage::find_meter(std::string_view code) {
  StatementLease query = session_.read().statement(k_find_meter);
  query->bind(1, code);
  if (!query->step("find a meter")) return std::nullopt;
  return read_meter(*query);
}

std::vector<Meter> Usage::meters() {
  StatementLease query = session_.read().statement(k_meters);
  std::vector<Meter> out;
  while (query->step("list the meters")) out.push_back(read_meter(*query));
  return out;
}

bool Usage::event_exists(std::string_view id) {
  StatementLease query = session_.read().statement(k_event_exists);
  query->bind(1, id);
  return query->step("look up a usage event id");
}

void Usage::insert_event(const StoredUsageEvent& stored) {
  Connection& connection = session_.write();
  const UsageEvent& event = stored.recorded.event;
  const Meter* meter = cached_meter(event.meter);
  if (meter == nullptr) throw InvariantViolation("meter", "a usage event of a meter that is not stored");
  integrity::check_usage_event(stored, *meter);
  std::string& properties = connection.scratch();
  encode_metadata(event.properties, properties);
  const std::string quantity = event.quantity.to_string();
  StatementLease statement = connection.statement(k_insert_event);
  using C = EventColumn;
  statement->bind(param(C::meter), event.meter);
  statement->bind(param(C::subject), event.subject);
  statement->bind(param(C::at), event.at->unix_micros());
  statement->bind(param(C::id), event.id);
  statement->bind(param(C::quantity), quantity);
  statement->bind(param(C::properties), properties);
  statement->bind(param(C::value), stored.value);
  bind_optional(*statement, param(C::group_value), stored.group);
  statement->bind(param(C::recorded_at), stored.recorded.recorded_at.unix_micros());
  statement->bind_null(param(C::cancelled_at));
  try {
    statement->run("insert a usage event");
  } catch (const InvariantViolation&) {
    // The one key a new event may collide on is its id: say so in the memory adapter's words.
    if (event_exists(event.id)) integrity::missing_usage_event(event.id, "already exists");
    throw;
  }
}

std::optional<StoredUsageEvent> Usage::find_event(std::string_view id) {
  StatementLease query = session_.read().statement(k_find_event);
  query->bind(1, id);
  if (!query->step("find a usage event")) return std::nullopt;
  return read_event(*query);
}

void Usage::mark_cancelled(std::string_view id, Timestamp at) {
  Connection& connection = session_.write();
  {
    StatementLease statement = connection.statement(k_cancel_event);
    statement->bind(1, id);
    statement->bind(2, at.unix_micros());
    statement->run("cancel a usage event");
  }
  if (connection.changes() == 1) return;
  if (!event_exists(id)) integrity::missing_usage_event(id, "does not exist");
  integrity::missing_usage_event(id, "is cancelled already");
}

std::vector<StoredUsageEvent> Usage::events(const UsageEventQuery& query, const std::optional<UsageEventCursor>& after,
                                            std::size_t limit) {
  StatementLease statement = session_.read().statement(query.subject ? k_events_of_subject : k_events_of_meter);
  static const std::string k_before_every_id;
  statement->bind(1, query.meter);
  if (query.subject) statement->bind(2, *query.subject);
  const Timestamp from = after ? std::max(after->at, query.start) : query.start;
  statement->bind(3, from.unix_micros());
  statement->bind(4, after && after->at >= query.start ? after->id : k_before_every_id);
  statement->bind(5, query.end.unix_micros());
  bind_optional(*statement, 6, query.group);
  statement->bind(7, clamp_to_int64(limit));
  std::vector<StoredUsageEvent> out;
  while (statement->step("list usage events")) out.push_back(read_event(*statement));
  return out;
}

std::optional<UsageAggregate> Usage::find_aggregate(const UsageAggregateKey& key) {
  StatementLease query = session_.read().statement(k_find_aggregate);
  bind_key(*query, key);
  if (!query->step("find a usage aggregate")) return std::nullopt;
  return read_aggregate(*query);
}

void Usage::put_aggregate(const UsageAggregate& aggregate) {
  Connection& connection = session_.write();
  integrity::check_usage_aggregate(aggregate);
  using C = AggregateColumn;
  const std::string sum = aggregate.sum.to_string();
  const std::optional<std::string> min = aggregate.min ? std::optional(aggregate.min->to_string()) : std::nullopt;
  const std::optional<std::string> max = aggregate.max ? std::optional(aggregate.max->to_string()) : std::nullopt;
  const std::optional<std::string> latest =
      aggregate.latest ? std::optional(aggregate.latest->to_string()) : std::nullopt;
  StatementLease statement = connection.statement(k_put_aggregate);
  bind_key(*statement, aggregate.key);
  statement->bind(param(C::count), stored_count(aggregate.count, "count"));
  statement->bind(param(C::sum), sum);
  bind_optional(*statement, param(C::min), min);
  bind_optional(*statement, param(C::max), max);
  bind_optional(*statement, param(C::latest), latest);
  if (aggregate.latest_at) {
    statement->bind(param(C::latest_at), aggregate.latest_at->unix_micros());
  } else {
    statement->bind_null(param(C::latest_at));
  }
  statement->bind(param(C::latest_event_id), aggregate.latest_event_id);
  statement->bind(param(C::unique_count), stored_count(aggregate.unique_count, "unique_count"));
  statement->run("store a usage aggregate");
}

std::vector<UsageAggregate> Usage::aggregates(const UsageAggregateRange& range) {
  StatementLease query = session_.read().statement(k_aggregates);
  bind_range(*query, range);
  return read_aggregates(*query, "read usage aggregates");
}

std::vector<UsageAggregate> Usage::aggregates_of_subjects(std::string_view meter, UsagePeriod period, Timestamp start,
                                                          Timestamp end) {
  StatementLease query = session_.read().statement(k_aggregates_of_subjects);
  query->bind(1, meter);
  query->bind(2, static_cast<std::int64_t>(period));
  query->bind(3, start.unix_micros());
  query->bind(4, end.unix_micros());
  return read_aggregates(*query, "read the usage aggregates of every subject");
}

std::uint64_t Usage::add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) {
  Connection& connection = session_.write();
  if (delta > 0) {
    StatementLease statement = connection.statement(k_add_distinct);
    bind_key(*statement, key);
    statement->bind(7, value);
    statement->bind(8, delta);
    if (!statement->step("count a distinct usage value")) throw_corrupt("usage_distinct", "the upsert returned no row");
    const std::int64_t after = statement->int64(0);
    statement->run("count a distinct usage value");
    if (after < delta) throw_corrupt("usage_distinct", "a count went down on an addition");
    return static_cast<std::uint64_t>(after - delta);
  }
  std::int64_t before = 0;
  {
    StatementLease query = connection.statement(k_find_distinct);
    bind_key(*query, key);
    query->bind(7, value);
    if (query->step("find a distinct usage value")) before = query->int64(0);
  }
  if (delta == 0) return static_cast<std::uint64_t>(before);
  if (before < -delta) throw InvariantViolation("value", "a distinct value would be held by fewer than no events");
  StatementLease statement = connection.statement(before + delta == 0 ? k_remove_distinct : k_set_distinct);
  bind_key(*statement, key);
  statement->bind(7, value);
  if (before + delta != 0) statement->bind(8, before + delta);
  statement->run("uncount a distinct usage value");
  return static_cast<std::uint64_t>(before);
}

std::vector<std::string> Usage::distinct_values(const UsageAggregateRange& range) {
  StatementLease query = session_.read().statement(k_distinct_values);
  bind_range(*query, range);
  std::vector<std::string> out;
  while (query->step("read distinct usage values")) out.emplace_back(query->text(0));
  return out;
}

UsageTotals Usage::totals(std::string_view meter) {
  StatementLease query = session_.read().statement(k_totals);
  query->bind(1, meter);
  UsageTotals out{.meter = std::string(meter)};
  if (!query->step("read a meter's usage totals")) return out;
  using C = TotalsColumn;
  out.subjects = load_count(query->int64(col(C::subjects)), "usage subjects");
  out.events = load_count(query->int64(col(C::events)), "usage events");
  out.total = load_decimal(query->text(col(C::total)), "usage total");
  out.sum = load_decimal(query->text(col(C::sum)), "usage sum");
  return out;
}

void Usage::put_totals(const UsageTotals& totals) {
  Connection& connection = session_.write();
  integrity::check_usage_totals(totals);
  if (cached_meter(totals.meter) == nullptr) throw InvariantViolation("meter", "totals of a meter that is not stored");
  const std::string total = totals.total.to_string();
  const std::string sum = totals.sum.to_string();
  StatementLease statement = connection.statement(k_put_totals);
  using C = TotalsColumn;
  statement->bind(param(C::meter), totals.meter);
  statement->bind(param(C::subjects), stored_count(totals.subjects, "subjects"));
  statement->bind(param(C::events), stored_count(totals.events, "events"));
  statement->bind(param(C::total), total);
  statement->bind(param(C::sum), sum);
  statement->run("store a meter's usage totals");
}

}  // namespace billing::detail::sqlite
