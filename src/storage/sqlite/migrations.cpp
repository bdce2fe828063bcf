#include "migrations.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "postings_blob.hpp"

namespace billing::detail::sqlite {
namespace {

// Version 3 moves each entry's postings into a blob of its row: the rows of version 2, re-packed in
// sequence order (a hold's resolution always follows the hold, so journal's references resolve).
void copy_v2_ledger(Connection& connection) {
  connection.run_script(
      "INSERT INTO account_postings (account_id, sequence, leg, side, amount_minor, debits_posted, credits_posted, "
      "debits_pending, credits_pending) SELECT account_id, sequence, leg, side, amount_minor, debits_posted, "
      "credits_posted, debits_pending, credits_pending FROM postings",
      "copy the postings of schema version 2");
  StatementLease entries = connection.statement("SELECT sequence FROM entries ORDER BY sequence");
  StatementLease postings = connection.statement(
      "SELECT sequence, account_id, side, amount_minor, currency, debits_posted, credits_posted, debits_pending, "
      "credits_pending, (SELECT count(*) FROM postings AS n WHERE n.sequence = p.sequence) FROM postings AS p "
      "ORDER BY sequence, leg");
  StatementLease insert = connection.statement(
      "INSERT INTO journal (sequence, id, kind, description, metadata, effective_at, recorded_at, pending_id, "
      "expires_at, reverses, previous_hash, hash, postings) SELECT sequence, id, kind, description, metadata, "
      "effective_at, recorded_at, pending_id, expires_at, reverses, previous_hash, hash, ?2 FROM entries "
      "WHERE sequence = ?1");
  const std::string_view operation = "migrate the ledger to schema version 3";
  bool more_postings = postings->step(operation);
  std::string blob;
  while (entries->step(operation)) {
    const std::int64_t sequence = entries->int64(0);
    const std::int64_t legs = more_postings && postings->int64(0) == sequence ? postings->int64(9) : 0;
    PostingsWriter writer(blob, static_cast<std::size_t>(legs));
    for (; more_postings && postings->int64(0) == sequence; more_postings = postings->step(operation)) {
      writer.add(postings->text(1), load_enum<Side>(postings->int64(2), 1, "posting side"), postings->int64(3),
                 postings->text(4), read_balances(*postings, 5));
    }
    insert->bind(1, sequence);
    insert->bind_blob(2, std::span(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()));
    insert->run(operation);
    insert->rewind();
  }
}

struct Migration {
  int version;  // the user_version the file has after the scripts
  const char* script;
  void (*copy)(Connection&) = nullptr;  // runs after `script`, then `finish`
  const char* finish = nullptr;
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
    {
        3,
#include "migrations/v3_journal.inc"
        ,
        copy_v2_ledger,
#include "migrations/v3_journal_guards.inc"
    },
    {
        4,
#include "migrations/v4_orders.inc"
    },
    {
        5,
#include "migrations/v5_jobs.inc"
    },
    {
        6,
#include "migrations/v6_payments.inc"
    },
    {
        7,
#include "migrations/v7_usage.inc"
    },
    {
        8,
#include "migrations/v8_plans.inc"
    },
    {
        9,
#include "migrations/v9_subscriptions.inc"
    },
    {
        10,
#include "migrations/v10_invoices.inc"
    },
};
static_assert(std::size(k_migrations) == k_schema_version);

std::int64_t read_integer(Connection& connection, std::string_view sql, std::string_view operation) {
  StatementLease query = connection.statement(sql);
  return query->step(operation) ? query->int64(0) : 0;
}

struct FileIdentity {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  bool fresh = false;  // no schema, no application id, no version: a file nobody has written yet
};

// The one verdict on whose file this is, for the read-only look before open and the look under the lock.
FileIdentity identify(Connection& connection) {
  FileIdentity file;
  file.application_id = read_integer(connection, "PRAGMA application_id", "read the application id");
  file.version = read_integer(connection, "PRAGMA user_version", "read the schema version");
  file.fresh = file.application_id == 0 && file.version == 0 &&
               read_integer(connection, "SELECT count(*) FROM sqlite_schema", "read the schema") == 0;
  if (file.application_id != k_application_id && !file.fresh) {
    throw StorageError("", fmt::format("the file is not a billing database (application_id {}, user_version {})",
                                       file.application_id, file.version));
  }
  return file;
}

// Inside the migration's transaction, so the verdict and the changes see the same file.
void migrate_locked(Connection& connection) {
  const FileIdentity file = identify(connection);
  const std::int64_t version = file.version;
  const bool fresh = file.fresh;
  if (version > k_schema_version) {
    throw StorageError("", fmt::format("the file has schema version {}, newer than the {} this library knows; "
                                       "open it with a newer version of billing",
                                       version, k_schema_version));
  }
  for (const Migration& migration : k_migrations) {
    if (migration.version <= version) continue;
    const std::string operation = fmt::format("migrate the schema to version {}", migration.version);
    connection.run_script(migration.script, operation);
    if (migration.copy != nullptr) migration.copy(connection);
    if (migration.finish != nullptr) connection.run_script(migration.finish, operation);
    connection.run_script(fmt::format("PRAGMA user_version = {}", migration.version).c_str(), operation);
  }
  if (fresh) {
    connection.run_script(fmt::format("PRAGMA application_id = {}", k_application_id).c_str(),
                          "set the application id");
  }
}

}  // namespace

void check_owned_or_empty(const std::string& path) {
  // SQLite would create a missing file, and treats an empty one as a new database: nothing to look at.
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error || size == 0) return;
  Connection connection(path, Connection::ReadOnly{});
  (void)identify(connection);
}

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
