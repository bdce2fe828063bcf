// What the benchmarks share: scratch databases under /tmp, a hand-written SQLite connection for the
// same-run baselines, and the report of a rate with its allocations per item (bench/report.py reads both).
#pragma once

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <billing/storage/sqlite.hpp>

#include "alloc_counter.hpp"

namespace billing::bench {

/// The PRAGMA synchronous level the adapter sets for `durability`, for a baseline connection to match it.
inline const char* synchronous(Durability durability) { return durability == Durability::full ? "FULL" : "NORMAL"; }

/// A database path under /tmp, removed (with its WAL and shared-memory files) before and after use.
class TempDb {
 public:
  explicit TempDb(std::string_view tag) : path_(fmt::format("/tmp/billing-bench-{}-{}.db", ::getpid(), tag)) {
    remove();
  }
  ~TempDb() { remove(); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  void remove() const noexcept {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ignored);
  }
  std::string path_;
};

/// Reports a rate of `items_per_iteration` items per iteration, and the heap allocations per item made on
/// this thread since `allocations_before`.
inline void report(benchmark::State& state, std::int64_t items_per_iteration, std::size_t allocations_before) {
  const auto items = state.iterations() * items_per_iteration;
  state.SetItemsProcessed(items);
  const std::size_t made = billing::test::allocations_on_this_thread() - allocations_before;
  state.counters["allocs_per_item"] = benchmark::Counter(static_cast<double>(made) / static_cast<double>(items));
}

[[noreturn]] inline void fail(sqlite3* db, std::string_view what) {
  throw std::runtime_error(fmt::format("{}: {}", what, db != nullptr ? sqlite3_errmsg(db) : "no connection"));
}

/// A connection set up as the adapter sets up its own (src/storage/sqlite/connection.cpp): no SQLite mutex,
/// extended result codes, a busy timeout, foreign keys on, WAL, and the given synchronous level. Statements
/// are prepared once and kept, as the adapter's statement cache keeps them.
class RawDb {
 public:
  RawDb(const std::string& path, std::string_view synchronous) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) fail(db_, "open " + path);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10'000);
    exec(fmt::format("PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;", synchronous));
  }
  ~RawDb() {
    for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
    sqlite3_close_v2(db_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, sql);
  }

  [[nodiscard]] sqlite3_stmt* prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                           nullptr) != SQLITE_OK) {
      fail(db_, sql);
    }
    statements_.push_back(statement);
    return statement;
  }

  /// Steps a statement that returns no rows, then rewinds it (keeping its bindings).
  void run(sqlite3_stmt* statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) fail(db_, sqlite3_sql(statement));
    sqlite3_reset(statement);
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

/// Ends a use of a statement the way the adapter's StatementLease does: rewound, every parameter NULL.
inline void release(sqlite3_stmt* statement) {
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
}

inline void bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

}  // namespace billing::bench
