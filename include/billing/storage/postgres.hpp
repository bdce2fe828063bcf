// The PostgreSQL storage adapter: one shared store for hosts on several machines (docs/postgres.md).
// Its own library target, billing::postgres; no libpq type appears here.
//
// The same contract as the other adapters (store.hpp), with these engine choices:
//  - Ledger writers take turns on a row lock of the chain head, so the sequence stays gapless and the
//    hash chain total, and usage writers on one lock of their own; the other areas' writers run in
//    parallel, on row locks, key locks and, for the job queue, SKIP LOCKED. Read transactions see one
//    snapshot (REPEATABLE READ, READ ONLY) and never wait.
//  - A deadlock or a serialization failure rolls the transaction back and the library runs it again,
//    with a bounded, jittered back-off (PostgresOptions::conflict_retries); only a conflict that outlasts
//    the budget reaches the caller, as StorageError.
//  - Ledger rows are append-only in the database too: triggers refuse UPDATE, DELETE and TRUNCATE.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "billing/storage/store.hpp"

namespace billing {

struct PostgresOptions {
  static constexpr std::chrono::milliseconds k_max_lock_timeout{std::chrono::hours(1)};
  static constexpr std::size_t k_max_connections = 1000;
  static constexpr int k_max_conflict_retries = 100;

  /// full: synchronous_commit = on, a commit returns once PostgreSQL has flushed it (the default).
  /// normal: synchronous_commit = off, a commit returns before the flush; a server crash may lose the
  /// last few hundred milliseconds of commits, never half of one (like SQLite's NORMAL).
  Durability durability = Durability::full;
  /// The schema that holds this store's tables: several books share one database under different
  /// names. A lowercase SQL identifier: a letter or '_', then letters, digits or '_', at most 63 bytes.
  std::string schema = "billing";
  /// How long a writer waits for a row lock held by another transaction before StorageError:
  /// 0 (fail at once) to k_max_lock_timeout.
  std::chrono::milliseconds lock_timeout{10'000};
  /// How many connections the store keeps open at most, 1 to k_max_connections; a transaction that
  /// finds them all busy waits for one.
  std::size_t max_connections = 16;
  /// How many times a transaction that lost a deadlock or a serialization race runs again before the
  /// conflict reaches the caller as StorageError: 0 to k_max_conflict_retries.
  int conflict_retries = 20;
};

/// Connects to the PostgreSQL server named by `conninfo` (a libpq URI, "postgresql://user@host/db", or a
/// key=value string, "host=/run/postgresql dbname=books"), creates options.schema if needed and
/// migrates it to the current version, under an advisory lock so that processes starting together
/// migrate once.
///
/// Throws InvalidArgument (field "conninfo") when `conninfo` does not parse or holds a NUL byte,
/// ("schema") for a name that is not a lowercase identifier, ("lock_timeout"), ("max_connections"),
/// ("conflict_retries") or ("durability") for a value out of range; nothing is opened then. Throws
/// StorageError when the server cannot be reached, the schema holds tables of another program, or was
/// written by a newer version of the library. The password in `conninfo` never appears in a message.
///
///   auto store = billing::open_postgres("host=/run/postgresql dbname=books", {.schema = "shop"});
[[nodiscard]] std::unique_ptr<Store> open_postgres(const std::string& conninfo, const PostgresOptions& options = {});

}  // namespace billing
