#include "migrations.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::sqlite {
namespace {

struct Migration {
  int version;  // the user_version the file has after the script
  const char* script;
};

// One script per version, in migrations/. Append only: a released script never changes, and a file at
// version N runs the scripts after N.
constexpr Migration k_migrations[] = {
    {
        1,
#include "migrations/v1_accounts_and_ledger.inc"
    },
    {
        2,
#include "migrations/v2_idempotency.inc"
    },
};
static_assert(std::size(k_migrations) == k_schema_version);

std::int64_t read_integer(Connection& connection, std::string_view sql, std::string_view operation) {
  StatementLease query = connection.statement(sql);
  return query->step(operation) ? query->int64(0) : 0;
}

// Inside the migration's transaction, so the verdict and the changes see the same file.
void migrate_locked(Connection& connection) {
  const std::int64_t application_id = read_integer(connection, "PRAGMA application_id", "read the application id");
  const std::int64_t version = read_integer(connection, "PRAGMA user_version", "read the schema version");
  const bool fresh = application_id == 0 && version == 0 &&
                     read_integer(connection, "SELECT count(*) FROM sqlite_schema", "read the schema") == 0;
  if (application_id != k_application_id && !fresh) {
    throw StorageError("", fmt::format("the file is not a billing database (application_id {}, user_version {})",
                                       application_id, version));
  }
  if (version > k_schema_version) {
    throw StorageError("", fmt::format("the file has schema version {}, newer than the {} this library knows; "
                                       "open it with a newer version of billing",
                                       version, k_schema_version));
  }
  for (const Migration& migration : k_migrations) {
    if (migration.version <= version) continue;
    const std::string operation = fmt::format("migrate the schema to version {}", migration.version);
    connection.run_script(migration.script, operation);
    connection.run_script(fmt::format("PRAGMA user_version = {}", migration.version).c_str(), operation);
  }
  if (fresh) {
    connection.run_script(fmt::format("PRAGMA application_id = {}", k_application_id).c_str(),
                          "set the application id");
  }
}

}  // namespace

void migrate(Connection& connection) {
  connection.run("BEGIN IMMEDIATE", "begin the schema migration");
  try {
    migrate_locked(connection);
    connection.run("COMMIT", "commit the schema migration");
  } catch (...) {
    // Leaves the file as it was; a failed ROLLBACK can only mean the transaction is already gone.
    if (connection.in_transaction()) sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace billing::detail::sqlite
