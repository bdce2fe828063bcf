#include "plans.hpp"

#include <algorithm>
#include <limits>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

#define BILLING_QUOTA_COLUMNS(X) X(plan) X(subject) X(period_start) X(used) X(tokens) X(refilled_at) X(allowed_total)
enum class QuotaColumn : int { BILLING_QUOTA_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_quota_columns{column_list(BILLING_QUOTA_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_QUOTA_COLUMNS

#define BILLING_KEY_COLUMNS(X) X(id) X(subject) X(plan) X(status) X(secret_hash) X(created_at) X(revoked_at)
enum class KeyColumn : int { BILLING_KEY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_key_columns{column_list(BILLING_KEY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_KEY_COLUMNS

template <class Column>
int param(Column column) noexcept {
  return col(column) + 1;
}

const std::string k_insert_plan =
    "INSERT INTO plans (code, definition, created_at) VALUES ($1::text, $2::text, $3::bigint) "
    "ON CONFLICT (code) DO NOTHING";
const std::string k_find_plan = "SELECT code, definition, created_at FROM plans WHERE code = $1::text";
const std::string k_plans =
    "SELECT code, definition, created_at FROM plans WHERE code > $1::text ORDER BY code LIMIT $2::bigint";

const std::string k_find_quota =
    "SELECT " + k_quota_columns + " FROM quota_state WHERE plan = $1::text AND subject = $2::text";
const std::string k_find_quota_for_update = k_find_quota + " FOR UPDATE";
// Inserts or replaces the row when the plan exists, and changes no row when it does not.
const std::string k_put_quota =
    "INSERT INTO quota_state (" + k_quota_columns +
    ") SELECT $1::text, $2::text, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint "
    "WHERE EXISTS (SELECT 1 FROM plans WHERE code = $1::text) ON CONFLICT (plan, subject) DO UPDATE SET "
    "period_start = excluded.period_start, used = excluded.used, tokens = excluded.tokens, "
    "refilled_at = excluded.refilled_at, allowed_total = excluded.allowed_total";

const std::string k_request_seen =
    "SELECT 1 FROM quota_requests WHERE plan = $1::text AND subject = $2::text AND request_id = $3::text";
// Whether the plan exists, and whether the request id was inserted (it was not when it was recorded before).
const std::string k_insert_request =
    "WITH known_plan AS (SELECT 1 FROM plans WHERE code = $1::text), "
    "added AS (INSERT INTO quota_requests (plan, subject, request_id, at) "
    "SELECT $1::text, $2::text, $3::text, $4::bigint FROM known_plan "
    "ON CONFLICT (plan, subject, request_id) DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM known_plan), (SELECT count(*) FROM added)";

// Whether the key's plan exists, whether its id was taken, and whether the key was inserted.
const std::string k_insert_key =
    "WITH known_plan AS (SELECT 1 FROM plans WHERE code = $3::text), "
    "taken AS (SELECT 1 FROM api_keys WHERE id = $1::text), "
    "added AS (INSERT INTO api_keys (" +
    k_key_columns +
    ") SELECT $1::text, $2::text, $3::text, $4::bigint, $5::bytea, $6::bigint, $7::bigint FROM known_plan "
    "ON CONFLICT (id) DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM known_plan), (SELECT count(*) FROM taken), (SELECT count(*) FROM added)";
const std::string k_find_key = "SELECT " + k_key_columns + " FROM api_keys WHERE id = $1::text";
const std::string k_find_key_for_update = k_find_key + " FOR UPDATE";
const std::string k_keys =
    "SELECT " + k_key_columns + " FROM api_keys WHERE id > $1::text ORDER BY id LIMIT $2::bigint";
const std::string k_keys_of_subject = "SELECT " + k_key_columns +
                                      " FROM api_keys WHERE subject = $3::text AND id > $1::text ORDER BY id "
                                      "LIMIT $2::bigint";
const std::string k_revoke_key =
    "UPDATE api_keys SET status = 1, revoked_at = $2::bigint WHERE id = $1::text AND status = 0";

std::uint64_t load_count(std::int64_t value, std::string_view what) {
  if (value < 0) throw_corrupt(what, "is negative");
  return static_cast<std::uint64_t>(value);
}

std::int64_t store_count(std::uint64_t value, std::string_view field) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw InvariantViolation(std::string(field), "is beyond what the store holds");
  }
  return static_cast<std::int64_t>(value);
}

StoredPlan read_plan(const Statement& row) {
  return {std::string(row.text(0)), std::string(row.text(1)), load_time(row.int64(2), "plan created_at")};
}

QuotaState read_quota_row(const Statement& row) {
  return QuotaState{
      .plan = std::string(row.text(col(QuotaColumn::plan))),
      .subject = std::string(row.text(col(QuotaColumn::subject))),
      .period_start = load_time(row.int64(col(QuotaColumn::period_start)), "quota period_start"),
      .used = load_count(row.int64(col(QuotaColumn::used)), "quota used"),
      .tokens = static_cast<std::int64_t>(load_count(row.int64(col(QuotaColumn::tokens)), "quota tokens")),
      .refilled_at = load_time(row.int64(col(QuotaColumn::refilled_at)), "quota refilled_at"),
      .allowed_total = load_count(row.int64(col(QuotaColumn::allowed_total)), "quota allowed_total"),
  };
}

StoredApiKey read_key(const Statement& row) {
  StoredApiKey out{
      .key = ApiKey{.id = load_id<ApiKeyId>(row.text(col(KeyColumn::id)), "api key id"),
                    .subject = std::string(row.text(col(KeyColumn::subject))),
                    .plan = std::string(row.text(col(KeyColumn::plan))),
                    .status = load_enum<ApiKeyStatus>(row.int64(col(KeyColumn::status)), 1, "api key status"),
                    .created_at = load_time(row.int64(col(KeyColumn::created_at)), "api key created_at")},
  };
  if (const int revoked = col(KeyColumn::revoked_at); !row.is_null(revoked)) {
    out.key.revoked_at = load_time(row.int64(revoked), "api key revoked_at");
  }
  const auto hash = row.blob(col(KeyColumn::secret_hash));
  if (hash.size() != out.secret_hash.size()) throw_corrupt("api key secret_hash", "is not 32 bytes");
  std::copy(hash.begin(), hash.end(), out.secret_hash.begin());
  return out;
}

std::optional<StoredPlan> find_plan_in(Connection& connection, std::string_view code) {
  StatementLease query = connection.statement(k_find_plan);
  query->bind(1, code);
  if (!query->step("find a plan")) return std::nullopt;
  return read_plan(*query);
}

std::optional<QuotaState> find_quota_in(Connection& connection, const std::string& sql, std::string_view plan,
                                        std::string_view subject) {
  StatementLease query = connection.statement(sql);
  query->bind(1, plan);
  query->bind(2, subject);
  if (!query->step("find a quota state")) return std::nullopt;
  return read_quota_row(*query);
}

}  // namespace

bool Plans::insert_plan(const StoredPlan& plan) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_insert_plan);
  statement->bind(1, plan.code);
  statement->bind(2, plan.definition);
  statement->bind(3, plan.created_at.unix_micros());
  return statement->run("insert a plan") == 1;
}

std::optional<StoredPlan> Plans::find_plan(std::string_view code) {
  Connection& connection = session_.read();
  std::optional<StoredPlan> found = find_plan_in(connection, code);
  // A plan never changes once stored; one that is not there yet may be on its way: wait for its writer.
  if (found || !session_.writing()) return found;
  session_.lock_key("plans", code);
  return find_plan_in(connection, code);
}

std::vector<StoredPlan> Plans::plans(const std::string& after, std::size_t limit) {
  StatementLease query = session_.read().statement(k_plans);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  std::vector<StoredPlan> out;
  while (query->step("list plans")) out.push_back(read_plan(*query));
  return out;
}

std::optional<QuotaState> Plans::read_quota(std::string_view plan, std::string_view subject) {
  Connection& connection = session_.read();
  if (!session_.writing()) return find_quota_in(connection, k_find_quota, plan, subject);
  // The row, locked; or, when there is none, the key, and then the row again: a writer that creates it holds
  // the key until it commits, and whoever reads it once it exists waits for the row's lock.
  std::optional<QuotaState> found = find_quota_in(connection, k_find_quota_for_update, plan, subject);
  std::string key;
  key.reserve(plan.size() + 1 + subject.size());
  key.append(plan).append("\x1f").append(subject);
  if (!found) {
    session_.lock_key("quota", key);
    found = find_quota_in(connection, k_find_quota_for_update, plan, subject);
  }
  locked_quota_ = std::move(key);
  quota_locked_ = true;
  return found;
}

std::optional<QuotaState> Plans::find_quota(std::string_view plan, std::string_view subject) {
  return read_quota(plan, subject);
}

void Plans::put_quota(const QuotaState& state) {
  Connection& connection = session_.write();
  integrity::check_quota_state(state);
  const std::int64_t used = store_count(state.used, "used");
  const std::int64_t allowed_total = store_count(state.allowed_total, "allowed_total");
  StatementLease statement = connection.statement(k_put_quota);
  statement->bind(param(QuotaColumn::plan), state.plan);
  statement->bind(param(QuotaColumn::subject), state.subject);
  statement->bind(param(QuotaColumn::period_start), state.period_start.unix_micros());
  statement->bind(param(QuotaColumn::used), used);
  statement->bind(param(QuotaColumn::tokens), state.tokens);
  statement->bind(param(QuotaColumn::refilled_at), state.refilled_at.unix_micros());
  statement->bind(param(QuotaColumn::allowed_total), allowed_total);
  if (statement->run("write a quota state") != 1) integrity::missing_plan(state.plan);
}

bool Plans::request_seen(std::string_view plan, std::string_view subject, std::string_view request_id) {
  Connection& connection = session_.read();
  if (session_.writing()) {
    // A consume has read (and locked) the quota first; anyone else takes the same lock before looking.
    const bool held = quota_locked_ && locked_quota_.size() == plan.size() + 1 + subject.size() &&
                      locked_quota_.starts_with(plan) && locked_quota_[plan.size()] == '\x1f' &&
                      locked_quota_.ends_with(subject);
    if (!held) (void)read_quota(plan, subject);
  }
  StatementLease query = connection.statement(k_request_seen);
  query->bind(1, plan);
  query->bind(2, subject);
  query->bind(3, request_id);
  return query->step("find a quota request id");
}

void Plans::insert_request(std::string_view plan, std::string_view subject, std::string_view request_id, Timestamp at) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_insert_request);
  statement->bind(1, plan);
  statement->bind(2, subject);
  statement->bind(3, request_id);
  statement->bind(4, at.unix_micros());
  if (!statement->step("record a quota request id")) throw_corrupt("quota_requests", "the insert returned no row");
  if (statement->int64(0) == 0) integrity::missing_plan(plan);
  if (statement->int64(1) != 1) throw InvariantViolation("request_id", "was recorded before");
}

bool Plans::insert_key(const StoredApiKey& key) {
  Connection& connection = session_.write();
  const std::string& id = key.key.id.str();
  StatementLease statement = connection.statement(k_insert_key);
  statement->bind(param(KeyColumn::id), id);
  statement->bind(param(KeyColumn::subject), key.key.subject);
  statement->bind(param(KeyColumn::plan), key.key.plan);
  statement->bind(param(KeyColumn::status), static_cast<std::int64_t>(key.key.status));
  statement->bind_blob(param(KeyColumn::secret_hash), key.secret_hash);
  statement->bind(param(KeyColumn::created_at), key.key.created_at.unix_micros());
  if (key.key.revoked_at) {
    statement->bind(param(KeyColumn::revoked_at), key.key.revoked_at->unix_micros());
  } else {
    statement->bind_null(param(KeyColumn::revoked_at));
  }
  if (!statement->step("insert an API key")) throw_corrupt("api_keys", "the insert returned no row");
  if (statement->int64(2) == 1) return true;
  // As SQLite's ON CONFLICT DO NOTHING: a taken id inserts nothing (and checks no plan); a free id with no
  // plan is the plan's refusal. An id taken meanwhile by another writer is taken too.
  if (statement->int64(0) == 0 && statement->int64(1) == 0) integrity::missing_plan(key.key.plan);
  return false;
}

std::optional<StoredApiKey> Plans::find_key(const ApiKeyId& id) {
  Connection& connection = session_.read();
  const std::string& text = id.str();
  StatementLease query = connection.statement(session_.writing() ? k_find_key_for_update : k_find_key);
  query->bind(1, text);
  if (!query->step("find an API key")) return std::nullopt;
  return read_key(*query);
}

std::vector<ApiKey> Plans::keys(const std::optional<std::string>& subject, const std::string& after,
                                std::size_t limit) {
  StatementLease query = session_.read().statement(subject ? k_keys_of_subject : k_keys);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (subject) query->bind(3, *subject);
  std::vector<ApiKey> out;
  while (query->step("list API keys")) out.push_back(read_key(*query).key);
  return out;
}

void Plans::revoke_key(const ApiKeyId& id, Timestamp at) {
  Connection& connection = session_.write();
  const std::string& text = id.str();
  StatementLease statement = connection.statement(k_revoke_key);
  statement->bind(1, text);
  statement->bind(2, at.unix_micros());
  if (statement->run("revoke an API key") != 1) integrity::missing_api_key(id);
}

}  // namespace billing::detail::postgres
