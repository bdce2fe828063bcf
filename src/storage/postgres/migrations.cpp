#include "migrations.hpp"

#include <iterator>

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::postgres {
namespace {

struct Migration {
  int version;
  const char* script;
};

// One script per version, in migrations/. Append only: a released script never changes, and a schema
// at version N runs the scripts after N. Tables are named without their schema: search_path selects it.
constexpr Migration k_migrations[] = {
    {1,
#include "migrations/v1_accounts_and_ledger.inc"
    },
    {2,
#include "migrations/v2_idempotency.inc"
    },
    {3,
#include "migrations/v3_orders.inc"
    },
    {4,
#include "migrations/v4_jobs.inc"
    },
    {5,
#include "migrations/v5_payments.inc"
    },
    {6,
#include "migrations/v6_usage.inc"
    },
    {7,
#include "migrations/v7_plans.inc"
    },
    {8,
#include "migrations/v8_subscriptions.inc"
    },
    {9,
#include "migrations/v9_invoices.inc"
    },
};
static_assert(std::size(k_migrations) == k_schema_version);

std::int64_t read_integer(Connection& connection, std::string_view sql, std::string_view name,
                          std::string_view operation) {
  StatementLease query = connection.statement(sql);
  query->bind(1, name);
  return query->step(operation) ? query->int64(0) : 0;
}

// Inside the migration's transaction, under the lock.
void migrate_locked(Connection& connection, const std::string& schema) {
  const std::int64_t tables = read_integer(
      connection, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1::text", schema, "read the schema");
  const std::int64_t ours = read_integer(
      connection,
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1::text AND tablename = 'schema_migrations'",
      schema, "read the schema");
  if (tables > 0 && ours == 0) {
    throw StorageError("schema", fmt::format("schema '{}' holds {} tables of another program (no schema_migrations); "
                                             "choose another schema name",
                                             schema, tables));
  }
  connection.run_script(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{0}\"; SET LOCAL search_path TO \"{0}\"; "
                                    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                                    "applied_at timestamptz NOT NULL DEFAULT now())",
                                    schema),
                        "create the schema");
  StatementLease current = connection.statement("SELECT coalesce(max(version), 0) FROM schema_migrations");
  const std::int64_t version = current->step("read the schema version") ? current->int64(0) : 0;
  if (version > k_schema_version) {
    throw StorageError("", fmt::format("schema '{}' has version {}, newer than the {} this library knows; "
                                       "open it with a newer version of billing",
                                       schema, version, k_schema_version));
  }
  for (const Migration& migration : k_migrations) {
    if (migration.version <= version) continue;
    const std::string operation = fmt::format("migrate schema '{}' to version {}", schema, migration.version);
    connection.run_script(migration.script, operation);
    connection.run_script(fmt::format("INSERT INTO schema_migrations (version) VALUES ({})", migration.version),
                          operation);
  }
}

}  // namespace

void migrate(Connection& connection, const std::string& schema) {
  // A session lock, not a transaction's: CREATE SCHEMA must not race another process's either.
  StatementLease lock = connection.statement("SELECT pg_advisory_lock(hashtextextended($1::text, 0))");
  const std::string key = "billing-migrate\x1f" + schema;
  lock->bind(1, key);
  lock->run("lock the schema for its migration");
  StatementLease unlock = connection.statement("SELECT pg_advisory_unlock(hashtextextended($1::text, 0))");
  unlock->bind(1, key);
  try {
    connection.run_script("BEGIN", "begin the schema migration");
    migrate_locked(connection, schema);
    connection.run_script("COMMIT", "commit the schema migration");
  } catch (...) {
    try {
      connection.run_script("ROLLBACK", "roll back the schema migration");
      unlock->run("unlock the schema");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection closes, and the lock goes with it
    }
    throw;
  }
  unlock->run("unlock the schema");
}

}  // namespace billing::detail::postgres
