// The job queue's hot path beside a baseline measured in the same run: enqueue + claim + complete cycles,
// each call its own unit of work, on SQLite (Durability::normal), against the same statements written by
// hand with the SQLite C API on a file of the same schema: per cycle three write transactions (BEGIN
// IMMEDIATE ... COMMIT) that insert a job, read the first due job and claim it, and read it by id and
// complete it. The ratio is what the queue's rules, the adapter and its row mapping cost on top of the
// SQL. bench/report.py prints it beside the goal (>= 0.5); docs/benchmarks.md records it.
//
// Time stands still (a ManualClock) and ids are sequential, so every run does the same work.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/books.hpp>
#include <billing/storage/memory.hpp>
#include <billing/storage/sqlite.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Books;
using billing::Job;
using billing::bench::bind_text;
using billing::bench::fail;
using billing::bench::RawDb;
using billing::bench::release;
using billing::bench::report;
using billing::bench::TempDb;

const billing::Timestamp k_now = billing::Timestamp::parse("2026-11-22T00:00:00Z");
constexpr std::string_view k_kind = "email.send";
constexpr std::string_view k_payload = R"({"to":"ann@example.com","template":"receipt","order":"ord-000017"})";
constexpr auto k_lease = std::chrono::seconds(30);

std::unique_ptr<Books> open_books(std::unique_ptr<billing::Store> store) {
  return std::make_unique<Books>(std::move(store), std::make_shared<billing::ManualClock>(k_now),
                                 std::make_shared<billing::SequentialIds>("job-"));
}

void cycles(benchmark::State& state, Books& books) {
  const billing::JobRequest request{.kind = std::string(k_kind), .payload = std::string(k_payload)};
  const billing::ClaimRequest claim{.lease = k_lease, .worker = "worker-1"};
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    (void)books.jobs().enqueue(request);
    const std::optional<Job> job = books.jobs().claim(claim);
    if (!job || books.jobs().complete(*job).result != billing::CompleteResult::ok) {
      state.SkipWithError("a cycle did not complete its job");
      break;
    }
  }
  report(state, 1, before);
}

void memory_job_cycle(benchmark::State& state) { cycles(state, *open_books(billing::open_memory())); }
BENCHMARK(memory_job_cycle)->UseRealTime();

void sqlite_job_cycle(benchmark::State& state) {
  const TempDb file("jobs-ours");
  cycles(state, *open_books(billing::open_sqlite(file.path(), {.durability = billing::Durability::normal})));
}
BENCHMARK(sqlite_job_cycle)->UseRealTime();

// ------------------------------------------------------------------------------------------ SQLite by hand

// The statements the adapter runs for a cycle, copied from src/storage/sqlite/jobs.cpp (schema version 5).
constexpr std::string_view k_columns =
    "id, kind, payload, status, attempts, max_attempts, run_at, lease_expires_at, worker, token, last_error, "
    "dedup_key, created_at, updated_at";
const std::string k_insert = fmt::format(
    "INSERT INTO jobs ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (id) DO NOTHING",
    k_columns);
const std::string k_due = fmt::format("SELECT {} FROM jobs WHERE due_at <= ?1 ORDER BY due_at, id LIMIT ?2", k_columns);
const std::string k_find = fmt::format("SELECT {} FROM jobs WHERE id = ?1", k_columns);
constexpr std::string_view k_update =
    "UPDATE jobs SET status = ?4, attempts = ?5, run_at = ?7, lease_expires_at = ?8, worker = ?9, token = ?10, "
    "last_error = ?11, updated_at = ?14 WHERE id = ?1 AND kind = ?2 AND payload = ?3 AND max_attempts = ?6 AND "
    "dedup_key IS ?12 AND created_at = ?13 AND ((1 << status) & ?15) <> 0";

// A job's row as the baseline keeps it between statements: what it read, to write back.
struct Row {
  std::string id;
  std::string kind;
  std::string payload;
  std::int64_t attempts = 0;
  std::int64_t max_attempts = 0;
  std::int64_t run_at = 0;
  std::int64_t created_at = 0;
};

class SameStatements {
 public:
  explicit SameStatements(const std::string& path) : db_(path, "NORMAL") {
    begin_ = db_.prepare("BEGIN IMMEDIATE");
    commit_ = db_.prepare("COMMIT");
    insert_ = db_.prepare(k_insert);
    due_ = db_.prepare(k_due);
    find_ = db_.prepare(k_find);
    update_ = db_.prepare(k_update);
  }

  void cycle(std::int64_t n) {
    const std::string id = fmt::format("job-{:012}", n);
    db_.run(begin_);
    enqueue(id);
    db_.run(commit_);

    db_.run(begin_);
    sqlite3_bind_int64(due_, 1, now_);
    sqlite3_bind_int64(due_, 2, 1);
    Row row = read(due_, "find a due job");
    write(row, 1, row.attempts + 1, now_ + lease_, "1-0123456789abcdef0123456789abcdef", 0b01);
    db_.run(commit_);

    db_.run(begin_);
    bind_text(find_, 1, row.id);
    row = read(find_, "find a job");
    write(row, 2, row.attempts, 0, "", 0b10);
    db_.run(commit_);
  }

 private:
  void enqueue(const std::string& id) {
    bind_text(insert_, 1, id);
    bind_text(insert_, 2, k_kind);
    bind_text(insert_, 3, k_payload);
    sqlite3_bind_int64(insert_, 4, 0);
    sqlite3_bind_int64(insert_, 5, 0);
    sqlite3_bind_int64(insert_, 6, 3);
    sqlite3_bind_int64(insert_, 7, now_);
    sqlite3_bind_null(insert_, 8);
    bind_text(insert_, 9, "");
    bind_text(insert_, 10, "");
    bind_text(insert_, 11, "");
    sqlite3_bind_null(insert_, 12);
    sqlite3_bind_int64(insert_, 13, now_);
    sqlite3_bind_int64(insert_, 14, now_);
    db_.run(insert_);
    if (sqlite3_changes(db_.handle()) != 1) fail(db_.handle(), "insert a job");
    release(insert_);
  }

  Row read(sqlite3_stmt* query, std::string_view what) {
    if (sqlite3_step(query) != SQLITE_ROW) fail(db_.handle(), what);
    const auto text = [query](int column) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(query, column)),
                         static_cast<std::size_t>(sqlite3_column_bytes(query, column)));
    };
    Row row{.id = text(0),
            .kind = text(1),
            .payload = text(2),
            .attempts = sqlite3_column_int64(query, 4),
            .max_attempts = sqlite3_column_int64(query, 5),
            .run_at = sqlite3_column_int64(query, 6),
            .created_at = sqlite3_column_int64(query, 12)};
    release(query);
    return row;
  }

  // Claimed (lease_end set, a token) or completed (neither); `from` is the bit mask of allowed old statuses.
  void write(const Row& row, std::int64_t status, std::int64_t attempts, std::int64_t lease_end,
             std::string_view token, std::int64_t from) {
    bind_text(update_, 1, row.id);
    bind_text(update_, 2, row.kind);
    bind_text(update_, 3, row.payload);
    sqlite3_bind_int64(update_, 4, status);
    sqlite3_bind_int64(update_, 5, attempts);
    sqlite3_bind_int64(update_, 6, row.max_attempts);
    sqlite3_bind_int64(update_, 7, row.run_at);
    if (lease_end != 0) {
      sqlite3_bind_int64(update_, 8, lease_end);
    } else {
      sqlite3_bind_null(update_, 8);
    }
    bind_text(update_, 9, "worker-1");
    bind_text(update_, 10, token);
    bind_text(update_, 11, "");
    sqlite3_bind_null(update_, 12);
    sqlite3_bind_int64(update_, 13, row.created_at);
    sqlite3_bind_int64(update_, 14, now_);
    sqlite3_bind_int64(update_, 15, from);
    db_.run(update_);
    if (sqlite3_changes(db_.handle()) != 1) fail(db_.handle(), "update a job");
    release(update_);
  }

  RawDb db_;
  std::int64_t now_ = k_now.unix_micros();
  std::int64_t lease_ = std::chrono::duration_cast<std::chrono::microseconds>(k_lease).count();
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* due_ = nullptr;
  sqlite3_stmt* find_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
};

void baseline_sqlite_job_cycle_same_statements(benchmark::State& state) {
  const TempDb file("jobs-baseline");
  { (void)billing::open_sqlite(file.path()); }  // the same schema, made by the adapter's migrations
  SameStatements db(file.path());
  std::int64_t n = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) db.cycle(++n);
  report(state, 1, before);
}
BENCHMARK(baseline_sqlite_job_cycle_same_statements)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
