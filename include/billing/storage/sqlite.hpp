// The SQLite storage adapter: the embedded default. One file holds the whole ledger.
//
// Several threads and several processes may open one file: writers take turns (BEGIN IMMEDIATE under a
// busy timeout), readers see snapshots (WAL). Ledger rows are guarded by triggers that abort any
// UPDATE, DELETE or REPLACE, and CHECK constraints repeat the core invariants. The store is safe to
// share between threads; each thread's transactions use a connection of their own.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "billing/storage/store.hpp"

namespace billing {

/// Durability (store.hpp): full is PRAGMA synchronous=FULL, normal is synchronous=NORMAL.
struct SqliteOptions {
  /// The longest busy_timeout open_sqlite accepts: a writer kept waiting an hour is stuck, not busy.
  static constexpr std::chrono::milliseconds k_max_busy_timeout{std::chrono::hours(1)};

  Durability durability = Durability::full;
  /// How long a writer waits for another writer before StorageError: 0 (fail at once) to
  /// k_max_busy_timeout.
  std::chrono::milliseconds busy_timeout{10'000};
};

/// Opens (creating if needed) the SQLite file at `path` and migrates its schema to the current version.
///
/// Throws InvalidArgument (field "path") when `path` holds a NUL byte (SQLite would open the file named
/// by the part before it), (field "busy_timeout") when options.busy_timeout is negative or above
/// SqliteOptions::k_max_busy_timeout, and (field "durability") for a value that is not a Durability;
/// nothing is opened or created then. Throws StorageError when the file cannot be opened, is not a billing
/// database, or was written by a newer version of the library.
///
/// A file that is neither empty nor a billing store (another program's database, told apart by
/// PRAGMA application_id) is looked at through a read-only connection first and refused unchanged: its
/// bytes, its journal mode and its directory are as they were. Only an empty or a billing file is
/// switched to WAL and migrated.
///
///   auto store = billing::open_sqlite("books.db", {.busy_timeout = std::chrono::seconds(2)});
[[nodiscard]] std::unique_ptr<Store> open_sqlite(const std::string& path, const SqliteOptions& options = {});

}  // namespace billing
