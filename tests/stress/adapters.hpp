// The stores the multi-adapter stress tests run on: memory, and a fresh SQLite file with
// Durability::normal in the test's own scratch directory.
#pragma once

#include <memory>
#include <string>

#include "billing/storage/memory.hpp"
#include "billing/storage/sqlite.hpp"
#include "support.hpp"

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

}  // namespace billing::stress
