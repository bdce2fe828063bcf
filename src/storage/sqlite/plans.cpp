#include "plans.hpp"

#include <algorithm>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
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

constexpr std::string_view k_insert_plan =
    "INSERT INTO plans (code, definition, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (code) DO NOTHING";
constexpr std::string_view k_find_plan = "SELECT code, definition, created_at FROM plans WHERE code = ?1";
constexpr std::string_view k_plans =
    "SELECT code, definition, created_at FROM plans WHERE code > ?1 ORDER BY code LIMIT ?2";
const std::string k_find_quota = "SELECT " + k_quota_columns + " FROM quota_state WHERE plan = ?1 AND subject = ?2";
const std::string k_put_quota = "INSERT INTO quota_state (" + k_quota_columns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (plan, subject) DO UPDATE SET "
                                "period_start = excluded.period_start, used = excluded.used, tokens = excluded.tokens, "
                                "refilled_at = excluded.refilled_at, allowed_total = excluded.allowed_total";
constexpr std::string_view k_request_seen =
    "SELECT 1 FROM quota_requests WHERE plan = ?1 AND subject = ?2 AND request_id = ?3";
constexpr std::string_view k_insert_request =
    "INSERT INTO quota_requests (plan, subject, request_id, at) VALUES (?1, ?2, ?3, ?4)";
const std::string k_insert_key = "INSERT INTO api_keys (" + k_key_columns +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING";
const std::string k_find_key = "SELECT " + k_key_columns + " FROM api_keys WHERE id = ?1";
const std::string k_keys = "SELECT " + k_key_columns + " FROM api_keys WHERE id > ?1 ORDER BY id LIMIT ?2";
const std::string k_keys_of_subject =
    "SELECT " + k_key_columns + " FROM api_keys WHERE subject = ?3 AND id > ?1 ORDER BY id LIMIT ?2";
constexpr std::string_view k_revoke_key =
    "UPDATE api_keys SET status = 1, revoked_at = ?2 WHERE id = ?1 AND status = 0";

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

QuotaState read_quota(const Statement& row) {
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

}  // namespace

bool Plans::plan_exists(std::string_view code) {
  StatementLease query = session_.read().statement(k_find_plan);
  query->bind(1, code);
  return query->step("find a plan");
}

bool Plans::insert_plan(const StoredPlan& plan) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_insert_plan);
  statement->bind(1, plan.code);
  statement->bind(2, plan.definition);
  statement->bind(3, plan.created_at.unix_micros());
  statement->run("insert a plan");
  return connection.changes() == 1;
}

std::optional<StoredPlan> Plans::find_plan(std::string_view code) {
  StatementLease query = session_.read().statement(k_find_plan);
  query->bind(1, code);
  if (!query->step("find a plan")) return std::nullopt;
  return read_plan(*query);
}

std::vector<StoredPlan> Plans::plans(const std::string& after, std::size_t limit) {
  StatementLease query = session_.read().statement(k_plans);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  std::vector<StoredPlan> out;
  while (query->step("list plans")) out.push_back(read_plan(*query));
  return out;
}

std::optional<QuotaState> Plans::find_quota(std::string_view plan, std::string_view subject) {
  StatementLease query = session_.read().statement(k_find_quota);
  query->bind(1, plan);
  query->bind(2, subject);
  if (!query->step("find a quota state")) return std::nullopt;
  return read_quota(*query);
}

void Plans::put_quota(const QuotaState& state) {
  Connection& connection = session_.write();
  integrity::check_quota_state(state);
  StatementLease statement = connection.statement(k_put_quota);
  statement->bind(param(QuotaColumn::plan), state.plan);
  statement->bind(param(QuotaColumn::subject), state.subject);
  statement->bind(param(QuotaColumn::period_start), state.period_start.unix_micros());
  statement->bind(param(QuotaColumn::used), store_count(state.used, "used"));
  statement->bind(param(QuotaColumn::tokens), state.tokens);
  statement->bind(param(QuotaColumn::refilled_at), state.refilled_at.unix_micros());
  statement->bind(param(QuotaColumn::allowed_total), store_count(state.allowed_total, "allowed_total"));
  try {
    statement->run("write a quota state");
  } catch (const InvariantViolation&) {
    if (!plan_exists(state.plan)) integrity::missing_plan(state.plan);
    throw;
  }
}

bool Plans::request_seen(std::string_view plan, std::string_view subject, std::string_view request_id) {
  StatementLease query = session_.read().statement(k_request_seen);
  query->bind(1, plan);
  query->bind(2, subject);
  query->bind(3, request_id);
  return query->step("find a quota request id");
}

void Plans::insert_request(std::string_view plan, std::string_view subject, std::string_view request_id,
                           Timestamp at) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_insert_request);
  statement->bind(1, plan);
  statement->bind(2, subject);
  statement->bind(3, request_id);
  statement->bind(4, at.unix_micros());
  try {
    statement->run("record a quota request id");
  } catch (const InvariantViolation&) {
    if (!plan_exists(plan)) integrity::missing_plan(plan);
    throw InvariantViolation("request_id", "was recorded before");
  }
}

bool Plans::insert_key(const StoredApiKey& key) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_insert_key);
  statement->bind(param(KeyColumn::id), key.key.id.str());
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
  try {
    statement->run("insert an API key");
  } catch (const InvariantViolation&) {
    if (!plan_exists(key.key.plan)) integrity::missing_plan(key.key.plan);
    throw;
  }
  return connection.changes() == 1;
}

std::optional<StoredApiKey> Plans::find_key(const ApiKeyId& id) {
  StatementLease query = session_.read().statement(k_find_key);
  query->bind(1, id.str());
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
  StatementLease statement = connection.statement(k_revoke_key);
  statement->bind(1, id.str());
  statement->bind(2, at.unix_micros());
  statement->run("revoke an API key");
  if (connection.changes() != 1) integrity::missing_api_key(id);
}

}  // namespace billing::detail::sqlite
