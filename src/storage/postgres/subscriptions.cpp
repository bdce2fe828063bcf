#include "subscriptions.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

#include "../../text.hpp"
#include "../conflict.hpp"
#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of each table, in the order every statement here names them.
#define BILLING_SUBSCRIPTION_COLUMNS(X)                                                                               \
  X(id)                                                                                                               \
  X(account_id)                                                                                                       \
  X(plan)                                                                                                             \
  X(period_plan)                                                                                                      \
  X(running_plan)                                                                                                     \
  X(currency) X(currency_places) X(interval) X(status) X(start) X(trial_end) X(cycle_origin) X(anchor_day)            \
      X(period_index) X(current_period_start) X(current_period_end) X(cancel_at_period_end) X(canceled_at) X(version) \
          X(created_at) X(updated_at)
#define BILLING_SQL_QUOTED(name) #name,
enum class Column : int { BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_column_names{BILLING_SUBSCRIPTION_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_SUBSCRIPTION_COLUMNS

#define BILLING_ADJUSTMENT_COLUMNS(X) \
  X(subscription_id)                  \
  X(period_start) X(sequence) X(description) X(currency) X(currency_places) X(amount_minor) X(created_at)
enum class AdjustmentColumn : int { BILLING_ADJUSTMENT_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_adjustment_columns{column_list(BILLING_ADJUSTMENT_COLUMNS(BILLING_SQL_NAME))};
constexpr std::array k_adjustment_column_names{BILLING_ADJUSTMENT_COLUMNS(BILLING_SQL_QUOTED)};
#undef BILLING_ADJUSTMENT_COLUMNS
#undef BILLING_SQL_QUOTED

// Parameters are numbered as the columns, from 1.
template <class C>
int param(C column) noexcept {
  return col(column) + 1;
}

bool is_text(Column column) {
  switch (column) {
    case Column::id:
    case Column::account_id:
    case Column::plan:
    case Column::period_plan:
    case Column::running_plan:
    case Column::currency: return true;
    default: return false;
  }
}

bool is_text(AdjustmentColumn column) {
  return column == AdjustmentColumn::subscription_id || column == AdjustmentColumn::description ||
         column == AdjustmentColumn::currency;
}

// "$n::text" or "$n::bigint": the parameter of `column`, with the type PostgreSQL is to read it as.
template <class C>
std::string typed(C column) {
  return fmt::format("${}::{}", param(column), is_text(column) ? "text" : "bigint");
}

// "$1::text, $2::text, ... $n::bigint" for the `count` columns of a table.
template <class C>
std::string all_params(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += fmt::format("{}{}", i == 0 ? "" : ", ", typed(static_cast<C>(i)));
  return out;
}

// The columns that never change (the subscriptions_keep_identity trigger's): an update matches them instead of
// setting them. The id is the key it matches first.
constexpr Column k_identity[] = {Column::account_id, Column::currency, Column::currency_places,
                                 Column::interval,   Column::start,    Column::created_at};

bool is_identity(Column column) {
  return std::find(std::begin(k_identity), std::end(k_identity), column) != std::end(k_identity);
}

// Whether the stored status (the column `status`, as the WHERE of an UPDATE reads it) may become the bound
// parameter `to`: it stays, unless it is final (no way out in the table), or it moves along a pair of
// k_subscription_transitions. Written from the table, so that the two never disagree.
std::string transition_allowed_sql(const std::string& to) {
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
    moves += fmt::format(" OR (status = {} AND {} IN ({}))", static_cast<int>(from), to, targets);
  }
  return fmt::format("((status = {} AND status IN ({})){})", to, stays, moves);
}

// The plans a row names are stored: what the foreign keys would refuse, asked before the write so that the write
// changes no row instead of failing.
std::string plans_exist_sql() {
  std::string out;
  for (const Column column : {Column::plan, Column::period_plan, Column::running_plan}) {
    out += fmt::format(" AND EXISTS (SELECT 1 FROM plans WHERE code = {})", typed(column));
  }
  return out;
}

// INSERT ... SELECT <every column> when its account and plans are stored; a taken id inserts nothing (the primary
// key's ON CONFLICT). No row changes when it is refused; insert() then says why.
std::string insert_sql() {
  return fmt::format(
      "INSERT INTO subscriptions ({}) SELECT {} WHERE EXISTS (SELECT 1 FROM accounts WHERE id = {}){} "
      "ON CONFLICT (id) DO NOTHING",
      k_columns, all_params<Column>(k_column_names.size()), typed(Column::account_id), plans_exist_sql());
}

// UPDATE subscriptions SET <every other column> WHERE the row is at the version before, holds the identity the
// caller holds, may move to the new status, and the plans it will name are stored. No row changes when the stored
// one differs; update() then says why, in the memory adapter's words.
std::string update_sql() {
  std::string set;
  std::string where = fmt::format("id = {} AND version = {} - 1", typed(Column::id), typed(Column::version));
  for (std::size_t i = 0; i < k_column_names.size(); ++i) {
    const auto column = static_cast<Column>(i);
    if (column == Column::id) continue;
    const std::string_view name = k_column_names[i];
    if (is_identity(column)) {
      where += fmt::format(" AND {} = {}", name, typed(column));  // every identity column is NOT NULL
    } else {
      set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", name, typed(column));
    }
  }
  return fmt::format("UPDATE subscriptions SET {} WHERE {} AND {}{}", set, where,
                     transition_allowed_sql(typed(Column::status)), plans_exist_sql());
}

// The lock a write transaction takes on the rows it reads and may change: an UPDATE's own (which does not block
// another transaction's foreign key check of the row, as FOR UPDATE would).
constexpr std::string_view k_lock = " FOR NO KEY UPDATE";

// The billable statuses, as the WHERE of the partial index subscriptions_due says them, word for word: the
// planner uses a partial index only for a query whose WHERE implies its terms.
static_assert(static_cast<int>(SubscriptionStatus::trialing) == 0 &&
              static_cast<int>(SubscriptionStatus::active) == 1 && static_cast<int>(SubscriptionStatus::past_due) == 2);
constexpr std::string_view k_billable = "status IN (0, 1, 2)";

const std::string k_insert = insert_sql();
const std::string k_find = "SELECT " + k_columns + " FROM subscriptions WHERE id = $1::text";
const std::string k_find_locked = k_find + std::string(k_lock);
const std::string k_update = update_sql();
const std::string k_references =
    "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1::text), EXISTS (SELECT 1 FROM plans WHERE code = $2::text), "
    "EXISTS (SELECT 1 FROM plans WHERE code = $3::text), EXISTS (SELECT 1 FROM plans WHERE code = $4::text)";
constexpr std::string_view k_id_taken = "SELECT 1 FROM subscriptions WHERE id = $1::text";

// due(): $1 as_of, then the limit ($2) or the cursor's period end and id ($2, $3) and the limit ($4).
const std::string k_due_select = "SELECT " + k_columns + " FROM subscriptions WHERE " + std::string(k_billable) +
                                 " AND current_period_end <= $1::bigint ";
constexpr std::string_view k_due_order = "ORDER BY current_period_end, id ";
const std::string k_due_first = k_due_select + std::string(k_due_order) + "LIMIT $2::bigint";
const std::string k_due_after = k_due_select + "AND (current_period_end, id) > ($2::bigint, $3::text) " +
                                std::string(k_due_order) + "LIMIT $4::bigint";
const std::string k_due_first_locked = k_due_first + std::string(k_lock);
const std::string k_due_after_locked = k_due_after + std::string(k_lock);

// One listing per filter, each served by an index (the key, by_account, by_status). $1 is the cursor, $2 the
// limit, then the account and the status, as the filter has them.
const std::string k_list_select = "SELECT " + k_columns + " FROM subscriptions WHERE ";
constexpr std::string_view k_list_suffix = "id > $1::text ORDER BY id LIMIT $2::bigint";
const std::string k_list_all = k_list_select + std::string(k_list_suffix);
const std::string k_list_status = k_list_select + "status = $3::bigint AND " + std::string(k_list_suffix);
const std::string k_list_account = k_list_select + "account_id = $3::text AND " + std::string(k_list_suffix);
const std::string k_list_both =
    k_list_select + "account_id = $3::text AND status = $4::bigint AND " + std::string(k_list_suffix);

// insert_adjustment(): the subscription's currency and the period's last sequence, read in the statement that
// appends the adjustment when it is in that currency and the next one; one row, with what it read, whatever it did.
std::string insert_adjustment_sql() {
  using A = AdjustmentColumn;
  return fmt::format(
      "WITH s AS (SELECT currency, currency_places FROM subscriptions WHERE id = {0}), "
      "last AS (SELECT coalesce(max(sequence), 0) AS n FROM subscription_adjustments "
      "WHERE subscription_id = {0} AND period_start = {1}), "
      "ins AS (INSERT INTO subscription_adjustments ({2}) SELECT {3} FROM s, last "
      "WHERE s.currency = {4} AND s.currency_places = {5} AND last.n + 1 = {6} ON CONFLICT DO NOTHING RETURNING 1) "
      "SELECT (SELECT count(*) FROM ins), s.currency, s.currency_places, last.n FROM last LEFT JOIN s ON true",
      typed(A::subscription_id), typed(A::period_start), k_adjustment_columns,
      all_params<A>(k_adjustment_column_names.size()), typed(A::currency), typed(A::currency_places),
      typed(A::sequence));
}
const std::string k_insert_adjustment = insert_adjustment_sql();
const std::string k_adjustments = "SELECT " + k_adjustment_columns +
                                  " FROM subscription_adjustments WHERE subscription_id = $1::text AND "
                                  "period_start = $2::bigint ORDER BY sequence";

// Whether PostgreSQL can hold `code` as text (UTF-8 without NUL). One it cannot hold is no stored plan's: the
// statements that name it are not run (the server would refuse the parameter and abort the transaction), and the
// refusal is the one SQLite gives, a missing plan.
bool storable(std::string_view code) {
  return code.find('\0') == std::string_view::npos && !utf8_problem(code, code.size());
}

bool plans_storable(const Subscription& s) {
  return storable(s.plan) && storable(s.period_plan) && storable(s.running_plan);
}

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
      .cancel_at_period_end =
          load_in(row, Column::cancel_at_period_end, 0, 1, "subscription cancel_at_period_end") == 1,
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
  return {k_due_first, k_due_after, k_list_all, k_list_account, k_list_status,
          k_list_both, k_find,      k_update,   k_adjustments};
}

void Subscriptions::name_missing_reference(const Subscription& subscription) {
  StatementLease query = session_.read().statement(k_references);
  query->bind(1, subscription.account_id.str());
  int index = 2;
  for (const std::string* code : {&subscription.plan, &subscription.period_plan, &subscription.running_plan}) {
    if (storable(*code)) {
      query->bind(index, *code);
    } else {
      query->bind_null(index);  // no stored plan has it: EXISTS (... code = NULL) is false
    }
    ++index;
  }
  if (!query->step("find what a subscription names")) return;
  const auto stored = [&](int column) { return query->text(column) == "t"; };
  if (!stored(0)) integrity::missing_account(subscription.account_id);
  if (!stored(1)) integrity::missing_plan(subscription.plan);
  if (!stored(2)) integrity::missing_plan(subscription.period_plan);
  if (!stored(3)) integrity::missing_plan(subscription.running_plan);
}

const Subscription* Subscriptions::held(const SubscriptionId& id) const noexcept {
  const auto found = std::find_if(held_.begin(), held_.end(), [&](const Subscription& s) { return s.id == id; });
  return found != held_.end() ? &*found : nullptr;
}

void Subscriptions::hold(const Subscription& subscription) {
  for (Subscription& s : held_) {
    if (s.id == subscription.id) {
      s = subscription;
      return;
    }
  }
  if (held_.size() < k_max_held) held_.push_back(subscription);
}

bool Subscriptions::insert(const Subscription& subscription) {
  Connection& connection = session_.write();
  integrity::check_new_subscription(subscription);
  if (plans_storable(subscription)) {
    StatementLease statement = connection.statement(k_insert);
    bind_subscription(*statement, subscription);
    if (statement->run("insert a subscription") == 1) {
      hold(subscription);  // inserted by this transaction: no other sees it, let alone changes it
      return true;
    }
  }
  // Nothing inserted: the id is taken (whatever the new row names), or a reference is missing.
  {
    StatementLease query = connection.statement(k_id_taken);
    query->bind(1, subscription.id.str());
    if (query->step("find a subscription id")) return false;
  }
  name_missing_reference(subscription);
  // The id was taken by a writer that committed after the INSERT looked and that the look above missed: only a
  // row removed in between (never) would get here. Run the unit again.
  throw Conflict("", fmt::format("subscription '{}' was neither inserted nor found", subscription.id.str()));
}

std::optional<Subscription> Subscriptions::find(const SubscriptionId& id) {
  Connection& connection = session_.read();
  const bool locked = session_.writing();
  if (locked) {
    if (const Subscription* row = held(id)) return *row;
  }
  StatementLease query = connection.statement(locked ? k_find_locked : k_find);
  query->bind(1, id.str());
  if (!query->step("find a subscription")) return std::nullopt;
  CurrencyLookup currencies;
  Subscription found = read_subscription(*query, currencies);
  if (locked) hold(found);
  return found;
}

bool Subscriptions::update(const Subscription& next) {
  Connection& connection = session_.write();
  integrity::check_subscription(next);
  if (plans_storable(next)) {
    std::int64_t changed = 0;
    try {
      StatementLease statement = connection.statement(k_update);
      bind_subscription(*statement, next);
      changed = statement->run("update a subscription");
    } catch (...) {
      held_.clear();  // the transaction is aborted: nothing it holds is to be trusted
      throw;
    }
    if (changed == 1) {
      hold(next);  // the UPDATE locked the row
      return true;
    }
  }
  // Nothing changed: find out why, in the words the memory adapter uses. The row is locked from here on.
  const std::optional<Subscription> stored = find(next.id);
  if (!stored || stored->version + 1 != next.version) return false;
  integrity::check_subscription_update(*stored, next);
  // The row matched its version, identity and status, so the plans it names are not all stored.
  name_missing_reference(next);
  BILLING_ASSERT(false && "a subscription update matched no row, yet the stored row allows it");
  return false;
}

std::vector<Subscription> Subscriptions::due(Timestamp as_of, Timestamp after_end, const std::string& after_id,
                                             std::size_t limit) {
  Connection& connection = session_.read();
  const bool locked = session_.writing();
  // A write transaction locks the rows it returns, and scans under a lock of its own first: two scans that lock
  // rows as they go would each hold rows the other waits for (a row another writer just moved is skipped but stays
  // locked, and snapshots taken apart see the rows in different orders), a deadlock. One scan at a time, and its
  // snapshot is taken once the lock is held. The billing run, due()'s writer, takes the numbering lock anyway.
  if (locked) session_.lock_key("subscriptions", "due");
  const std::string& sql =
      after_id.empty() ? (locked ? k_due_first_locked : k_due_first) : (locked ? k_due_after_locked : k_due_after);
  StatementLease query = connection.statement(sql);
  query->bind(1, as_of.unix_micros());
  if (after_id.empty()) {
    query->bind(2, clamp_to_int64(limit));
  } else {
    query->bind(2, after_end.unix_micros());
    query->bind(3, after_id);
    query->bind(4, clamp_to_int64(limit));
  }
  std::vector<Subscription> out;
  CurrencyLookup currencies;
  while (query->step("find due subscriptions")) out.push_back(read_subscription(*query, currencies));
  if (locked) {
    for (const Subscription& s : out) hold(s);
  }
  return out;
}

std::vector<Subscription> Subscriptions::list(const SubscriptionFilter& filter, const std::string& after,
                                              std::size_t limit) {
  const std::string& sql =
      filter.account_id ? (filter.status ? k_list_both : k_list_account) : (filter.status ? k_list_status : k_list_all);
  StatementLease query = session_.read().statement(sql);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  int next = 3;
  if (filter.account_id) query->bind(next++, filter.account_id->str());
  if (filter.status) query->bind(next, static_cast<std::int64_t>(*filter.status));
  std::vector<Subscription> out;
  CurrencyLookup currencies;
  while (query->step("list subscriptions")) out.push_back(read_subscription(*query, currencies));
  return out;
}

void Subscriptions::insert_adjustment(const SubscriptionAdjustment& adjustment) {
  Connection& connection = session_.write();
  integrity::check_adjustment(adjustment);
  using A = AdjustmentColumn;
  StatementLease statement = connection.statement(k_insert_adjustment);
  statement->bind(param(A::subscription_id), adjustment.subscription_id.str());
  statement->bind(param(A::period_start), adjustment.period_start.unix_micros());
  statement->bind(param(A::sequence), std::int64_t{adjustment.sequence});
  statement->bind(param(A::description), adjustment.description);
  statement->bind(param(A::currency), adjustment.amount.currency().code());
  statement->bind(param(A::currency_places), std::int64_t{adjustment.amount.currency().minor_units()});
  statement->bind(param(A::amount_minor), adjustment.amount.minor());
  statement->bind(param(A::created_at), adjustment.created_at.unix_micros());
  if (!statement->step("append a subscription adjustment")) {
    throw StorageError("", "appending a subscription adjustment returned no row");
  }
  if (statement->int64(0) == 1) return;
  // Refused: say why, as the memory adapter would.
  if (statement->is_null(1)) integrity::missing_subscription(adjustment.subscription_id);
  CurrencyLookup currencies;
  const Currency currency = currencies(statement->text(1), statement->int64(2));
  const std::int64_t last = statement->int64(3);
  if (last < 0 || last > std::numeric_limits<std::uint32_t>::max()) {
    throw_corrupt("adjustment sequence", fmt::format("{} is outside 0..2^32-1", last));
  }
  integrity::check_adjustment_append(adjustment, currency, static_cast<std::uint32_t>(last));
  // In its currency and next by what the statement read, yet not appended: another transaction appended the same
  // sequence and committed meanwhile. Run the unit again: it reads the new last one.
  throw Conflict("", fmt::format("adjustment {} of subscription '{}' was appended by another transaction",
                                 adjustment.sequence, adjustment.subscription_id.str()));
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

}  // namespace billing::detail::postgres
