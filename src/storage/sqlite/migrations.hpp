// The SQLite file format of a billing store: its version, its application id, and the migrations that
// build its tables and guards (one script per version in migrations/). Internal to the adapter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "connection.hpp"

namespace billing::detail::sqlite {

/// The schema version this library writes, kept in PRAGMA user_version.
inline constexpr int k_schema_version = 10;
/// PRAGMA application_id of a billing store ("BILL"), so that another program's SQLite file is told
/// apart from a billing file and never migrated into one.
inline constexpr std::int32_t k_application_id = 0x4249'4C4C;
/// The oldest SQLite that can hold the schema (STRICT tables).
inline constexpr int k_min_sqlite_version = 3'037'000;

/// Throws StorageError unless the file at `path` is missing, empty (no schema, application id and
/// user_version 0) or a billing store (application id k_application_id). Looks through a read-only,
/// immutable connection, so a refused file is left exactly as it was: its bytes, its journal mode, and
/// no -wal, -shm or -journal file of ours beside it. It reads the main file only, which always holds a
/// committed state, and a billing file's every committed state passes. open_sqlite asks before it
/// changes anything; migrate() asks again, under the write lock and seeing the -wal too.
void check_owned_or_empty(const std::string& path);

/// Brings the file behind `connection` to k_schema_version, inside BEGIN IMMEDIATE so that two
/// processes opening a new file at once take turns and the second finds the work done. Leaves a
/// current file unchanged. Throws StorageError when the file belongs to another program, was written
/// by a newer version of the library, or the engine fails; nothing is changed then.
void migrate(Connection& connection);

}  // namespace billing::detail::sqlite
