// Quotas::consume beside a baseline measured in the same run (issue 10, "Performance"): one call is one
// write transaction on an SQLite file (WAL) that reads the plan and the (plan, subject) state row, decides
// the quota and the token bucket, writes the state and records the allowed call's usage event (with its
// aggregates) on the quota meter. The baseline is a bare read-modify-write of one counter row written by hand
// with the SQLite C API, prepared statements on a connection set up as the adapter's (bench_support.hpp, plus
// the adapter's temp_store = MEMORY): BEGIN IMMEDIATE; SELECT used; the quota compare; UPDATE; COMMIT.
// The goal is >= 0.5 at the library's default durability (Durability::full, synchronous = FULL); the pair at
// Durability::normal, the in-memory adapter, and a plan with a rate limit only (no quota, so no quota meter and
// no usage event: what the quota's state row costs without the event) are for information. bench/report.py
// prints the ratios.
//
// One subject calls a plan of the seed's shape (a monthly quota too big to reach, 1,000 calls a second with a
// burst of 1,000) on a ManualClock that moves 1 ms a call, so that every call is allowed, the bucket refills
// exactly one token a call, and every run does the same work.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/books.hpp>
#include <billing/storage/memory.hpp>
#include <billing/storage/sqlite.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Books;
using billing::Durability;
using billing::bench::bind_text;
using billing::bench::fail;
using billing::bench::RawDb;
using billing::bench::release;
using billing::bench::report;
using billing::bench::synchronous;
using billing::bench::TempDb;

const billing::Timestamp k_start = billing::Timestamp::parse("2026-03-01T00:00:00Z");
constexpr std::string_view k_plan = "pro";
constexpr std::string_view k_subject = "key_1";
constexpr std::uint64_t k_quota = 1'000'000'000'000;  // never reached in a month of 1 ms calls
constexpr auto k_step = std::chrono::milliseconds(1);

// ------------------------------------------------------------------------------------------ ours

enum class Metered : bool { no, yes };

void consume_calls(benchmark::State& state, std::shared_ptr<billing::Store> store, Metered metered = Metered::yes) {
  const auto clock = std::make_shared<billing::ManualClock>(k_start);
  Books books(std::move(store), clock, std::make_shared<billing::SequentialIds>("gen-"));
  (void)books.usage().define_meter({.code = "api_calls", .aggregation = billing::Aggregation::count});
  billing::PlanRequest definition{.code = std::string(k_plan),
                                  .currency = billing::Currency("USD"),
                                  .rate_per_second = billing::Decimal(1'000),
                                  .burst = 1'000};
  if (metered == Metered::yes) {
    definition.quota = k_quota;
    definition.quota_meter = "api_calls";
  }
  const billing::PlanOutcome plan = books.plans().create(definition);
  if (!plan.ok()) {
    state.SkipWithError("the plan could not be created");
    return;
  }
  const billing::QuotaRequest request{.subject = std::string(k_subject), .plan = std::string(k_plan)};
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    clock->advance(k_step);
    if (!books.quotas().consume(request).allowed()) {
      state.SkipWithError("a call was denied");
      break;
    }
  }
  report(state, 1, before);
}

void sqlite_quota_consume(benchmark::State& state, Durability durability, Metered metered = Metered::yes) {
  const TempDb file(fmt::format("quotas-{}-{}", synchronous(durability), metered == Metered::yes ? "quota" : "rate"));
  consume_calls(state, billing::open_sqlite(file.path(), {.durability = durability}), metered);
}

void sqlite_quota_consume_full(benchmark::State& state) { sqlite_quota_consume(state, Durability::full); }
void sqlite_quota_consume_normal(benchmark::State& state) { sqlite_quota_consume(state, Durability::normal); }
void memory_quota_consume(benchmark::State& state) { consume_calls(state, billing::open_memory()); }
void sqlite_rate_limit_only_full(benchmark::State& state) {
  sqlite_quota_consume(state, Durability::full, Metered::no);
}
void sqlite_rate_limit_only_normal(benchmark::State& state) {
  sqlite_quota_consume(state, Durability::normal, Metered::no);
}

// ------------------------------------------------------------------------------------------ the baseline

void baseline_sqlite_counter_rmw(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("quotas-baseline-{}", synchronous(durability)));
  RawDb db(file.path(), synchronous(durability));
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(
      "CREATE TABLE counters (plan TEXT NOT NULL, subject TEXT NOT NULL, used INTEGER NOT NULL, "
      "PRIMARY KEY (plan, subject)) STRICT, WITHOUT ROWID");
  db.exec(fmt::format("INSERT INTO counters (plan, subject, used) VALUES ('{}', '{}', 0)", k_plan, k_subject));
  sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  sqlite3_stmt* select = db.prepare("SELECT used FROM counters WHERE plan = ?1 AND subject = ?2");
  sqlite3_stmt* update = db.prepare("UPDATE counters SET used = ?3 WHERE plan = ?1 AND subject = ?2");
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    db.run(begin);
    bind_text(select, 1, k_plan);
    bind_text(select, 2, k_subject);
    if (sqlite3_step(select) != SQLITE_ROW) fail(db.handle(), "SELECT used");
    const std::int64_t used = sqlite3_column_int64(select, 0);
    release(select);
    if (static_cast<std::uint64_t>(used) + 1 > k_quota) {
      state.SkipWithError("the baseline's quota was reached");
      break;
    }
    bind_text(update, 1, k_plan);
    bind_text(update, 2, k_subject);
    sqlite3_bind_int64(update, 3, used + 1);
    db.run(update);
    release(update);
    db.run(commit);
  }
  report(state, 1, before);
}

void baseline_sqlite_counter_rmw_full(benchmark::State& state) {
  baseline_sqlite_counter_rmw(state, Durability::full);
}
void baseline_sqlite_counter_rmw_normal(benchmark::State& state) {
  baseline_sqlite_counter_rmw(state, Durability::normal);
}

}  // namespace

BENCHMARK(sqlite_quota_consume_full)->UseRealTime()->MinTime(0.5);
BENCHMARK(baseline_sqlite_counter_rmw_full)->UseRealTime()->MinTime(0.5);
BENCHMARK(sqlite_quota_consume_normal)->UseRealTime()->MinTime(1.0);
BENCHMARK(baseline_sqlite_counter_rmw_normal)->UseRealTime()->MinTime(1.0);
BENCHMARK(sqlite_rate_limit_only_full)->UseRealTime()->MinTime(0.5);
BENCHMARK(sqlite_rate_limit_only_normal)->UseRealTime()->MinTime(1.0);
BENCHMARK(memory_quota_consume)->UseRealTime()->MinTime(1.0);

BENCHMARK_MAIN();
