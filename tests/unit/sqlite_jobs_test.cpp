// What only the SQLite job queue has: its reads served by indexes, and a schema that refuses what the
// queue's rules forbid even when a hand-written statement tries (the dedup key's unique index, the CHECKs,
// the triggers). The queue's behaviour on every adapter is in tests/contract/jobs_contract_test.cpp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../../src/storage/sqlite/jobs.hpp"
#include "billing/books.hpp"
#include "billing/storage/sqlite.hpp"
#include "raw_sqlite.hpp"
#include "support/scratch_dir.hpp"

using namespace billing;

namespace {

std::string new_file() {
  static int counter = 0;
  return (test::scratch_dir("billing-sqlite-jobs-") / fmt::format("jobs-{}.db", counter++)).string();
}

using Raw = test::RawSqlite;

// An INSERT of a queued job `id` as the queue writes it, with `overrides` (column, SQL value) replacing
// columns.
std::string insert_job(const std::string& id, const std::map<std::string, std::string>& overrides = {}) {
  const std::vector<std::pair<std::string, std::string>> defaults = {
      {"kind", "'k'"},     {"payload", "'{}'"},     {"status", "0"},         {"attempts", "0"},
      {"max_attempts", "3"}, {"run_at", "0"},       {"lease_expires_at", "NULL"}, {"worker", "''"},
      {"token", "''"},     {"last_error", "''"},    {"dedup_key", "NULL"},   {"created_at", "0"},
      {"updated_at", "0"}};
  return test::insert_row("jobs", id, defaults, overrides);
}

}  // namespace

TEST_CASE("the job queue's reads are served by its indexes, with no scan of the table and no sort") {
  const std::string path = new_file();
  { (void)open_sqlite(path); }
  Raw raw(path);
  for (const std::string& sql : detail::sqlite::job_reads_for_testing()) {
    CAPTURE(sql);
    const std::vector<std::string> plan = raw.plan(sql);
    REQUIRE_FALSE(plan.empty());
    for (const std::string& line : plan) {
      CAPTURE(line);
      if (line.starts_with("SCAN") || line.starts_with("SEARCH")) {
        CHECK(line.find("USING") != std::string::npos);  // ... USING [COVERING] INDEX, or the primary key
      }
      CHECK(line.find("TEMP B-TREE") == std::string::npos);
    }
  }
  // The claim's read, by name: the first rows of jobs_due.
  const auto claim_plan = raw.plan(detail::sqlite::job_reads_for_testing().at(3));
  REQUIRE(claim_plan.size() == 1);
  CHECK(claim_plan.front().find("jobs_due") != std::string::npos);
}

TEST_CASE("a dedup key is unique among a kind's jobs that have not completed, in the file itself") {
  const std::string path = new_file();
  { (void)open_sqlite(path); }
  Raw raw(path);
  REQUIRE(raw.exec(insert_job("a", {{"dedup_key", "'key'"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_job("b", {{"dedup_key", "'key'"}})) == SQLITE_CONSTRAINT_UNIQUE);
  CHECK(raw.exec(insert_job("b", {{"dedup_key", "'key'"}, {"kind", "'other'"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_job("c", {{"dedup_key", "'key'"}, {"status", "3"}})) == SQLITE_CONSTRAINT_UNIQUE);
  // A completed job lets go of its key.
  REQUIRE(raw.exec(insert_job("d", {{"dedup_key", "'done'"}, {"status", "2"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_job("e", {{"dedup_key", "'done'"}})) == SQLITE_OK);
  CHECK(raw.exec(insert_job("f", {{"dedup_key", "'done'"}, {"status", "2"}})) == SQLITE_OK);
}

TEST_CASE("the jobs table's checks and triggers refuse rows the queue's rules forbid") {
  const std::string path = new_file();
  { (void)open_sqlite(path); }
  Raw raw(path);
  REQUIRE(raw.exec(insert_job("queued")) == SQLITE_OK);
  REQUIRE(raw.exec(insert_job("claimed", {{"status", "1"}, {"attempts", "1"}, {"lease_expires_at", "5"}, {"token", "'1-t'"}})) ==
          SQLITE_OK);
  REQUIRE(raw.exec(insert_job("done", {{"status", "2"}, {"attempts", "1"}})) == SQLITE_OK);
  const std::vector<std::pair<const char*, std::string>> refused = {
      {"attempts beyond max_attempts", insert_job("x", {{"attempts", "4"}})},
      {"no attempts allowed", insert_job("x", {{"max_attempts", "0"}})},
      {"over 100 attempts allowed", insert_job("x", {{"max_attempts", "101"}})},
      {"claimed without a lease", insert_job("x", {{"status", "1"}, {"token", "'1-t'"}})},
      {"claimed without a token", insert_job("x", {{"status", "1"}, {"lease_expires_at", "5"}})},
      {"a lease while queued", insert_job("x", {{"lease_expires_at", "5"}})},
      {"a token while queued", insert_job("x", {{"token", "'t'"}})},
      {"an unknown status", insert_job("x", {{"status", "4"}})},
      {"an empty kind", insert_job("x", {{"kind", "''"}})},
      {"a kind with a space", insert_job("x", {{"kind", "'a b'"}})},
      {"a kind starting with a digit", insert_job("x", {{"kind", "'9a'"}})},
      {"an empty dedup key", insert_job("x", {{"dedup_key", "''"}})},
      {"a payload over 64 KiB", insert_job("x", {{"payload", "printf('%.*c', 65537, 'x')"}})},
      {"text where a number goes (STRICT)", insert_job("x", {{"max_attempts", "'three'"}})},
      {"queued to completed", "UPDATE jobs SET status = 2 WHERE id = 'queued'"},
      {"completed to queued", "UPDATE jobs SET status = 0 WHERE id = 'done'"},
      {"a completed job's worker", "UPDATE jobs SET worker = 'w' WHERE id = 'done'"},
      {"a job's kind", "UPDATE jobs SET kind = 'other' WHERE id = 'queued'"},
      {"a job's payload", "UPDATE jobs SET payload = '[]' WHERE id = 'queued'"},
      {"a job's max_attempts", "UPDATE jobs SET max_attempts = 5 WHERE id = 'queued'"},
      {"a job's id", "UPDATE jobs SET id = 'renamed' WHERE id = 'queued'"},
      {"deleting a queued job", "DELETE FROM jobs WHERE id = 'queued'"},
      {"deleting a claimed job", "DELETE FROM jobs WHERE id = 'claimed'"},
  };
  for (const auto& probe : refused) {
    const std::string what = probe.first;  // not a structured binding: CAPTURE's lambda takes it
    CAPTURE(what);
    const int rc = raw.exec(probe.second);
    CAPTURE(raw.error());
    CHECK((rc & 0xff) == SQLITE_CONSTRAINT);
  }
  CHECK(raw.exec("DELETE FROM jobs WHERE id = 'done'") == SQLITE_OK);
  CHECK(raw.exec("UPDATE jobs SET status = 1, attempts = 1, lease_expires_at = 9, token = '1-u' WHERE id = "
                 "'queued'") == SQLITE_OK);
}
