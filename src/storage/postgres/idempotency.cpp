#include "idempotency.hpp"

#include "../../text.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
namespace {

// The columns of a key's row, in the order every statement here names them. Scope, key, outcome and owner
// are bytea: the host's bytes, exactly (see migrations/v2_idempotency.inc).
#define BILLING_IDEMPOTENCY_COLUMNS(X) \
  X(scope) X(key) X(fingerprint) X(state) X(outcome) X(owner) X(created_at) X(lease_until) X(expires_at)
enum class Column : int { BILLING_IDEMPOTENCY_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_IDEMPOTENCY_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_IDEMPOTENCY_COLUMNS

const std::string k_find = "SELECT " + k_columns + " FROM idempotency_keys WHERE scope = $1::bytea AND key = $2::bytea";
const std::string k_find_for_update = k_find + " FOR UPDATE";
const std::string k_put = "INSERT INTO idempotency_keys (" + k_columns +
                          ") VALUES ($1::bytea, $2::bytea, $3::bytea, $4::bigint, $5::bytea, $6::bytea, $7::bigint, "
                          "$8::bigint, $9::bigint) ON CONFLICT (scope, key) DO UPDATE SET "
                          "fingerprint = EXCLUDED.fingerprint, state = EXCLUDED.state, outcome = EXCLUDED.outcome, "
                          "owner = EXCLUDED.owner, created_at = EXCLUDED.created_at, "
                          "lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at";
constexpr std::string_view k_remove = "DELETE FROM idempotency_keys WHERE scope = $1::bytea AND key = $2::bytea";
// SKIP LOCKED: a record another writer holds (it is claiming or completing the key) is left to it; the
// next purge takes it if it is still expired.
constexpr std::string_view k_purge =
    "DELETE FROM idempotency_keys WHERE (scope, key) IN "
    "(SELECT scope, key FROM idempotency_keys WHERE expires_at <= $1::bigint ORDER BY expires_at LIMIT $2::bigint "
    "FOR UPDATE SKIP LOCKED)";

int param(Column column) noexcept { return col(column) + 1; }

std::span<const std::uint8_t> bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string as_string(std::span<const std::uint8_t> blob) {
  return {reinterpret_cast<const char*>(blob.data()), blob.size()};
}

// Whether `text` can travel as a text parameter: PostgreSQL refuses NUL and, in a UTF-8 database, invalid
// UTF-8.
bool is_text(std::string_view text) {
  return text.find('\0') == std::string_view::npos && !utf8_problem(text, text.size()).has_value();
}

void append_hex(std::string& out, std::string_view bytes) {
  constexpr char k_digits[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(k_digits[byte >> 4]);
    out.push_back(k_digits[byte & 0xf]);
  }
}

}  // namespace

std::optional<IdempotencyRecord> Idempotency::find(std::string_view scope, std::string_view key) {
  Connection& connection = session_.read();
  if (session_.writing()) {
    // The lock's name is scope, US, key; a key the server cannot take as text (a NUL, invalid UTF-8) is
    // named by the hex of both instead. Names are hashed to 64 bits anyway: two that collide only wait for
    // each other.
    lock_key_.clear();
    if (is_text(scope) && is_text(key)) {
      lock_key_.append(scope).push_back('\x1f');
      lock_key_.append(key);
    } else {
      lock_key_.assign("\x1fhex\x1f");
      append_hex(lock_key_, scope);
      lock_key_.push_back('\x1f');
      append_hex(lock_key_, key);
    }
    session_.lock_key("idempotency", lock_key_);
  }
  StatementLease query = connection.statement(session_.writing() ? k_find_for_update : k_find);
  query->bind_blob(1, bytes(scope));
  query->bind_blob(2, bytes(key));
  if (!query->step("find an idempotency key")) return std::nullopt;
  const Statement& row = *query;
  // blob() decodes into one buffer per statement: each value is copied out before the next is decoded.
  IdempotencyRecord record{.scope = std::string(scope), .key = std::string(key)};
  record.fingerprint = load_hash(row.blob(col(Column::fingerprint)), "idempotency fingerprint");
  record.state = load_enum<IdempotencyRecord::State>(row.int64(col(Column::state)), 1, "idempotency state");
  record.outcome = as_string(row.blob(col(Column::outcome)));
  record.owner = as_string(row.blob(col(Column::owner)));
  record.created_at = load_time(row.int64(col(Column::created_at)));
  record.lease_until = load_time(row.int64(col(Column::lease_until)));
  record.expires_at = load_time(row.int64(col(Column::expires_at)));
  return record;
}

void Idempotency::put(const IdempotencyRecord& record) {
  StatementLease statement = session_.write().statement(k_put);
  statement->bind_blob(param(Column::scope), bytes(record.scope));
  statement->bind_blob(param(Column::key), bytes(record.key));
  statement->bind_blob(param(Column::fingerprint), record.fingerprint);
  statement->bind(param(Column::state), static_cast<std::int64_t>(record.state));
  statement->bind_blob(param(Column::outcome), bytes(record.outcome));
  statement->bind_blob(param(Column::owner), bytes(record.owner));
  statement->bind(param(Column::created_at), record.created_at.unix_micros());
  statement->bind(param(Column::lease_until), record.lease_until.unix_micros());
  statement->bind(param(Column::expires_at), record.expires_at.unix_micros());
  statement->run("store an idempotency key");
}

void Idempotency::remove(std::string_view scope, std::string_view key) {
  StatementLease statement = session_.write().statement(k_remove);
  statement->bind_blob(1, bytes(scope));
  statement->bind_blob(2, bytes(key));
  statement->run("remove an idempotency key");
}

std::size_t Idempotency::purge_expired(Timestamp now, std::size_t limit) {
  StatementLease statement = session_.write().statement(k_purge);
  statement->bind(1, now.unix_micros());
  statement->bind(2, clamp_to_int64(limit));
  return static_cast<std::size_t>(statement->run("purge expired idempotency keys"));
}

}  // namespace billing::detail::postgres
