// The billing run beside a baseline measured in the same run (issue 11): 200 monthly subscriptions on a flat fee,
// billed one month per iteration, each period in one write transaction on an SQLite file (WAL). Ours is
// BillingRun::run: the due read through the index of period ends, the invoice (stored once per period), its number
// from the gapless sequence, the ledger entry (hash-chained, with the balances), the advance under the
// subscription's version, and the payment job. The baseline is the same work written by hand with the SQLite C API,
// the way a host without the library would: BEGIN IMMEDIATE; the first due subscription by an index; INSERT the
// invoice (unique per subscription and period); its number as MAX + 1; INSERT an entry and its two postings and
// upsert the two balances; UPDATE the subscription where its version is unchanged; INSERT the job; COMMIT. Its
// calendar is the library's billing_date(), so that only storage is compared. Prepared statements on a connection
// set up as the adapter's (bench_support.hpp). bench/report.py prints the ratios; the goal is at FULL durability,
// the library's default.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/books.hpp>
#include <billing/calendar.hpp>
#include <billing/storage/sqlite.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Durability;
using billing::PlanInterval;
using billing::Timestamp;
using billing::bench::bind_text;
using billing::bench::fail;
using billing::bench::RawDb;
using billing::bench::release;
using billing::bench::report;
using billing::bench::synchronous;
using billing::bench::TempDb;

const Timestamp k_origin = Timestamp::parse("2026-01-01T00:00:00Z");
constexpr int k_subscriptions = 200;
constexpr std::int64_t k_fee_cents = 3000;

/// The end of the n-th monthly period of the cycle (n = 1: the first period's end).
Timestamp month_end(std::int64_t n) { return billing::billing_date(k_origin, PlanInterval::month, 1, n); }

// ------------------------------------------------------------------------------------------ ours

void sqlite_billing_run(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("billing-run-{}", synchronous(durability)));
  const auto clock = std::make_shared<billing::ManualClock>(k_origin);
  billing::Books books(billing::open_sqlite(file.path(), {.durability = durability}), clock,
                       std::make_shared<billing::SequentialIds>("gen-"));
  const billing::Currency usd("USD");
  if (!books.plans().create({.code = "basic", .currency = usd, .flat_fee = billing::Money::parse("30.00 USD")}).ok()) {
    state.SkipWithError("the plan could not be created");
    return;
  }
  for (int i = 0; i < k_subscriptions; ++i) {
    const billing::AccountId account(fmt::format("acct-{:04}", i));
    (void)books.accounts().create({.id = account, .currency = usd, .name = "Customer"});
    if (!books.subscriptions().create({.account_id = account, .plan = "basic", .start = k_origin}).ok()) {
      state.SkipWithError("a subscription could not be created");
      return;
    }
  }
  std::int64_t month = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Timestamp as_of = month_end(++month);
    clock->set(as_of);
    const billing::BillingReport billed = books.billing().run(as_of);
    if (billed.invoices_created != k_subscriptions) {
      state.SkipWithError("a run did not bill every subscription");
      break;
    }
  }
  report(state, k_subscriptions, before);
}

void sqlite_billing_run_full(benchmark::State& state) { sqlite_billing_run(state, Durability::full); }
void sqlite_billing_run_normal(benchmark::State& state) { sqlite_billing_run(state, Durability::normal); }

// ------------------------------------------------------------------------------------------ the baseline

constexpr const char* k_schema = R"(
CREATE TABLE subscriptions (id TEXT PRIMARY KEY, account TEXT NOT NULL, period_index INTEGER NOT NULL,
  period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, version INTEGER NOT NULL) STRICT;
CREATE INDEX subscriptions_due ON subscriptions (period_end, id);
CREATE TABLE invoices (id TEXT PRIMARY KEY, subscription TEXT NOT NULL, account TEXT NOT NULL,
  period_start INTEGER NOT NULL, period_end INTEGER NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL,
  number INTEGER UNIQUE, UNIQUE (subscription, period_start)) STRICT;
CREATE TABLE entries (id TEXT PRIMARY KEY, description TEXT NOT NULL, recorded_at INTEGER NOT NULL) STRICT;
CREATE TABLE postings (entry TEXT NOT NULL, account TEXT NOT NULL, side INTEGER NOT NULL, amount INTEGER NOT NULL)
  STRICT;
CREATE TABLE balances (account TEXT PRIMARY KEY, debits INTEGER NOT NULL, credits INTEGER NOT NULL) STRICT;
CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, dedup_key TEXT UNIQUE,
  due_at INTEGER NOT NULL) STRICT;
)";

struct Statements {
  sqlite3_stmt* begin;
  sqlite3_stmt* commit;
  sqlite3_stmt* due;
  sqlite3_stmt* invoice;
  sqlite3_stmt* last_number;
  sqlite3_stmt* number;
  sqlite3_stmt* entry;
  sqlite3_stmt* posting;
  sqlite3_stmt* balance;
  sqlite3_stmt* advance;
  sqlite3_stmt* job;

  explicit Statements(RawDb& db)
      : begin(db.prepare("BEGIN IMMEDIATE")),
        commit(db.prepare("COMMIT")),
        due(db.prepare("SELECT id, account, period_index, period_start, period_end, version FROM subscriptions "
                       "WHERE period_end <= ?1 ORDER BY period_end, id LIMIT 1")),
        invoice(db.prepare("INSERT INTO invoices (id, subscription, account, period_start, period_end, total, status) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'draft')")),
        last_number(db.prepare("SELECT COALESCE(MAX(number), 0) FROM invoices")),
        number(db.prepare("UPDATE invoices SET number = ?2, status = 'open' WHERE id = ?1")),
        entry(db.prepare("INSERT INTO entries (id, description, recorded_at) VALUES (?1, ?2, ?3)")),
        posting(db.prepare("INSERT INTO postings (entry, account, side, amount) VALUES (?1, ?2, ?3, ?4)")),
        balance(db.prepare("INSERT INTO balances (account, debits, credits) VALUES (?1, ?2, ?3) ON CONFLICT (account) "
                           "DO UPDATE SET debits = debits + excluded.debits, credits = credits + excluded.credits")),
        advance(db.prepare("UPDATE subscriptions SET period_index = ?2, period_start = ?3, period_end = ?4, "
                           "version = version + 1 WHERE id = ?1 AND version = ?5")),
        job(db.prepare("INSERT INTO jobs (id, kind, payload, dedup_key, due_at) VALUES (?1, 'invoice.payment', ?2, ?3, "
                       "?4)")) {}
};

/// Bills the first due period, by hand; false when none is due.
bool bill_one_by_hand(RawDb& db, const Statements& s, Timestamp as_of, std::int64_t& serial) {
  db.run(s.begin);
  sqlite3_bind_int64(s.due, 1, as_of.unix_micros());
  if (sqlite3_step(s.due) != SQLITE_ROW) {
    release(s.due);
    db.run(s.commit);
    return false;
  }
  const std::string subscription(reinterpret_cast<const char*>(sqlite3_column_text(s.due, 0)));
  const std::string account(reinterpret_cast<const char*>(sqlite3_column_text(s.due, 1)));
  const std::int64_t index = sqlite3_column_int64(s.due, 2);
  const std::int64_t start = sqlite3_column_int64(s.due, 3);
  const std::int64_t end = sqlite3_column_int64(s.due, 4);
  const std::int64_t version = sqlite3_column_int64(s.due, 5);
  release(s.due);

  const std::string invoice = fmt::format("inv-{}", ++serial);
  bind_text(s.invoice, 1, invoice);
  bind_text(s.invoice, 2, subscription);
  bind_text(s.invoice, 3, account);
  sqlite3_bind_int64(s.invoice, 4, start);
  sqlite3_bind_int64(s.invoice, 5, end);
  sqlite3_bind_int64(s.invoice, 6, k_fee_cents);
  db.run(s.invoice);
  release(s.invoice);
  if (sqlite3_step(s.last_number) != SQLITE_ROW) fail(db.handle(), "SELECT MAX(number)");
  const std::int64_t number = sqlite3_column_int64(s.last_number, 0) + 1;
  release(s.last_number);
  bind_text(s.number, 1, invoice);
  sqlite3_bind_int64(s.number, 2, number);
  db.run(s.number);
  release(s.number);

  const std::string entry = invoice + ":finalize";
  const std::string description = fmt::format("invoice {}", number);
  bind_text(s.entry, 1, entry);
  bind_text(s.entry, 2, description);
  sqlite3_bind_int64(s.entry, 3, as_of.unix_micros());
  db.run(s.entry);
  release(s.entry);
  for (const auto& [who, side] : {std::pair<std::string_view, int>{account, 0}, {"revenue", 1}}) {
    bind_text(s.posting, 1, entry);
    bind_text(s.posting, 2, who);
    sqlite3_bind_int64(s.posting, 3, side);
    sqlite3_bind_int64(s.posting, 4, k_fee_cents);
    db.run(s.posting);
    release(s.posting);
    bind_text(s.balance, 1, who);
    sqlite3_bind_int64(s.balance, 2, side == 0 ? k_fee_cents : 0);
    sqlite3_bind_int64(s.balance, 3, side == 1 ? k_fee_cents : 0);
    db.run(s.balance);
    release(s.balance);
  }

  bind_text(s.advance, 1, subscription);
  sqlite3_bind_int64(s.advance, 2, index + 1);
  sqlite3_bind_int64(s.advance, 3, end);
  sqlite3_bind_int64(s.advance, 4, month_end(index + 2).unix_micros());
  sqlite3_bind_int64(s.advance, 5, version);
  db.run(s.advance);
  release(s.advance);
  if (sqlite3_changes(db.handle()) != 1) fail(db.handle(), "the subscription changed under the run");

  const std::string payload = fmt::format(R"({{"invoice_id":"{}"}})", invoice);
  const std::string dedup = "invoice.payment:" + invoice;
  bind_text(s.job, 1, invoice);
  bind_text(s.job, 2, payload);
  bind_text(s.job, 3, dedup);
  sqlite3_bind_int64(s.job, 4, as_of.unix_micros());
  db.run(s.job);
  release(s.job);
  db.run(s.commit);
  return true;
}

void baseline_sqlite_billing_by_hand(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("billing-run-baseline-{}", synchronous(durability)));
  RawDb db(file.path(), synchronous(durability));
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec(k_schema);
  for (int i = 0; i < k_subscriptions; ++i) {
    db.exec(fmt::format("INSERT INTO subscriptions VALUES ('sub-{:04}', 'acct-{:04}', 0, {}, {}, 1)", i, i,
                        k_origin.unix_micros(), month_end(1).unix_micros()));
  }
  const Statements statements(db);
  std::int64_t month = 0;
  std::int64_t serial = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Timestamp as_of = month_end(++month);
    int billed = 0;
    while (bill_one_by_hand(db, statements, as_of, serial)) ++billed;
    if (billed != k_subscriptions) {
      state.SkipWithError("a run did not bill every subscription");
      break;
    }
  }
  report(state, k_subscriptions, before);
}

void baseline_sqlite_billing_by_hand_full(benchmark::State& state) {
  baseline_sqlite_billing_by_hand(state, Durability::full);
}
void baseline_sqlite_billing_by_hand_normal(benchmark::State& state) {
  baseline_sqlite_billing_by_hand(state, Durability::normal);
}

}  // namespace

BENCHMARK(sqlite_billing_run_full)->UseRealTime()->MinTime(1.0);
BENCHMARK(baseline_sqlite_billing_by_hand_full)->UseRealTime()->MinTime(1.0);
BENCHMARK(sqlite_billing_run_normal)->UseRealTime()->MinTime(1.0);
BENCHMARK(baseline_sqlite_billing_by_hand_normal)->UseRealTime()->MinTime(1.0);

BENCHMARK_MAIN();
