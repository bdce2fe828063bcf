// The storage half of processing a payment on SQLite, beside the same statements written with the sqlite3
// C API in the same run, on the same file layout (made by open_sqlite) and synchronous level. Per payment,
// both sides run two units of work, as Payments::process does around its gateway call:
//   1. load the payment, move it VALIDATED -> PROCESSING (attempt 1, the charge's start) and append the
//      history row, commit;
//   2. load it again, move it PROCESSING -> PROCESSED (the entry, the gateway's reference, the time) and
//      append the history row, commit.
// Ours goes through a Store's UnitOfWork and PaymentRepository::find and update (which check the row and
// the change, encode and decode its metadata, and compare every field that never changes in the UPDATE);
// the baseline prepares the same SELECT, UPDATE and INSERT once and binds them by hand, reading every column
// into owned storage as the adapter does. bench/report.py prints the ratio and its goal (>= 0.5).
//
// Both sides walk a pool of validated payments, placed (outside the timed part) through the repository.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <billing/payment.hpp>
#include <billing/storage/payment_repository.hpp>
#include <billing/storage/sqlite.hpp>
#include <billing/storage/store.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"

namespace {

using billing::Access;
using billing::Durability;
using billing::Payment;
using billing::PaymentChange;
using billing::PaymentId;
using billing::PaymentStatus;
using billing::Store;
using billing::UnitOfWork;
using billing::bench::RawDb;
using billing::bench::report;
using billing::bench::synchronous;
using billing::bench::TempDb;

constexpr std::size_t k_pool = 1024;  // payments per pool; each is processed once
const billing::Timestamp k_created = billing::Timestamp::parse("2026-11-22T00:00:00Z");
const billing::Timestamp k_now = billing::Timestamp::parse("2026-11-22T00:00:01Z");

/// One pool of payments: their ids, and the ids and references their processing will record, made before the
/// timed part so that neither side pays for formatting them.
struct Pool {
  struct Item {
    PaymentId id;
    billing::EntryId entry_id;
    std::string reference;
  };
  std::vector<Item> items;
  std::size_t next = 0;

  explicit Pool(std::size_t generation) {
    items.reserve(k_pool);
    for (std::size_t i = 0; i < k_pool; ++i) {
      const std::string id = fmt::format("pay-{:04}-{:06}", generation, i);
      items.push_back({PaymentId(id), billing::EntryId("entry-" + id), "ch_" + id});
    }
  }
  [[nodiscard]] bool exhausted() const noexcept { return next == items.size(); }
};

Payment validated_payment(const PaymentId& id) {
  return Payment{
      .id = id,
      .customer_id = "cus_42",
      .email = "ada@example.com",
      .amount = billing::Money::parse("19.99 USD"),
      .card = billing::CardDetails(billing::CardBrand::visa, "4242", 12, 2030),
      .fingerprint = std::string(64, 'a'),
      .gateway_token = "tok_visa_4242",
      .request_key = "req-" + id.str(),
      .debit_account = billing::AccountId("payments:clearing:USD"),
      .credit_account = billing::AccountId("payments:revenue:USD"),
      .description = "Invoice 7",
      .metadata = {{"order", "ord-7"}, {"channel", "web"}},
      .created_at = k_created,
      .updated_at = k_created,
  };
}

/// The pool in use, replaced by a fresh one (placed through the repository, untimed) when it is exhausted.
class Pools {
 public:
  explicit Pools(Store& store) : store_(store) { place(); }

  [[nodiscard]] const Pool::Item& next(benchmark::State& state) {
    if (pool_->exhausted()) {
      state.PauseTiming();
      pool_ = std::make_unique<Pool>(++generation_);
      place();
      state.ResumeTiming();
    }
    return pool_->items[pool_->next++];
  }

 private:
  void place() {
    UnitOfWork work(store_, Access::write);
    for (const Pool::Item& item : pool_->items) {
      if (!work->payments().insert(validated_payment(item.id))) throw std::runtime_error("a pool id was taken");
    }
    work.commit();
  }

  Store& store_;
  std::size_t generation_ = 0;
  std::unique_ptr<Pool> pool_ = std::make_unique<Pool>(generation_);
};

// ------------------------------------------------------------------------------------------ ours

/// One unit of work: loads the payment in `from`, lets `change` make the next row, stores it with its history.
template <class Change>
void move_payment(Store& store, const PaymentId& id, PaymentStatus from, PaymentStatus to, Change&& change) {
  UnitOfWork work(store, Access::write);
  std::optional<Payment> payment = work->payments().find(id);
  if (!payment || payment->status != from) throw std::runtime_error("the payment is not where it should be");
  payment->status = to;
  payment->version += 1;
  payment->updated_at = k_now;
  change(*payment);
  work->payments().update(*payment, PaymentChange{.payment_id = id,
                                                  .from = from,
                                                  .to = to,
                                                  .at = k_now,
                                                  .reason = "bench",
                                                  .version = payment->version,
                                                  .attempt = payment->attempts});
  work.commit();
}

void sqlite_payment_process(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("payments-{}", synchronous(durability)));
  const std::unique_ptr<Store> store = billing::open_sqlite(file.path(), {.durability = durability});
  Pools pools(*store);
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Pool::Item& item = pools.next(state);
    move_payment(*store, item.id, PaymentStatus::validated, PaymentStatus::processing, [](Payment& p) {
      p.attempts += 1;
      p.attempt_started_at = k_now;
    });
    move_payment(*store, item.id, PaymentStatus::processing, PaymentStatus::processed, [&item](Payment& p) {
      p.entry_id = item.entry_id;
      p.processed_at = k_now;
      p.gateway_reference = item.reference;
    });
  }
  report(state, 1, before);
}

void sqlite_payment_process_normal(benchmark::State& state) { sqlite_payment_process(state, Durability::normal); }
void sqlite_payment_process_full(benchmark::State& state) { sqlite_payment_process(state, Durability::full); }

// ------------------------------------------------------------------------------------------ the baseline

// The adapter's statements (src/storage/sqlite/payments.cpp), written out. Columns and parameters are
// numbered alike: ?1 is id, ?7 status, ?21 attempts, ?24 attempt_started_at, ?25 gateway_reference, ?27
// entry_id, ?28 processed_at, ?29 version, ?31 updated_at; ?32 is the status the change is from.
constexpr int k_columns = 31;
constexpr int k_status = 7;
constexpr int k_attempts = 21;
constexpr int k_attempt_started_at = 24;
constexpr int k_gateway_reference = 25;
constexpr int k_entry_id = 27;
constexpr int k_processed_at = 28;
constexpr int k_version = 29;
constexpr int k_updated_at = 31;
constexpr int k_from = 32;

constexpr const char* k_select =
    "SELECT id, customer_id, email, currency, currency_places, amount_minor, status, brand, last_four, "
    "expiry_month, expiry_year, bank_country, bank_last_four, fingerprint, gateway_token, request_key, "
    "debit_account, credit_account, description, metadata, attempts, max_attempts, next_attempt_at, "
    "attempt_started_at, gateway_reference, failure_reason, entry_id, processed_at, version, created_at, "
    "updated_at FROM payments WHERE id = ?1";
constexpr const char* k_update =
    "UPDATE payments SET status = ?7, attempts = ?21, next_attempt_at = ?23, attempt_started_at = ?24, "
    "gateway_reference = ?25, failure_reason = ?26, entry_id = ?27, processed_at = ?28, version = ?29, "
    "updated_at = ?31 WHERE id = ?1 AND version = ?29 - 1 AND status = ?32 AND customer_id IS ?2 AND email IS ?3 "
    "AND currency IS ?4 AND currency_places IS ?5 AND amount_minor IS ?6 AND brand IS ?8 AND last_four IS ?9 AND "
    "expiry_month IS ?10 AND expiry_year IS ?11 AND bank_country IS ?12 AND bank_last_four IS ?13 AND "
    "fingerprint IS ?14 AND gateway_token IS ?15 AND request_key IS ?16 AND debit_account IS ?17 AND "
    "credit_account IS ?18 AND description IS ?19 AND metadata IS ?20 AND max_attempts IS ?22 AND created_at IS "
    "?30";
constexpr const char* k_history =
    "INSERT INTO payment_history (payment_id, version, from_status, to_status, at, reason, attempt) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// A payment row as read: each column NULL, an integer or text (owned, as the adapter's Payment owns it).
struct Row {
  std::array<int, k_columns + 1> type{};  // by parameter number, from 1
  std::array<std::int64_t, k_columns + 1> integer{};
  std::array<std::string, k_columns + 1> text{};
};

class SameStatements {
 public:
  explicit SameStatements(RawDb& db)
      : db_(db),
        begin_(db.prepare("BEGIN IMMEDIATE")),
        select_(db.prepare(k_select)),
        update_(db.prepare(k_update)),
        history_(db.prepare(k_history)),
        commit_(db.prepare("COMMIT")) {}

  /// One unit of work, as move_payment(): `change` overrides the moving columns of the row read.
  template <class Change>
  void move(const std::string& id, PaymentStatus from, PaymentStatus to, Change&& change) {
    db_.run(begin_);
    billing::bench::bind_text(select_, 1, id);
    if (sqlite3_step(select_) != SQLITE_ROW || sqlite3_column_int64(select_, k_status - 1) != static_cast<int>(from)) {
      throw std::runtime_error("the payment is not where it should be");
    }
    for (int i = 1; i <= k_columns; ++i) {
      row_.type[i] = sqlite3_column_type(select_, i - 1);
      if (row_.type[i] == SQLITE_INTEGER) row_.integer[i] = sqlite3_column_int64(select_, i - 1);
      if (row_.type[i] == SQLITE_TEXT) row_.text[i].assign(reinterpret_cast<const char*>(sqlite3_column_text(select_, i - 1)));
    }
    billing::bench::release(select_);
    const std::int64_t version = row_.integer[k_version] + 1;
    set(k_status, static_cast<std::int64_t>(to));
    set(k_version, version);
    set(k_updated_at, k_now.unix_micros());
    change(*this);
    for (int i = 1; i <= k_columns; ++i) {
      if (row_.type[i] == SQLITE_INTEGER) {
        sqlite3_bind_int64(update_, i, row_.integer[i]);
      } else if (row_.type[i] == SQLITE_TEXT) {
        billing::bench::bind_text(update_, i, row_.text[i]);
      } else {
        sqlite3_bind_null(update_, i);
      }
    }
    sqlite3_bind_int64(update_, k_from, static_cast<std::int64_t>(from));
    db_.run(update_);
    billing::bench::release(update_);
    if (sqlite3_changes(db_.handle()) != 1) throw std::runtime_error("the update changed no row");
    billing::bench::bind_text(history_, 1, id);
    sqlite3_bind_int64(history_, 2, version);
    sqlite3_bind_int64(history_, 3, static_cast<std::int64_t>(from));
    sqlite3_bind_int64(history_, 4, static_cast<std::int64_t>(to));
    sqlite3_bind_int64(history_, 5, k_now.unix_micros());
    billing::bench::bind_text(history_, 6, "bench");
    sqlite3_bind_int64(history_, 7, row_.integer[k_attempts]);
    db_.run(history_);
    billing::bench::release(history_);
    db_.run(commit_);
  }

  void set(int column, std::int64_t value) {
    row_.type[column] = SQLITE_INTEGER;
    row_.integer[column] = value;
  }
  void set(int column, std::string_view value) {
    row_.type[column] = SQLITE_TEXT;
    row_.text[column].assign(value);
  }
  [[nodiscard]] std::int64_t integer(int column) const { return row_.integer[column]; }

 private:
  RawDb& db_;
  sqlite3_stmt* begin_;
  sqlite3_stmt* select_;
  sqlite3_stmt* update_;
  sqlite3_stmt* history_;
  sqlite3_stmt* commit_;
  Row row_;
};

void baseline_sqlite_payment_same_statements(benchmark::State& state, Durability durability) {
  const TempDb file(fmt::format("payments-same-{}", synchronous(durability)));
  const std::unique_ptr<Store> store = billing::open_sqlite(file.path(), {.durability = durability});
  RawDb db(file.path(), synchronous(durability));
  SameStatements statements(db);
  Pools pools(*store);
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Pool::Item& item = pools.next(state);
    const std::string& id = item.id.str();
    statements.move(id, PaymentStatus::validated, PaymentStatus::processing, [](SameStatements& s) {
      s.set(k_attempts, s.integer(k_attempts) + 1);
      s.set(k_attempt_started_at, k_now.unix_micros());
    });
    statements.move(id, PaymentStatus::processing, PaymentStatus::processed, [&item](SameStatements& s) {
      s.set(k_entry_id, item.entry_id.str());
      s.set(k_processed_at, k_now.unix_micros());
      s.set(k_gateway_reference, item.reference);
    });
  }
  report(state, 1, before);
}

void baseline_sqlite_payment_same_statements_normal(benchmark::State& state) {
  baseline_sqlite_payment_same_statements(state, Durability::normal);
}
void baseline_sqlite_payment_same_statements_full(benchmark::State& state) {
  baseline_sqlite_payment_same_statements(state, Durability::full);
}

}  // namespace

BENCHMARK(baseline_sqlite_payment_same_statements_normal)->UseRealTime();
BENCHMARK(sqlite_payment_process_normal)->UseRealTime();
// Each commit waits for fsync, whose latency on a shared VM drifts over minutes: many short repetitions,
// interleaved with --benchmark_enable_random_interleaving, let both medians sample the same disk.
BENCHMARK(baseline_sqlite_payment_same_statements_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);
BENCHMARK(sqlite_payment_process_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);

BENCHMARK_MAIN();
