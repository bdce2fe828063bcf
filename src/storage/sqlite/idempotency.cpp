#include "idempotency.hpp"

#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The columns of a key's row, in the order every statement here names them.
#define BILLING_IDEMPOTENCY_COLUMNS(X) \
  X(scope) X(key) X(fingerprint) X(state) X(outcome) X(owner) X(created_at) X(lease_until) X(expires_at)
enum class Column : int { BILLING_IDEMPOTENCY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_IDEMPOTENCY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_IDEMPOTENCY_COLUMNS

const std::string k_find = "SELECT " + k_columns + " FROM idempotency_keys WHERE scope = ?1 AND key = ?2";
const std::string k_put =
    "INSERT OR REPLACE INTO idempotency_keys (" + k_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view k_remove = "DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2";
constexpr std::string_view k_purge =
    "DELETE FROM idempotency_keys WHERE (scope, key) IN "
    "(SELECT scope, key FROM idempotency_keys WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";

int param(Column column) noexcept { return col(column) + 1; }

}  // namespace

std::optional<IdempotencyRecord> Idempotency::find(std::string_view scope, std::string_view key) {
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, scope);
  query->bind(2, key);
  if (!query->step("find an idempotency key")) return std::nullopt;
  const Statement& row = *query;
  return IdempotencyRecord{
      .scope = std::string(scope),
      .key = std::string(key),
      .fingerprint = load_hash(row.blob(col(Column::fingerprint)), "idempotency fingerprint"),
      .state = load_enum<IdempotencyRecord::State>(row.int64(col(Column::state)), 1, "idempotency state"),
      .outcome = std::string(row.text(col(Column::outcome))),
      .owner = std::string(row.text(col(Column::owner))),
      .created_at = load_time(row.int64(col(Column::created_at))),
      .lease_until = load_time(row.int64(col(Column::lease_until))),
      .expires_at = load_time(row.int64(col(Column::expires_at))),
  };
}

void Idempotency::put(const IdempotencyRecord& record) {
  StatementLease statement = session_.write().statement(k_put);
  statement->bind(param(Column::scope), record.scope);
  statement->bind(param(Column::key), record.key);
  statement->bind_blob(param(Column::fingerprint), record.fingerprint);
  statement->bind(param(Column::state), static_cast<std::int64_t>(record.state));
  statement->bind(param(Column::outcome), record.outcome);
  statement->bind(param(Column::owner), record.owner);
  statement->bind(param(Column::created_at), record.created_at.unix_micros());
  statement->bind(param(Column::lease_until), record.lease_until.unix_micros());
  statement->bind(param(Column::expires_at), record.expires_at.unix_micros());
  statement->run("store an idempotency key");
}

void Idempotency::remove(std::string_view scope, std::string_view key) {
  StatementLease statement = session_.write().statement(k_remove);
  statement->bind(1, scope);
  statement->bind(2, key);
  statement->run("remove an idempotency key");
}

std::size_t Idempotency::purge_expired(Timestamp now, std::size_t limit) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_purge);
  statement->bind(1, now.unix_micros());
  statement->bind(2, clamp_to_int64(limit));
  statement->run("purge expired idempotency keys");
  return static_cast<std::size_t>(connection.changes());
}

}  // namespace billing::detail::sqlite
