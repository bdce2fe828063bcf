// The stores the multi-adapter stress tests run on: memory, a fresh SQLite file with Durability::normal in
// the test's own scratch directory, and a fresh schema with Durability::normal on the process's throwaway
// PostgreSQL server (support/postgres_server.hpp).
#pragma once

#include <memory>
#include <string>

#include "billing/storage/memory.hpp"
#include "billing/storage/postgres.hpp"
#include "billing/storage/sqlite.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"

namespace billing::stress {

struct MemoryStore {
  static constexpr const char* k_name = "memory";
  static std::shared_ptr<Store> open(const TempDir& /*dir*/) { return open_memory(); }
};

struct SqliteStore {
  static constexpr const char* k_name = "sqlite";
  static std::shared_ptr<Store> open(const TempDir& dir) {
    return open_sqlite(dir.file("stress.db"), {.durability = Durability::normal});
  }
};

struct PostgresStore {
  static constexpr const char* k_name = "postgres";
  static std::shared_ptr<Store> open(const TempDir& /*dir*/) {
    return open_schema(test::PostgresServer::shared().unique_schema());
  }
  /// The store of `schema` on the shared server, created and migrated when new.
  static std::shared_ptr<Store> open_schema(const std::string& schema, Durability durability = Durability::normal) {
    return open_postgres(test::PostgresServer::shared().conninfo(), {.durability = durability, .schema = schema});
  }
  /// What billing_stress_writer takes for <db> to open the store of `schema` (writer.cpp).
  static std::string spec(const std::string& schema) {
    return "postgres:" + schema + ":" + test::PostgresServer::shared().conninfo();
  }
};

}  // namespace billing::stress
