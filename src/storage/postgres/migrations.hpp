// The PostgreSQL schema of a billing store: its version and the migrations that build its tables and
// guards (one script per version in migrations/). Internal to the adapter.
#pragma once

#include <string>

#include "connection.hpp"

namespace billing::detail::postgres {

/// The schema version this library writes, one row per applied version in schema_migrations.
inline constexpr int k_schema_version = 9;

/// Creates `schema` if needed and brings it to k_schema_version: under a session advisory lock on the
/// schema's name, so that processes starting at once take turns and the later ones find the work done,
/// and in one transaction, so that a failure leaves the schema as it was. Leaves a current schema
/// unchanged. Throws StorageError when the schema holds tables but no schema_migrations (another
/// program's), was written by a newer version of the library, or the server fails.
void migrate(Connection& connection, const std::string& schema);

}  // namespace billing::detail::postgres
