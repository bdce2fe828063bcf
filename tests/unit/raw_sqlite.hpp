// A plain connection to a store's file, as another program (or a person with the sqlite3 shell) has, for the
// adapter's tests: statements the library would never run, query plans, and tamper probes that the schema
// must refuse.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace billing::test {

class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_extended_result_codes(db_, 1);
  }
  ~RawSqlite() { sqlite3_close_v2(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  [[nodiscard]] std::string error() const { return sqlite3_errmsg(db_); }

  /// Column `column` of every row `sql` gives, as text ("" for NULL), parameters unbound.
  std::vector<std::string> column(const std::string& sql, int column) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(statement, column);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(statement);
    return out;
  }

  /// Every line of EXPLAIN QUERY PLAN for `sql`.
  std::vector<std::string> plan(const std::string& sql) { return column("EXPLAIN QUERY PLAN " + sql, 3); }

 private:
  sqlite3* db_ = nullptr;
};

/// An INSERT into `table` of a row whose id is `id` and whose other columns are `defaults` (column, SQL value),
/// in their order, with `overrides` replacing some of them.
inline std::string insert_row(const std::string& table, const std::string& id,
                              const std::vector<std::pair<std::string, std::string>>& defaults,
                              const std::map<std::string, std::string>& overrides) {
  std::string columns = "id";
  std::string values = "'" + id + "'";
  for (const auto& [column, value] : defaults) {
    const auto override = overrides.find(column);
    columns += ", " + column;
    values += ", " + (override != overrides.end() ? override->second : value);
  }
  return "INSERT INTO " + table + " (" + columns + ") VALUES (" + values + ")";
}

/// Runs every probe on the file at `path`, with foreign keys on, once with recursive_triggers off and once on,
/// and checks that each fails with a constraint (a CHECK, a key or a trigger). Returns how many runs were
/// refused, of 2 * probes.size().
inline int refused_probes(const std::string& path, const std::vector<std::string>& probes) {
  int refused = 0;
  for (const char* recursive : {"OFF", "ON"}) {
    RawSqlite raw(path);
    REQUIRE(raw.exec(std::string("PRAGMA recursive_triggers = ") + recursive) == SQLITE_OK);
    REQUIRE(raw.exec("PRAGMA foreign_keys = ON") == SQLITE_OK);
    for (const std::string& probe : probes) {
      CAPTURE(recursive);
      CAPTURE(probe);
      const int rc = raw.exec(probe);
      CHECK_MESSAGE((rc & 0xff) == SQLITE_CONSTRAINT, raw.error());
      if ((rc & 0xff) == SQLITE_CONSTRAINT) ++refused;
    }
  }
  return refused;
}

}  // namespace billing::test
