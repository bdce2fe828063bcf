#include "usage.hpp"

#include <algorithm>
#include <limits>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
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
// clang-format off
#define BILLING_AGGREGATE_COLUMNS(X)                                                                      \
  X(meter) X(subject) X(grouped) X(group_value) X(period) X(bucket_start) X(count) X(sum) X(min) X(max) \
      X(latest) X(latest_at) X(latest_event_id) X(unique_count)
// clang-format on
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
    "INSERT INTO usage_meters (" + k_meter_columns +
    ") VALUES ($1::text, $2::bigint, $3::text, $4::text, $5::text, $6::bigint) ON CONFLICT (code) DO NOTHING";
const std::string k_find_meter = "SELECT " + k_meter_columns + " FROM usage_meters WHERE code = $1::text";
const std::string k_meters = "SELECT " + k_meter_columns + " FROM usage_meters ORDER BY code";

const std::string k_event_exists = "SELECT 1 FROM usage_events WHERE id = $1::text";
// A taken id (cancelled or not) inserts nothing and changes no row: the transaction goes on.
const std::string k_insert_event =
    "INSERT INTO usage_events (" + k_event_columns +
    ") VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint, NULL) "
    "ON CONFLICT (id) DO NOTHING";
const std::string k_find_event = "SELECT " + k_event_columns + " FROM usage_events WHERE id = $1::text";
const std::string k_cancel_event =
    "UPDATE usage_events SET cancelled_at = $2::bigint WHERE id = $1::text AND cancelled_at IS NULL";
// (at, id) > (from, after) resumes after a cursor; with none, (start, '') is the same as at >= start, since ids
// are never empty. The group filters without costing the index its range.
const std::string k_events_of_subject =
    "SELECT " + k_event_columns +
    " FROM usage_events WHERE meter = $1::text AND subject = $2::text AND (at, id) > ($3::bigint, $4::text) "
    "AND at < $5::bigint AND cancelled_at IS NULL AND ($6::text IS NULL OR group_value = $6::text) "
    "ORDER BY at, id LIMIT $7::bigint";
const std::string k_events_of_meter =
    "SELECT " + k_event_columns +
    " FROM usage_events WHERE meter = $1::text AND (at, id) > ($2::bigint, $3::text) AND at < $4::bigint "
    "AND cancelled_at IS NULL AND ($5::text IS NULL OR group_value = $5::text) ORDER BY at, id LIMIT $6::bigint";

const std::string k_key_match =
    "meter = $1::text AND subject = $2::text AND grouped = $3::bigint AND group_value = $4::text "
    "AND period = $5::bigint AND bucket_start = $6::bigint";
const std::string k_range_match =
    "meter = $1::text AND subject = $2::text AND grouped = $3::bigint AND group_value = $4::text "
    "AND period = $5::bigint AND bucket_start >= $6::bigint AND bucket_start < $7::bigint";
const std::string k_find_aggregate = "SELECT " + k_aggregate_columns + " FROM usage_aggregates WHERE " + k_key_match;
const std::string k_put_aggregate =
    "INSERT INTO usage_aggregates (" + k_aggregate_columns +
    ") VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::bigint, $7::bigint, $8::text, $9::text, "
    "$10::text, $11::text, $12::bigint, $13::text, $14::bigint) "
    "ON CONFLICT (meter, subject, grouped, group_value, period, bucket_start) DO UPDATE SET count = excluded.count, "
    "sum = excluded.sum, min = excluded.min, max = excluded.max, latest = excluded.latest, "
    "latest_at = excluded.latest_at, latest_event_id = excluded.latest_event_id, "
    "unique_count = excluded.unique_count";
const std::string k_aggregates =
    "SELECT " + k_aggregate_columns + " FROM usage_aggregates WHERE " + k_range_match + " ORDER BY bucket_start";
// Served by usage_aggregates_by_period, whose predicate the constants here imply.
const std::string k_aggregates_of_subjects =
    "SELECT " + k_aggregate_columns +
    " FROM usage_aggregates WHERE meter = $1::text AND period = $2::bigint AND bucket_start >= $3::bigint "
    "AND bucket_start < $4::bigint AND grouped = 0 AND subject <> '' ORDER BY subject, bucket_start";

const std::string k_add_distinct =
    "INSERT INTO usage_distinct (meter, subject, grouped, group_value, period, bucket_start, value, events) "
    "VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::bigint, $7::text, $8::bigint) "
    "ON CONFLICT (meter, subject, grouped, group_value, period, bucket_start, value) "
    "DO UPDATE SET events = usage_distinct.events + excluded.events RETURNING events";
const std::string k_distinct_match = k_key_match + " AND value = $7::text";
const std::string k_find_distinct = "SELECT events FROM usage_distinct WHERE " + k_distinct_match;
// A decrease ($8 < 0) in one statement: the count before, and the row lowered, or removed when it reaches zero.
// Both changes see the row as it was, so at most one of them applies; neither does when the count would go
// below zero, and the caller refuses that.
// clang-format off
const std::string k_subtract_distinct =
    "WITH found AS (SELECT events FROM usage_distinct WHERE " + k_distinct_match + "), "
    "removed AS (DELETE FROM usage_distinct WHERE " + k_distinct_match + " AND events + $8::bigint = 0), "
    "lowered AS (UPDATE usage_distinct SET events = events + $8::bigint WHERE " + k_distinct_match +
    " AND events + $8::bigint > 0) "
    "SELECT coalesce((SELECT events FROM found), 0)";
// clang-format on
const std::string k_distinct_values = "SELECT value FROM usage_distinct WHERE " + k_range_match;

const std::string k_totals = "SELECT " + k_totals_columns + " FROM usage_totals WHERE meter = $1::text";
const std::string k_put_totals =
    "INSERT INTO usage_totals (" + k_totals_columns +
    ") VALUES ($1::text, $2::bigint, $3::bigint, $4::text, $5::text) ON CONFLICT (meter) DO UPDATE SET "
    "subjects = excluded.subjects, events = excluded.events, total = excluded.total, sum = excluded.sum";

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

/// Binds a key to $1 to $6. `key` outlives the statement's use.
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

/// Binds a range to $1 to $7.
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
  return {
      k_find_meter,     k_meters,     k_event_exists,           k_find_event,    k_events_of_subject, k_events_of_meter,
      k_find_aggregate, k_aggregates, k_aggregates_of_subjects, k_find_distinct, k_distinct_values,   k_totals};
}

void Usage::take_turn() {
  if (holds_turn_ || !session_.writing()) return;
  session_.lock_key("usage", "writers");
  holds_turn_ = true;
}

Connection& Usage::reader() {
  Connection& connection = session_.read();
  take_turn();
  return connection;
}

Connection& Usage::writer() {
  Connection& connection = session_.write();  // Misuse in a read transaction, before any lock
  take_turn();
  return connection;
}

const Meter* Usage::cached_meter(std::string_view code) {
  if (const auto it = meters_.find(code); it != meters_.end()) return &it->second;
  std::optional<Meter> meter = find_meter(code);
  if (!meter) return nullptr;
  return &meters_.insert_or_assign(meter->code, std::move(*meter)).first->second;
}

bool Usage::insert_meter(const Meter& meter) {
  (void)session_.write();  // Misuse before the checks, as on the other adapters
  integrity::check_meter(meter);
  Connection& connection = writer();
  StatementLease statement = connection.statement(k_insert_meter);
  statement->bind(param(MeterColumn::code), meter.code);
  statement->bind(param(MeterColumn::aggregation), static_cast<std::int64_t>(meter.aggregation));
  statement->bind(param(MeterColumn::unit), meter.unit);
  bind_optional(*statement, param(MeterColumn::property), meter.property);
  bind_optional(*statement, param(MeterColumn::group_by), meter.group_by);
  statement->bind(param(MeterColumn::created_at), meter.created_at.unix_micros());
  if (statement->run("insert a meter") != 1) return false;
  meters_.insert_or_assign(meter.code, meter);
  return true;
}

std::optional<Meter> Usage::find_meter(std::string_view code) {
  Connection& connection = reader();
  if (const auto it = meters_.find(code); it != meters_.end()) return it->second;
  StatementLease query = connection.statement(k_find_meter);
  query->bind(1, code);
  if (!query->step("find a meter")) return std::nullopt;
  Meter meter = read_meter(*query);
  meters_.insert_or_assign(meter.code, meter);
  return meter;
}

std::vector<Meter> Usage::meters() {
  StatementLease query = reader().statement(k_meters);
  std::vector<Meter> out;
  while (query->step("list the meters")) out.push_back(read_meter(*query));
  return out;
}

bool Usage::event_exists(std::string_view id) {
  StatementLease query = reader().statement(k_event_exists);
  query->bind(1, id);
  return query->step("look up a usage event id");
}

void Usage::insert_event(const StoredUsageEvent& stored) {
  Connection& connection = writer();
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
  // The one key a new event may collide on is its id: say so in the memory adapter's words. Under the
  // writers' lock no other transaction inserts one meanwhile, so the id was taken before this one looked.
  if (statement->run("insert a usage event") != 1) integrity::missing_usage_event(event.id, "already exists");
}

std::optional<StoredUsageEvent> Usage::find_event(std::string_view id) {
  StatementLease query = reader().statement(k_find_event);
  query->bind(1, id);
  if (!query->step("find a usage event")) return std::nullopt;
  return read_event(*query);
}

void Usage::mark_cancelled(std::string_view id, Timestamp at) {
  Connection& connection = writer();
  std::int64_t changed = 0;
  {
    StatementLease statement = connection.statement(k_cancel_event);
    statement->bind(1, id);
    statement->bind(2, at.unix_micros());
    changed = statement->run("cancel a usage event");
  }
  if (changed == 1) return;
  if (!event_exists(id)) integrity::missing_usage_event(id, "does not exist");
  integrity::missing_usage_event(id, "is cancelled already");
}

std::vector<StoredUsageEvent> Usage::events(const UsageEventQuery& query, const std::optional<UsageEventCursor>& after,
                                            std::size_t limit) {
  StatementLease statement = reader().statement(query.subject ? k_events_of_subject : k_events_of_meter);
  static const std::string k_before_every_id;
  const Timestamp from = after ? std::max(after->at, query.start) : query.start;
  const std::string& after_id = after && after->at >= query.start ? after->id : k_before_every_id;
  // The subject's query has it as $2; the meter's numbers the rest one lower.
  int next = 1;
  statement->bind(next++, query.meter);
  if (query.subject) statement->bind(next++, *query.subject);
  statement->bind(next++, from.unix_micros());
  statement->bind(next++, after_id);
  statement->bind(next++, query.end.unix_micros());
  bind_optional(*statement, next++, query.group);
  statement->bind(next, clamp_to_int64(limit));
  std::vector<StoredUsageEvent> out;
  while (statement->step("list usage events")) out.push_back(read_event(*statement));
  return out;
}

std::optional<UsageAggregate> Usage::find_aggregate(const UsageAggregateKey& key) {
  StatementLease query = reader().statement(k_find_aggregate);
  bind_key(*query, key);
  if (!query->step("find a usage aggregate")) return std::nullopt;
  return read_aggregate(*query);
}

void Usage::put_aggregate(const UsageAggregate& aggregate) {
  (void)session_.write();  // Misuse before the checks, as on the other adapters
  integrity::check_usage_aggregate(aggregate);
  Connection& connection = writer();
  // Refused here rather than by the foreign key, which would abort the transaction (SQLite's leaves it usable).
  if (cached_meter(aggregate.key.meter) == nullptr) {
    throw InvariantViolation("meter", "an aggregate of a meter that is not stored");
  }
  using C = AggregateColumn;
  const std::string sum = aggregate.sum.to_string();
  const std::optional<std::string> min = aggregate.min ? std::optional(aggregate.min->to_string()) : std::nullopt;
  const std::optional<std::string> max = aggregate.max ? std::optional(aggregate.max->to_string()) : std::nullopt;
  const std::optional<std::string> latest =
      aggregate.latest ? std::optional(aggregate.latest->to_string()) : std::nullopt;
  const std::int64_t count = stored_count(aggregate.count, "count");
  const std::int64_t unique_count = stored_count(aggregate.unique_count, "unique_count");
  StatementLease statement = connection.statement(k_put_aggregate);
  bind_key(*statement, aggregate.key);
  statement->bind(param(C::count), count);
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
  statement->bind(param(C::unique_count), unique_count);
  statement->run("store a usage aggregate");
}

std::vector<UsageAggregate> Usage::aggregates(const UsageAggregateRange& range) {
  StatementLease query = reader().statement(k_aggregates);
  bind_range(*query, range);
  return read_aggregates(*query, "read usage aggregates");
}

std::vector<UsageAggregate> Usage::aggregates_of_subjects(std::string_view meter, UsagePeriod period, Timestamp start,
                                                          Timestamp end) {
  StatementLease query = reader().statement(k_aggregates_of_subjects);
  query->bind(1, meter);
  query->bind(2, static_cast<std::int64_t>(period));
  query->bind(3, start.unix_micros());
  query->bind(4, end.unix_micros());
  return read_aggregates(*query, "read the usage aggregates of every subject");
}

std::uint64_t Usage::add_distinct(const UsageAggregateKey& key, std::string_view value, std::int64_t delta) {
  Connection& connection = writer();
  if (delta > 0) {
    StatementLease statement = connection.statement(k_add_distinct);
    bind_key(*statement, key);
    statement->bind(7, value);
    statement->bind(8, delta);
    if (!statement->step("count a distinct usage value")) throw_corrupt("usage_distinct", "the upsert returned no row");
    const std::int64_t after = statement->int64(0);
    if (after < delta) throw_corrupt("usage_distinct", "a count went down on an addition");
    return static_cast<std::uint64_t>(after - delta);
  }
  StatementLease query = connection.statement(delta == 0 ? k_find_distinct : k_subtract_distinct);
  bind_key(*query, key);
  query->bind(7, value);
  if (delta != 0) query->bind(8, delta);
  const std::int64_t before = query->step("count a distinct usage value") ? query->int64(0) : 0;
  if (before < 0) throw_corrupt("usage_distinct", "a count is below zero");
  // The magnitude through the unsigned type, so that the most negative delta has one.
  const std::uint64_t magnitude = std::uint64_t{0} - static_cast<std::uint64_t>(delta);
  if (static_cast<std::uint64_t>(before) < magnitude) {
    throw InvariantViolation("value", "a distinct value would be held by fewer than no events");
  }
  return static_cast<std::uint64_t>(before);
}

std::vector<std::string> Usage::distinct_values(const UsageAggregateRange& range) {
  StatementLease query = reader().statement(k_distinct_values);
  bind_range(*query, range);
  std::vector<std::string> out;
  while (query->step("read distinct usage values")) out.emplace_back(query->text(0));
  return out;
}

UsageTotals Usage::totals(std::string_view meter) {
  StatementLease query = reader().statement(k_totals);
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
  (void)session_.write();  // Misuse before the checks, as on the other adapters
  integrity::check_usage_totals(totals);
  Connection& connection = writer();
  if (cached_meter(totals.meter) == nullptr) throw InvariantViolation("meter", "totals of a meter that is not stored");
  const std::string total = totals.total.to_string();
  const std::string sum = totals.sum.to_string();
  const std::int64_t subjects = stored_count(totals.subjects, "subjects");
  const std::int64_t events = stored_count(totals.events, "events");
  StatementLease statement = connection.statement(k_put_totals);
  using C = TotalsColumn;
  statement->bind(param(C::meter), totals.meter);
  statement->bind(param(C::subjects), subjects);
  statement->bind(param(C::events), events);
  statement->bind(param(C::total), total);
  statement->bind(param(C::sum), sum);
  statement->run("store a meter's usage totals");
}

}  // namespace billing::detail::postgres
