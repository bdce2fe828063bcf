#include "subscriptions.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_SUBSCRIPTION_COLUMNS(X)                                                                       \
  X(id)                                                                                                       \
  X(account_id)                                                                                               \
  X(plan)                                                                                                     \
  X(period_plan) X(running_plan) X(currency) X(currency_places) X(interval) X(status) X(start) X(trial_end) X(cycle_origin)   \
      X(anchor_day) X(period_index) X(current_period_start) X(current_period_end) X(cancel_at_period_end)     \
          X(canceled_at) X(version) X(created_at) X(updated_at)
#define BILLING_SQL_QUOTED(name) #name,
enum class Column : int { BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_column_names{BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_SQL_QUOTED
#undef BILLING_SUBSCRIPTION_COLUMNS

#define BILLING_ADJUSTMENT_COLUMNS(X) \
  X(subscription_id) X(period_start) X(sequence) X(description) X(currency) X(currency_places) X(amount_minor) X(created_at)
enum class AdjustmentColumn : int { BILLING_ADJUSTMENT_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_adjustment_columns{column_list(BILLING_ADJUSTMENT_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_ADJUSTMENT_COLUMNS

// Parameters are numbered as the columns, from 1.
template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}

// The columns that never change (the subscriptions_keep_identity trigger's): an update matches them instead of
// setting them. The id is the key it matches first.
constexpr Column k_identity[] = {Column::account_id, Column::currency, Column::currency_places,
                                 Column::interval,   Column::start,    Column::created_at};

bool is_identity(Column column) {
  return std::find(std::begin(k_identity), std::end(k_identity), column) != std::end(k_identity);
}

// "?1, ?2, ... ?n" for the n columns.
std::string all_params() {
  std::string out;
  for (std::size_t i = 1; i <= k_column_names.size(); ++i) out += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
  return out;
}

// Whether the stored status (the column `status`, as the WHERE of an UPDATE reads it) may become the bound
// parameter ?to: it stays, unless it is final (no way out in the table), or it moves along a pair of
// k_subscription_transitions. Written from the table, so that the two never disagree.
std::string transition_allowed_sql(int to) {
  std::string stays;
  std::string moves;
  for (const SubscriptionStatus from : k_subscription_statuses) {
    std::string targets;
    for (const SubscriptionStatus target : k_subscription_statuses) {
      if (!subscription_transition_allowed(from, target)) continue;
      targets += fmt::format("{}{}", targets.empty() ? "" : ", ", static_cast<int>(target));
    }
    if (targets.empty()) continue;
    stays += fmt::format("{}{}", stays.empty() ? "" : ", ", static_cast<int>(from));
    moves += fmt::format(" OR (status = {} AND ?{} IN ({}))", static_cast<int>(from), to, targets);
  }
  return fmt::format("((status = ?{} AND status IN ({})){})", to, stays, moves);
}

// UPDATE subscriptions SET <every other column> WHERE the row is at the version before, holds the identity the
// caller holds, and may move to the new status. No row changes when the stored one differs; update() then says
// why, in the memory adapter's words.
std::string update_sql() {
  std::string set;
  std::string where = fmt::format("id = ?{} AND version = ?{} - 1", param(Column::id), param(Column::version));
  for (std::size_t i = 0; i < k_column_names.size(); ++i) {
    const auto column = static_cast<Column>(i);
    if (column == Column::id) continue;
    const std::string_view name = k_column_names[i];
    if (is_identity(column)) {
      where += fmt::format(" AND {} IS ?{}", name, param(column));
    } else {
      set += fmt::format("{}{} = ?{}", set.empty() ? "" : ", ", name, param(column));
    }
  }
  return fmt::format("UPDATE subscriptions SET {} WHERE {} AND {}", set, where,
                     transition_allowed_sql(param(Column::status)));
}

// The billable statuses, as the WHERE of the partial index subscriptions_due says them, word for word: the
// planner uses a partial index only for a query whose WHERE holds its terms, and INDEXED BY makes a statement
// that no longer does fail to prepare instead of scanning.
static_assert(static_cast<int>(SubscriptionStatus::trialing) == 0 && static_cast<int>(SubscriptionStatus::active) == 1 &&
              static_cast<int>(SubscriptionStatus::past_due) == 2);
constexpr std::string_view k_billable = "status IN (0, 1, 2)";

const std::string k_insert = "INSERT INTO subscriptions (" + k_columns + ") SELECT " + all_params() +
                             " WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1)";
const std::string k_find = "SELECT " + k_columns + " FROM subscriptions WHERE id = ?1";
const std::string k_update = update_sql();
constexpr std::string_view k_account_exists = "SELECT 1 FROM accounts WHERE id = ?1";
constexpr std::string_view k_plan_exists = "SELECT 1 FROM plans WHERE code = ?1";

// due(): ?1 as_of, ?2 and ?3 the cursor's period end and id, ?4 the limit.
const std::string k_due_select = "SELECT " + k_columns + " FROM subscriptions INDEXED BY subscriptions_due WHERE " +
                                 std::string(k_billable) + " AND current_period_end <= ?1 ";
constexpr std::string_view k_due_suffix = "ORDER BY current_period_end, id LIMIT ?4";
const std::string k_due_first = k_due_select + std::string(k_due_suffix);
const std::string k_due_after = k_due_select + "AND (current_period_end, id) > (?2, ?3) " + std::string(k_due_suffix);

// One listing per filter, each served by an index, named (INDEXED BY) as orders and payments do. ?1 is the
// cursor, ?2 the limit, ?3 the status, ?4 the account.
const std::string k_list_select = "SELECT " + k_columns + " FROM subscriptions ";
constexpr std::string_view k_list_suffix = "id > ?1 ORDER BY id LIMIT ?2";
const std::string k_list_all = k_list_select + "WHERE " + std::string(k_list_suffix);
const std::string k_list_status =
    k_list_select + "INDEXED BY subscriptions_by_status WHERE status = ?3 AND " + std::string(k_list_suffix);
const std::string k_list_account =
    k_list_select + "INDEXED BY subscriptions_by_account WHERE account_id = ?4 AND " + std::string(k_list_suffix);
const std::string k_list_both = k_list_select +
                                "INDEXED BY subscriptions_by_account WHERE account_id = ?4 AND status = ?3 AND " +
                                std::string(k_list_suffix);

const std::string k_insert_adjustment =
    "INSERT INTO subscription_adjustments (" + k_adjustment_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const std::string k_adjustments = "SELECT " + k_adjustment_columns +
                                  " FROM subscription_adjustments WHERE subscription_id = ?1 AND period_start = ?2 "
                                  "ORDER BY sequence";
constexpr std::string_view k_last_sequence =
    "SELECT coalesce(max(sequence), 0) FROM subscription_adjustments WHERE subscription_id = ?1 AND period_start = ?2";

constexpr std::int64_t k_max_status = std::size(k_subscription_statuses) - 1;
constexpr std::int64_t k_max_interval = static_cast<std::int64_t>(PlanInterval::year);

std::optional<Timestamp> optional_time(const Statement& row, Column column, std::string_view what) {
  if (row.is_null(col(column))) return std::nullopt;
  return load_time(row.int64(col(column)), what);
}

std::int64_t load_in(const Statement& row, Column column, std::int64_t min, std::int64_t max, std::string_view what) {
  const std::int64_t value = row.int64(col(column));
  if (value < min || value > max) throw_corrupt(what, fmt::format("{} is outside {}..{}", value, min, max));
  return value;
}

Subscription read_subscription(const Statement& row, CurrencyLookup& currencies) {
  const auto time = [&](Column column, std::string_view what) { return load_time(row.int64(col(column)), what); };
  constexpr std::int64_t k_int64_max = std::numeric_limits<std::int64_t>::max();
  return Subscription{
      .id = load_id<SubscriptionId>(row.text(col(Column::id)), "subscription id"),
      .account_id = load_id<AccountId>(row.text(col(Column::account_id)), "subscription account id"),
      .plan = std::string(row.text(col(Column::plan))),
      .period_plan = std::string(row.text(col(Column::period_plan))),
      .running_plan = std::string(row.text(col(Column::running_plan))),
      .currency = currencies(row.text(col(Column::currency)), row.int64(col(Column::currency_places))),
      .interval = load_enum<PlanInterval>(row.int64(col(Column::interval)), k_max_interval, "subscription interval"),
      .status = load_enum<SubscriptionStatus>(row.int64(col(Column::status)), k_max_status, "subscription status"),
      .start = time(Column::start, "subscription start"),
      .trial_end = optional_time(row, Column::trial_end, "subscription trial_end"),
      .cycle_origin = time(Column::cycle_origin, "subscription cycle_origin"),
      .anchor_day = static_cast<unsigned>(load_in(row, Column::anchor_day, 1, 31, "subscription anchor_day")),
      .period_index = load_in(row, Column::period_index, -1, k_int64_max, "subscription period_index"),
      .current_period_start = time(Column::current_period_start, "subscription current_period_start"),
      .current_period_end = time(Column::current_period_end, "subscription current_period_end"),
      .cancel_at_period_end = load_in(row, Column::cancel_at_period_end, 0, 1, "subscription cancel_at_period_end") == 1,
      .canceled_at = optional_time(row, Column::canceled_at, "subscription canceled_at"),
      .version = static_cast<std::uint64_t>(load_in(row, Column::version, 1, k_int64_max, "subscription version")),
      .created_at = time(Column::created_at, "subscription created_at"),
      .updated_at = time(Column::updated_at, "subscription updated_at"),
  };
}

SubscriptionAdjustment read_adjustment(const Statement& row, CurrencyLookup& currencies) {
  const Currency currency =
      currencies(row.text(col(AdjustmentColumn::currency)), row.int64(col(AdjustmentColumn::currency_places)));
  const std::int64_t sequence = row.int64(col(AdjustmentColumn::sequence));
  if (sequence < 1 || sequence > std::numeric_limits<std::uint32_t>::max()) {
    throw_corrupt("adjustment sequence", fmt::format("{} is outside 1..2^32-1", sequence));
  }
  return SubscriptionAdjustment{
      .subscription_id =
          load_id<SubscriptionId>(row.text(col(AdjustmentColumn::subscription_id)), "adjustment subscription id"),
      .period_start = load_time(row.int64(col(AdjustmentColumn::period_start)), "adjustment period_start"),
      .sequence = static_cast<std::uint32_t>(sequence),
      .description = std::string(row.text(col(AdjustmentColumn::description))),
      .amount = Money::from_minor(load_minor(row.int64(col(AdjustmentColumn::amount_minor)),
                                             -std::numeric_limits<std::int64_t>::max(), "adjustment amount"),
                                  currency),
      .created_at = load_time(row.int64(col(AdjustmentColumn::created_at)), "adjustment created_at"),
  };
}

void bind_optional(Statement& statement, Column column, const std::optional<Timestamp>& time) {
  if (time) {
    statement.bind(param(column), time->unix_micros());
  } else {
    statement.bind_null(param(column));
  }
}

void bind_subscription(Statement& statement, const Subscription& s) {
  statement.bind(param(Column::id), s.id.str());
  statement.bind(param(Column::account_id), s.account_id.str());
  statement.bind(param(Column::plan), s.plan);
  statement.bind(param(Column::period_plan), s.period_plan);
  statement.bind(param(Column::running_plan), s.running_plan);
  statement.bind(param(Column::currency), s.currency.code());
  statement.bind(param(Column::currency_places), std::int64_t{s.currency.minor_units()});
  statement.bind(param(Column::interval), static_cast<std::int64_t>(s.interval));
  statement.bind(param(Column::status), static_cast<std::int64_t>(s.status));
  statement.bind(param(Column::start), s.start.unix_micros());
  bind_optional(statement, Column::trial_end, s.trial_end);
  statement.bind(param(Column::cycle_origin), s.cycle_origin.unix_micros());
  statement.bind(param(Column::anchor_day), std::int64_t{s.anchor_day});
  statement.bind(param(Column::period_index), s.period_index);
  statement.bind(param(Column::current_period_start), s.current_period_start.unix_micros());
  statement.bind(param(Column::current_period_end), s.current_period_end.unix_micros());
  statement.bind(param(Column::cancel_at_period_end), std::int64_t{s.cancel_at_period_end ? 1 : 0});
  bind_optional(statement, Column::canceled_at, s.canceled_at);
  statement.bind(param(Column::version), clamp_to_int64(s.version));
  statement.bind(param(Column::created_at), s.created_at.unix_micros());
  statement.bind(param(Column::updated_at), s.updated_at.unix_micros());
}

}  // namespace

std::vector<std::string> subscription_reads_for_testing() {
  return {k_due_first, k_due_after, k_list_all, k_list_account, k_list_status, k_list_both,
          k_find,      k_update,    k_adjustments};
}

void Subscriptions::name_missing_reference(const Subscription& subscription) {
  Connection& connection = session_.read();
  const auto exists = [&](std::string_view sql, std::string_view key) {
    StatementLease query = connection.statement(sql);
    query->bind(1, key);
    return query->step("find what a subscription names");
  };
  if (!exists(k_account_exists, subscription.account_id.str())) integrity::missing_account(subscription.account_id);
  if (!exists(k_plan_exists, subscription.plan)) integrity::missing_plan(subscription.plan);
  if (!exists(k_plan_exists, subscription.period_plan)) integrity::missing_plan(subscription.period_plan);
  if (!exists(k_plan_exists, subscription.running_plan)) integrity::missing_plan(subscription.running_plan);
}

bool Subscriptions::insert(const Subscription& subscription) {
  Connection& connection = session_.write();
  integrity::check_new_subscription(subscription);
  StatementLease statement = connection.statement(k_insert);
  bind_subscription(*statement, subscription);
  try {
    statement->run("insert a subscription");
  } catch (const InvariantViolation&) {
    name_missing_reference(subscription);
    throw;
  }
  return connection.changes() == 1;
}

std::optional<Subscription> Subscriptions::find(const SubscriptionId& id) {
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, id.str());
  if (!query->step("find a subscription")) return std::nullopt;
  CurrencyLookup currencies;
  return read_subscription(*query, currencies);
}

bool Subscriptions::update(const Subscription& next) {
  Connection& connection = session_.write();
  integrity::check_subscription(next);
  {
    StatementLease statement = connection.statement(k_update);
    bind_subscription(*statement, next);
    try {
      statement->run("update a subscription");
    } catch (const InvariantViolation&) {
      // The row matched its version, identity and status, so a foreign key refused a plan.
      name_missing_reference(next);
      throw;
    }
  }
  if (connection.changes() == 1) return true;
  // Nothing changed: find out why, in the words the memory adapter uses.
  const std::optional<Subscription> stored = find(next.id);
  if (!stored || stored->version + 1 != next.version) return false;
  integrity::check_subscription_update(*stored, next);
  BILLING_ASSERT(false && "a subscription update matched no row, yet the stored row allows it");
  return false;
}

std::vector<Subscription> Subscriptions::due(Timestamp as_of, Timestamp after_end, const std::string& after_id,
                                             std::size_t limit) {
  StatementLease query = session_.read().statement(after_id.empty() ? k_due_first : k_due_after);
  query->bind(1, as_of.unix_micros());
  if (!after_id.empty()) {
    query->bind(2, after_end.unix_micros());
    query->bind(3, after_id);
  }
  query->bind(4, clamp_to_int64(limit));
  std::vector<Subscription> out;
  CurrencyLookup currencies;
  while (query->step("find due subscriptions")) out.push_back(read_subscription(*query, currencies));
  return out;
}

std::vector<Subscription> Subscriptions::list(const SubscriptionFilter& filter, const std::string& after,
                                              std::size_t limit) {
  const std::string& sql = filter.account_id ? (filter.status ? k_list_both : k_list_account)
                                             : (filter.status ? k_list_status : k_list_all);
  StatementLease query = session_.read().statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (filter.status) query->bind(3, static_cast<std::int64_t>(*filter.status));
  if (filter.account_id) query->bind(4, filter.account_id->str());
  std::vector<Subscription> out;
  CurrencyLookup currencies;
  while (query->step("list subscriptions")) out.push_back(read_subscription(*query, currencies));
  return out;
}

void Subscriptions::name_adjustment_refusal(const SubscriptionAdjustment& adjustment) {
  const std::optional<Subscription> subscription = find(adjustment.subscription_id);
  if (!subscription) integrity::missing_subscription(adjustment.subscription_id);
  StatementLease query = session_.read().statement(k_last_sequence);
  query->bind(1, adjustment.subscription_id.str());
  query->bind(2, adjustment.period_start.unix_micros());
  const std::int64_t last = query->step("read an adjustment's sequence") ? query->int64(0) : 0;
  if (last < 0 || last > std::numeric_limits<std::uint32_t>::max()) {
    throw_corrupt("adjustment sequence", fmt::format("{} is outside 0..2^32-1", last));
  }
  integrity::check_adjustment_append(adjustment, subscription->currency, static_cast<std::uint32_t>(last));
}

void Subscriptions::insert_adjustment(const SubscriptionAdjustment& adjustment) {
  Connection& connection = session_.write();
  integrity::check_adjustment(adjustment);
  StatementLease statement = connection.statement(k_insert_adjustment);
  statement->bind(param(AdjustmentColumn::subscription_id), adjustment.subscription_id.str());
  statement->bind(param(AdjustmentColumn::period_start), adjustment.period_start.unix_micros());
  statement->bind(param(AdjustmentColumn::sequence), std::int64_t{adjustment.sequence});
  statement->bind(param(AdjustmentColumn::description), adjustment.description);
  statement->bind(param(AdjustmentColumn::currency), adjustment.amount.currency().code());
  statement->bind(param(AdjustmentColumn::currency_places), std::int64_t{adjustment.amount.currency().minor_units()});
  statement->bind(param(AdjustmentColumn::amount_minor), adjustment.amount.minor());
  statement->bind(param(AdjustmentColumn::created_at), adjustment.created_at.unix_micros());
  try {
    statement->run("append a subscription adjustment");
  } catch (const InvariantViolation&) {
    name_adjustment_refusal(adjustment);
    throw;
  }
}

std::vector<SubscriptionAdjustment> Subscriptions::adjustments(const SubscriptionId& id, Timestamp period_start) {
  StatementLease query = session_.read().statement(k_adjustments);
  query->bind(1, id.str());
  query->bind(2, period_start.unix_micros());
  std::vector<SubscriptionAdjustment> out;
  CurrencyLookup currencies;
  while (query->step("read a subscription's adjustments")) out.push_back(read_adjustment(*query, currencies));
  return out;
}

}  // namespace billing::detail::sqlite
