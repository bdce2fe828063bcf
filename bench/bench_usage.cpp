// Usage metering beside baselines measured in the same run (issue 10, "Performance"):
//  - ingestion: Usage::record_batch of 1,000 events into SQLite (Durability::normal), with dedup and every
//    aggregate each event touches (per subject and across subjects; all time, hour, day and month) and the
//    meter's totals, against a bare insert of the same 1,000 event rows (one prepared INSERT into a table of
//    the same columns with no key, index or constraint, in one transaction). Goal >= 0.3 (throughput).
//  - reads: a subject's all-time total plus the across-subjects average (stats().average_per_subject) on a
//    store holding 1,000,000 events, against the same on a store holding 1,000. Goal <= 1.5 (time).
// The events are those of the seed: 1,000 users, one event a second, quantities with two places. Time
// follows the events (a ManualClock), so every run does the same work. bench/report.py prints the ratios.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/books.hpp>
#include <billing/storage/sqlite.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Books;
using billing::Decimal;
using billing::Timestamp;
using billing::UsageEvent;
using billing::bench::bind_text;
using billing::bench::fail;
using billing::bench::RawDb;
using billing::bench::release;
using billing::bench::report;
using billing::bench::TempDb;

constexpr std::int64_t k_batch = 1000;
constexpr int k_users = 1000;
const Timestamp k_start = Timestamp::parse("2026-11-01T00:00:00Z");

// Event `i`: user i * 7919 mod 1,000, at start + i seconds, quantity (i mod 997) / 100.
UsageEvent event_of(std::int64_t i) {
  return UsageEvent{.id = fmt::format("evt-{:012}", i),
                    .meter = "requests",
                    .subject = fmt::format("user-{:04}", (i * 7919) % k_users),
                    .quantity = Decimal::from_coefficient(i % 997, 2),
                    .at = k_start + std::chrono::seconds(i)};
}

std::vector<UsageEvent> batch_from(std::int64_t first) {
  std::vector<UsageEvent> batch;
  batch.reserve(k_batch);
  for (std::int64_t i = first; i < first + k_batch; ++i) batch.push_back(event_of(i));
  return batch;
}

struct Metered {
  std::shared_ptr<billing::ManualClock> clock = std::make_shared<billing::ManualClock>(k_start);
  std::unique_ptr<Books> books;
  std::int64_t next = 0;

  explicit Metered(const std::string& path)
      : books(std::make_unique<Books>(billing::open_sqlite(path, {.durability = billing::Durability::normal}), clock,
                                      std::make_shared<billing::SequentialIds>("gen-"))) {
    (void)books->usage().define_meter({.code = "requests", .aggregation = billing::Aggregation::sum});
  }

  // Records the next batch, with the clock at its last event. Returns how many counted.
  std::int64_t record_next(const std::vector<UsageEvent>& batch) {
    clock->set(*batch.back().at);
    std::int64_t ok = 0;
    for (const billing::RecordResult result : books->usage().record_batch(batch)) {
      ok += result == billing::RecordResult::ok ? 1 : 0;
    }
    next += k_batch;
    return ok;
  }

  void fill(std::int64_t events) {
    while (next < events) (void)record_next(batch_from(next));
  }
};

void sqlite_record_batch_1000(benchmark::State& state) {
  const TempDb file("usage-ours");
  Metered metered(file.path());
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<UsageEvent> batch = batch_from(metered.next);
    state.ResumeTiming();
    if (metered.record_next(batch) != k_batch) {
      state.SkipWithError("a batch did not count every event");
      break;
    }
  }
  report(state, k_batch, before);
}
BENCHMARK(sqlite_record_batch_1000)->UseRealTime()->MinTime(2.0);

// The same event rows, inserted bare: every column the adapter stores, no key, index, trigger or CHECK.
void baseline_sqlite_bare_insert_1000(benchmark::State& state) {
  const TempDb file("usage-bare");
  RawDb db(file.path(), "NORMAL");
  db.exec(
      "CREATE TABLE usage_events (meter TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL, id TEXT NOT NULL, "
      "quantity TEXT NOT NULL, properties TEXT NOT NULL, value TEXT NOT NULL, group_value TEXT, "
      "recorded_at INTEGER NOT NULL, cancelled_at INTEGER)");
  sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  sqlite3_stmt* insert = db.prepare(
      "INSERT INTO usage_events (meter, subject, at, id, quantity, properties, value, group_value, recorded_at, "
      "cancelled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, NULL)");
  std::int64_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    state.PauseTiming();
    const std::vector<UsageEvent> batch = batch_from(next);
    next += k_batch;
    state.ResumeTiming();
    db.run(begin);
    const std::int64_t recorded_at = batch.back().at->unix_micros();
    for (const UsageEvent& event : batch) {
      const std::string quantity = event.quantity.to_string();
      bind_text(insert, 1, event.meter);
      bind_text(insert, 2, event.subject);
      sqlite3_bind_int64(insert, 3, event.at->unix_micros());
      bind_text(insert, 4, event.id);
      bind_text(insert, 5, quantity);
      bind_text(insert, 6, "{}");
      bind_text(insert, 7, quantity);
      sqlite3_bind_int64(insert, 8, recorded_at);
      db.run(insert);
      release(insert);
    }
    db.run(commit);
  }
  report(state, k_batch, before);
}
BENCHMARK(baseline_sqlite_bare_insert_1000)->UseRealTime()->MinTime(2.0);

// ------------------------------------------------------------------------------------------ reads

// A store filled once per process (a million events take seconds to record), kept for every repetition.
struct Filled {
  TempDb file;
  Metered metered;
  Filled(const char* tag, std::int64_t events) : file(tag), metered(file.path()) { metered.fill(events); }
};

void read_after(benchmark::State& state, std::int64_t events, const char* tag) {
  static std::map<std::int64_t, std::unique_ptr<Filled>> filled;
  auto& slot = filled[events];
  if (!slot) slot = std::make_unique<Filled>(tag, events);
  Metered& metered = slot->metered;
  int user = 0;
  for (auto _ : state) {
    const Decimal total = metered.books->usage().total("requests", fmt::format("user-{:04}", user));
    const billing::UsageStats stats = metered.books->usage().stats("requests");
    benchmark::DoNotOptimize(total);
    benchmark::DoNotOptimize(stats.average_per_subject);
    user = (user + 373) % k_users;
  }
}

void sqlite_total_and_average_after_1k(benchmark::State& state) { read_after(state, 1'000, "usage-1k"); }
BENCHMARK(sqlite_total_and_average_after_1k)->UseRealTime()->MinTime(1.0);

void sqlite_total_and_average_after_1m(benchmark::State& state) { read_after(state, 1'000'000, "usage-1m"); }
BENCHMARK(sqlite_total_and_average_after_1m)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
