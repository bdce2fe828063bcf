// Versioned order transitions on SQLite beside a bare `UPDATE ... WHERE version = ?` loop over the sqlite3
// C API in the same run, on the same kind of file (WAL) with the same synchronous level. Each side makes one
// status change per commit: ours is Orders::transition (read the order and its lines, check the version and
// the table, update the row, append the history row, commit); the baseline is one UPDATE of a minimal row
// that checks the version in its WHERE clause. bench/report.py prints each ratio and its goal (>= 0.5).
//
// Both sides cycle through a pool of orders: every order is moved PENDING -> PROCESSING, then PROCESSING ->
// COMPLETED, and a fresh pool is placed (outside the timed part) when all are completed.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/books.hpp>
#include <billing/storage/sqlite.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Books;
using billing::Durability;
using billing::OrderId;
using billing::OrderResult;
using billing::OrderStatus;
using billing::bench::RawDb;
using billing::bench::report;
using billing::bench::synchronous;
using billing::bench::TempDb;

constexpr std::size_t k_pool = 2048;  // orders per pool; each gives two transitions
const billing::Timestamp k_now = billing::Timestamp::parse("2026-11-22T00:00:00Z");

/// Where each order of a pool is, and which transition comes next: every order to PROCESSING, then every
/// order to COMPLETED. Both sides walk it alike.
class Pool {
 public:
  explicit Pool(std::size_t generation) {
    ids_.reserve(k_pool);
    for (std::size_t i = 0; i < k_pool; ++i) ids_.push_back(fmt::format("ord-{:04}-{:06}", generation, i));
  }

  [[nodiscard]] const std::vector<std::string>& ids() const noexcept { return ids_; }
  [[nodiscard]] bool exhausted() const noexcept { return next_ == 2 * k_pool; }

  struct Step {
    const std::string& id;
    OrderStatus to;
    std::uint64_t expected_version;
  };
  [[nodiscard]] Step next() {
    const std::size_t at = next_++;
    const bool second = at >= k_pool;
    return {ids_[at % k_pool], second ? OrderStatus::completed : OrderStatus::processing, second ? 2U : 1U};
  }

 private:
  std::vector<std::string> ids_;
  std::size_t next_ = 0;
};

/// The pool in use, replaced by a fresh one when it is exhausted: `place(pool)` stores a pool's orders,
/// outside the timed part.
template <class Place>
class Pools {
 public:
  explicit Pools(Place place) : place_(std::move(place)) { place_(*pool_); }

  [[nodiscard]] Pool::Step next(benchmark::State& state) {
    if (pool_->exhausted()) {
      state.PauseTiming();
      pool_ = std::make_unique<Pool>(++generation_);
      place_(*pool_);
      state.ResumeTiming();
    }
    return pool_->next();
  }

 private:
  Place place_;
  std::size_t generation_ = 0;
  std::unique_ptr<Pool> pool_ = std::make_unique<Pool>(generation_);
};

// ------------------------------------------------------------------------------------------ ours

void place_pool(Books& books, const Pool& pool) {
  const auto work = books.transaction();
  for (const std::string& id : pool.ids()) {
    const auto placed = books.orders().create(
        {.id = OrderId(id),
         .customer_name = "Customer " + id,
         .customer_email = "customer@example.com",
         .lines = {{.item = "widget", .quantity = 3, .unit_price = billing::Money::parse("19.99 USD")},
                   {.item = "gift wrap", .quantity = 1, .unit_price = billing::Money::parse("2.50 USD")}},
         .metadata = {{"channel", "web"}}});
    if (placed.result != OrderResult::ok) throw std::runtime_error("could not place " + id);
  }
  work->commit();
}

void sqlite_order_transition(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("orders-{}", synchronous(durability)));
  Books books(billing::open_sqlite(file.path(), {.durability = durability}),
              std::make_shared<billing::ManualClock>(k_now));
  Pools pools([&books](const Pool& pool) { place_pool(books, pool); });
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Pool::Step step = pools.next(state);
    const auto moved = books.orders().transition(OrderId(step.id), step.to, step.expected_version, "bench");
    if (moved.result != OrderResult::ok) {
      state.SkipWithError("a transition was refused");
      break;
    }
  }
  report(state, 1, before);
}

void sqlite_order_transition_normal(benchmark::State& state) { sqlite_order_transition(state, Durability::normal); }
void sqlite_order_transition_full(benchmark::State& state) { sqlite_order_transition(state, Durability::full); }

// ------------------------------------------------------------------------------------------ the baseline

void place_rows(RawDb& db, sqlite3_stmt* insert, const Pool& pool) {
  db.exec("BEGIN IMMEDIATE");
  for (const std::string& id : pool.ids()) {
    billing::bench::bind_text(insert, 1, id);
    db.run(insert);
  }
  db.exec("COMMIT");
}

void baseline_sqlite_versioned_update(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("orders-baseline-{}", synchronous(durability)));
  RawDb db(file.path(), synchronous(durability));
  db.exec(
      "CREATE TABLE orders (id TEXT NOT NULL PRIMARY KEY, status INTEGER NOT NULL, version INTEGER NOT NULL, "
      "updated_at INTEGER NOT NULL) STRICT, WITHOUT ROWID");
  sqlite3_stmt* insert = db.prepare("INSERT INTO orders (id, status, version, updated_at) VALUES (?1, 0, 1, 0)");
  sqlite3_stmt* update = db.prepare(
      "UPDATE orders SET status = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1 AND version = ?4");
  Pools pools([&db, insert](const Pool& pool) { place_rows(db, insert, pool); });
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Pool::Step step = pools.next(state);
    billing::bench::bind_text(update, 1, step.id);
    sqlite3_bind_int64(update, 2, static_cast<std::int64_t>(step.to));
    sqlite3_bind_int64(update, 3, k_now.unix_micros());
    sqlite3_bind_int64(update, 4, static_cast<std::int64_t>(step.expected_version));
    db.run(update);
    if (sqlite3_changes(db.handle()) != 1) {
      state.SkipWithError("a versioned update changed no row");
      break;
    }
  }
  report(state, 1, before);
}

// The statements Orders::transition runs, hand-written over the C API on the same schema (the file is made
// by open_sqlite, and its pools placed through Books): what SQLite alone costs for our change, so that the
// gap to the bare UPDATE splits into the schema's share (more statements, rows, index entries and
// triggers) and the library's (the rest).
void baseline_sqlite_same_statements(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("orders-same-{}", synchronous(durability)));
  Books books(billing::open_sqlite(file.path(), {.durability = durability}),
              std::make_shared<billing::ManualClock>(k_now));
  RawDb db(file.path(), synchronous(durability));
  sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* find = db.prepare(
      "SELECT id, customer_name, customer_email, currency, currency_places, total_minor, status, version, "
      "metadata, created_at, updated_at, deleted_at FROM orders WHERE id = ?1");
  sqlite3_stmt* lines = db.prepare(
      "SELECT order_id, position, item, quantity, unit_price_minor FROM order_lines WHERE order_id = ?1 "
      "ORDER BY position");
  sqlite3_stmt* update = db.prepare(
      "UPDATE orders SET status = ?3, version = ?4, updated_at = ?5 "
      "WHERE id = ?1 AND status = ?2 AND version = ?4 - 1 AND deleted_at IS NULL");
  sqlite3_stmt* history = db.prepare(
      "INSERT INTO order_history (order_id, version, from_status, to_status, at, reason) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  Pools pools([&books](const Pool& pool) { place_pool(books, pool); });
  std::string text;  // what the columns are read into, as the adapter reads them
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Pool::Step step = pools.next(state);
    const auto from =
        static_cast<std::int64_t>(step.to == OrderStatus::processing ? OrderStatus::pending : OrderStatus::processing);
    db.run(begin);
    billing::bench::bind_text(find, 1, step.id);
    if (sqlite3_step(find) != SQLITE_ROW ||
        sqlite3_column_int64(find, 7) != static_cast<std::int64_t>(step.expected_version)) {
      state.SkipWithError("the order is not at the version expected");
      break;
    }
    for (const int column : {0, 1, 2, 3, 8})
      text.assign(reinterpret_cast<const char*>(sqlite3_column_text(find, column)));
    billing::bench::release(find);
    billing::bench::bind_text(lines, 1, step.id);
    while (sqlite3_step(lines) == SQLITE_ROW) text.assign(reinterpret_cast<const char*>(sqlite3_column_text(lines, 2)));
    billing::bench::release(lines);
    billing::bench::bind_text(update, 1, step.id);
    sqlite3_bind_int64(update, 2, from);
    sqlite3_bind_int64(update, 3, static_cast<std::int64_t>(step.to));
    sqlite3_bind_int64(update, 4, static_cast<std::int64_t>(step.expected_version + 1));
    sqlite3_bind_int64(update, 5, k_now.unix_micros());
    db.run(update);
    billing::bench::bind_text(history, 1, step.id);
    sqlite3_bind_int64(history, 2, static_cast<std::int64_t>(step.expected_version + 1));
    sqlite3_bind_int64(history, 3, from);
    sqlite3_bind_int64(history, 4, static_cast<std::int64_t>(step.to));
    sqlite3_bind_int64(history, 5, k_now.unix_micros());
    billing::bench::bind_text(history, 6, "bench");
    db.run(history);
    db.run(commit);
  }
  report(state, 1, before);
}

void baseline_sqlite_same_statements_normal(benchmark::State& state) {
  baseline_sqlite_same_statements(state, Durability::normal);
}
void baseline_sqlite_same_statements_full(benchmark::State& state) {
  baseline_sqlite_same_statements(state, Durability::full);
}

void baseline_sqlite_versioned_update_normal(benchmark::State& state) {
  baseline_sqlite_versioned_update(state, Durability::normal);
}
void baseline_sqlite_versioned_update_full(benchmark::State& state) {
  baseline_sqlite_versioned_update(state, Durability::full);
}

}  // namespace

BENCHMARK(baseline_sqlite_versioned_update_normal)->UseRealTime();
BENCHMARK(baseline_sqlite_same_statements_normal)->UseRealTime();
BENCHMARK(sqlite_order_transition_normal)->UseRealTime();
// Each commit waits for fsync, whose latency on a shared VM drifts over minutes: many short repetitions,
// interleaved with --benchmark_enable_random_interleaving, let both medians sample the same disk.
BENCHMARK(baseline_sqlite_versioned_update_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);
BENCHMARK(baseline_sqlite_same_statements_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);
BENCHMARK(sqlite_order_transition_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);

BENCHMARK_MAIN();
