// The ledger's write paths beside baselines measured in the same run: a bare map-and-vector loop for the
// in-memory store, hand-written SQLite C loops over the same file for the SQLite store, and an even spread
// of accounts for the hot-account workload. Every row reports a rate (items/s, measured on the wall clock,
// since commits wait for the disk); bench/report.py divides each rate by its baseline's, and
// docs/benchmarks.md records the ratios.
//
// Every run posts the same transfers: accounts and amounts come from a fixed-seed splitmix64 stream, time
// from a ManualClock and entry ids from SequentialIds. Databases are temporary files under /tmp.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <billing/books.hpp>
#include <billing/storage/memory.hpp>
#include <billing/storage/sqlite.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"
#include "splitmix64.hpp"

namespace {

using billing::AccountId;
using billing::Balances;
using billing::Books;
using billing::Currency;
using billing::Durability;
using billing::EntryRequest;
using billing::Money;
using billing::PostResult;
using billing::Side;
using billing::TransferRequest;

constexpr int k_accounts = 1000;
constexpr std::size_t k_batch = 1000;       // transfers per post_batch, and per transaction of the C loops
constexpr std::int64_t k_legs = 2;          // postings per transfer
constexpr std::size_t k_pattern = 1 << 16;  // transfers in the pattern that every benchmark cycles through
constexpr std::int64_t k_max_amount_minor = 100'000;
const billing::Timestamp k_now = billing::Timestamp::parse("2026-11-22T00:00:00Z");

// ------------------------------------------------------------------------------------------ workload

using billing::bench::bind_text;
using billing::bench::fail;
using billing::bench::RawDb;
using billing::bench::release;
using billing::bench::report;
using billing::bench::SplitMix64;
using billing::bench::TempDb;

struct Move {
  int debit;
  int credit;
  std::int64_t amount_minor;
};

/// even: both sides uniform over every account. hot: every transfer debits account 0.
enum class Spread { even, hot };

std::vector<Move> make_moves(Spread spread) {
  SplitMix64 random(42);
  const auto pick = [&random](int bound) {
    return static_cast<int>(random.next() % static_cast<std::uint64_t>(bound));
  };
  std::vector<Move> out;
  out.reserve(k_pattern);
  for (std::size_t i = 0; i < k_pattern; ++i) {
    const int debit = spread == Spread::hot ? 0 : pick(k_accounts);
    const int credit = (debit + 1 + pick(k_accounts - 1)) % k_accounts;  // never the debit account
    out.push_back({debit, credit, 1 + static_cast<std::int64_t>(random.next() % k_max_amount_minor)});
  }
  return out;
}

const std::vector<Move>& moves(Spread spread) {
  static const std::vector<Move> even = make_moves(Spread::even);
  static const std::vector<Move> hot = make_moves(Spread::hot);
  return spread == Spread::even ? even : hot;
}

// "acct-0000" ... "acct-0999": zero-padded, so id order is index order.
const std::vector<std::string>& account_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int i = 0; i < k_accounts; ++i) out.push_back(fmt::format("acct-{:04}", i));
    return out;
  }();
  return names;
}

const std::vector<AccountId>& account_ids() {
  static const std::vector<AccountId> ids = [] {
    std::vector<AccountId> out;
    for (const std::string& name : account_names()) out.emplace_back(name);
    return out;
  }();
  return ids;
}

Money usd(std::int64_t minor) { return Money::from_minor(minor, Currency("USD")); }

// The caller's requests are built before the clock starts: only what the library does with them is timed.
const std::vector<TransferRequest>& transfer_requests() {
  static const std::vector<TransferRequest> requests = [] {
    std::vector<TransferRequest> out;
    for (const Move& move : moves(Spread::even)) {
      out.push_back(
          {.debit = account_ids()[move.debit], .credit = account_ids()[move.credit], .amount = usd(move.amount_minor)});
    }
    return out;
  }();
  return requests;
}

std::vector<std::vector<EntryRequest>> make_batches(Spread spread) {
  std::vector<std::vector<EntryRequest>> out(k_pattern / k_batch);
  for (std::size_t i = 0; i < out.size() * k_batch; ++i) {
    const Move& move = moves(spread)[i];
    out[i / k_batch].push_back({.postings = {{account_ids()[move.debit], Side::debit, usd(move.amount_minor)},
                                             {account_ids()[move.credit], Side::credit, usd(move.amount_minor)}}});
  }
  return out;
}

const std::vector<std::vector<EntryRequest>>& batch_requests(Spread spread) {
  static const auto even = make_batches(Spread::even);
  static const auto hot = make_batches(Spread::hot);
  return spread == Spread::even ? even : hot;
}

// ------------------------------------------------------------------------------------------ set-up

/// Books on `store` with a fixed clock, sequential entry ids ("e-000000000001", ...) and every account open.
std::unique_ptr<Books> open_books(std::unique_ptr<billing::Store> store) {
  auto books = std::make_unique<Books>(std::move(store), std::make_shared<billing::ManualClock>(k_now),
                                       std::make_shared<billing::SequentialIds>("e-"));
  const auto work = books->transaction();
  for (const AccountId& id : account_ids()) {
    const auto outcome = books->accounts().create({.id = id, .currency = Currency("USD"), .name = id.str()});
    if (outcome.result != billing::AccountResult::ok) throw std::runtime_error("could not open " + id.str());
  }
  work->commit();
  return books;
}

billing::SqliteOptions sqlite_options(Durability durability) { return {.durability = durability}; }

// ------------------------------------------------------------------------------------------ in memory

// What the ledger does at its simplest: two balances move, two postings are appended.
void baseline_map_update_vector_append(benchmark::State& state) {
  const std::vector<Move>& pattern = moves(Spread::even);
  const std::vector<std::string>& names = account_names();
  std::unordered_map<std::string, std::int64_t> balances;
  for (const std::string& name : names) balances.emplace(name, 0);
  struct Row {
    const std::string* account;
    std::int64_t amount_minor;
  };
  std::vector<Row> journal;
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Move& move = pattern[next++ % k_pattern];
    balances[names[move.debit]] += move.amount_minor;
    balances[names[move.credit]] -= move.amount_minor;
    journal.push_back({&names[move.debit], move.amount_minor});
    journal.push_back({&names[move.credit], -move.amount_minor});
    benchmark::DoNotOptimize(journal.data());
  }
  report(state, k_legs, before);
}
BENCHMARK(baseline_map_update_vector_append)->UseRealTime();

void memory_transfer(benchmark::State& state) {
  const auto books = open_books(billing::open_memory());
  const std::vector<TransferRequest>& requests = transfer_requests();
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const auto outcome = books->ledger().transfer(requests[next++ % k_pattern]);
    if (outcome.result != PostResult::ok) {
      state.SkipWithError("a transfer was rejected");
      break;
    }
  }
  report(state, k_legs, before);
}
BENCHMARK(memory_transfer)->UseRealTime();

void post_batches(benchmark::State& state, Books& books, Spread spread) {
  const auto& batches = batch_requests(spread);
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const auto outcomes = books.ledger().post_batch(batches[next++ % batches.size()]);
    if (outcomes.front().result != PostResult::ok) {
      state.SkipWithError("a batch was rejected");
      break;
    }
  }
  report(state, static_cast<std::int64_t>(k_batch) * k_legs, before);
}

void memory_post_batch_1000(benchmark::State& state) {
  post_batches(state, *open_books(billing::open_memory()), Spread::even);
}
BENCHMARK(memory_post_batch_1000)->UseRealTime();

void memory_post_batch_1000_hot(benchmark::State& state) {
  post_batches(state, *open_books(billing::open_memory()), Spread::hot);
}
BENCHMARK(memory_post_batch_1000_hot)->UseRealTime();

// ------------------------------------------------------------------------------------------ SQLite by hand

// The statements the SQLite adapter runs for one post_batch, copied from src/storage/sqlite/ledger.cpp and
// accounts.cpp (schema version 3).
constexpr std::string_view k_sql_begin_write = "BEGIN IMMEDIATE";
constexpr std::string_view k_sql_commit = "COMMIT";
constexpr std::string_view k_sql_head =
    "SELECT sequence, hash, recorded_at FROM journal ORDER BY sequence DESC LIMIT 1";
constexpr std::string_view k_sql_find_entry =
    "SELECT sequence, id, kind, description, metadata, effective_at, recorded_at, pending_id, expires_at, reverses, "
    "previous_hash, hash, postings FROM journal WHERE id = ?1";
constexpr std::string_view k_sql_find_account =
    "SELECT id, currency, currency_places, name, normal_side, status, flags, limit_minor, metadata, created_at, "
    "debits_posted, credits_posted, debits_pending, credits_pending FROM accounts WHERE id = ?1";
constexpr std::string_view k_sql_insert_entry =
    "INSERT INTO journal (sequence, id, kind, description, metadata, effective_at, recorded_at, pending_id, "
    "expires_at, reverses, previous_hash, hash, postings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
    "?13)";
constexpr std::string_view k_sql_account_currency = "SELECT currency FROM accounts WHERE id = ?1";
constexpr std::string_view k_sql_insert_posting =
    "INSERT INTO account_postings (account_id, sequence, leg, side, amount_minor, debits_posted, credits_posted, "
    "debits_pending, credits_pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view k_sql_set_merged_through = "UPDATE ledger_state SET merged_through = ?1";
constexpr std::uint64_t k_merge_entries = 4096;  // as src/storage/sqlite/ledger.cpp
constexpr std::string_view k_sql_set_balances =
    "UPDATE accounts SET debits_posted = ?2, credits_posted = ?3, debits_pending = ?4, credits_pending = ?5 "
    "WHERE id = ?1";

/// Lets open_sqlite create the schema at `path` and open the benchmark's accounts there, then closes it.
const std::string& with_schema_and_accounts(const std::string& path) {
  static_cast<void>(open_books(billing::open_sqlite(path, sqlite_options(Durability::normal))));
  return path;
}

/// The adapter's statements, run by hand on another connection to a file of the same schema.
class SameStatements {
 public:
  explicit SameStatements(const std::string& path)
      : db_(with_schema_and_accounts(path), "NORMAL"),
        begin_(db_.prepare(k_sql_begin_write)),
        commit_(db_.prepare(k_sql_commit)),
        head_(db_.prepare(k_sql_head)),
        find_entry_(db_.prepare(k_sql_find_entry)),
        find_account_(db_.prepare(k_sql_find_account)),
        insert_entry_(db_.prepare(k_sql_insert_entry)),
        insert_posting_(db_.prepare(k_sql_insert_posting)),
        set_balances_(db_.prepare(k_sql_set_balances)),
        account_currency_(db_.prepare(k_sql_account_currency)),
        set_merged_through_(db_.prepare(k_sql_set_merged_through)),
        balances_(k_accounts),
        loaded_(k_accounts) {}

  /// One post_batch of `moves`: read the head, look up each new id and each account once, then append
  /// every entry with its postings, save the touched accounts in id order, commit.
  void post(std::span<const Move> moves) {
    db_.run(begin_);
    release(begin_);
    const std::uint64_t head = read_head();
    std::fill(loaded_.begin(), loaded_.end(), false);
    after_.clear();
    for (std::size_t i = 0; i < moves.size(); ++i) {
      check_new(head + 1 + i);
      after_.push_back({apply(moves[i].debit, Side::debit, moves[i].amount_minor),
                        apply(moves[i].credit, Side::credit, moves[i].amount_minor)});
    }
    for (std::size_t i = 0; i < moves.size(); ++i) append(head + 1 + i, moves[i], after_[i]);
    for (int account = 0; account < k_accounts; ++account) {
      if (loaded_[account]) save(account);
    }
    db_.run(commit_);
    release(commit_);
  }

 private:
  std::uint64_t read_head() {
    std::uint64_t sequence = 0;
    const int rc = sqlite3_step(head_);
    if (rc == SQLITE_ROW) {
      sequence = static_cast<std::uint64_t>(sqlite3_column_int64(head_, 0));
      benchmark::DoNotOptimize(sqlite3_column_blob(head_, 1));
      benchmark::DoNotOptimize(sqlite3_column_int64(head_, 2));
    } else if (rc != SQLITE_DONE) {
      fail(db_.handle(), "read the head");
    }
    release(head_);
    return sequence;
  }

  std::string_view entry_id(std::uint64_t sequence) {
    const auto end = fmt::format_to_n(id_.data(), id_.size(), "e-{:012}", sequence).out;
    return {id_.data(), static_cast<std::size_t>(end - id_.data())};
  }

  void check_new(std::uint64_t sequence) {
    bind_text(find_entry_, 1, entry_id(sequence));
    if (sqlite3_step(find_entry_) != SQLITE_DONE) fail(db_.handle(), "an entry id is taken");
    release(find_entry_);
  }

  void load(int account) {
    bind_text(find_account_, 1, account_names()[account]);
    if (sqlite3_step(find_account_) != SQLITE_ROW) fail(db_.handle(), "find an account");
    for (const int column : {0, 1, 3, 8}) benchmark::DoNotOptimize(sqlite3_column_text(find_account_, column));
    for (const int column : {2, 4, 5, 6, 7, 9}) benchmark::DoNotOptimize(sqlite3_column_int64(find_account_, column));
    balances_[account] = {sqlite3_column_int64(find_account_, 10), sqlite3_column_int64(find_account_, 11),
                          sqlite3_column_int64(find_account_, 12), sqlite3_column_int64(find_account_, 13)};
    release(find_account_);
    // The adapter's append checks each account's currency once per unit of work.
    bind_text(account_currency_, 1, account_names()[account]);
    if (sqlite3_step(account_currency_) != SQLITE_ROW) fail(db_.handle(), "find an account's currency");
    release(account_currency_);
    loaded_[account] = true;
  }

  Balances apply(int account, Side side, std::int64_t amount_minor) {
    if (!loaded_[account]) load(account);
    Balances& totals = balances_[account];
    (side == Side::debit ? totals.debits_posted : totals.credits_posted) += amount_minor;
    return totals;
  }

  void append(std::uint64_t sequence, const Move& move, const std::array<Balances, 2>& after) {
    static constexpr std::array<std::uint8_t, 32> k_hash{};  // the C loop computes no hash chain
    const auto seq = static_cast<std::int64_t>(sequence);
    sqlite3_bind_int64(insert_entry_, 1, seq);
    bind_text(insert_entry_, 2, entry_id(sequence));
    sqlite3_bind_int64(insert_entry_, 3, 0);
    bind_text(insert_entry_, 4, "");
    bind_text(insert_entry_, 5, "{}");
    sqlite3_bind_int64(insert_entry_, 6, k_now.unix_micros());
    sqlite3_bind_int64(insert_entry_, 7, k_now.unix_micros());
    sqlite3_bind_blob64(insert_entry_, 11, k_hash.data(), k_hash.size(), SQLITE_STATIC);
    sqlite3_bind_blob64(insert_entry_, 12, k_hash.data(), k_hash.size(), SQLITE_STATIC);
    // The postings blob: the same size as the adapter's for two legs (3 + 2 * (1 + 40 + 4 + 10) bytes).
    static constexpr std::array<std::uint8_t, 113> k_postings{1, 2};
    sqlite3_bind_blob64(insert_entry_, 13, k_postings.data(), k_postings.size(), SQLITE_STATIC);
    db_.run(insert_entry_);
    release(insert_entry_);
    const std::array<int, 2> accounts{move.debit, move.credit};
    for (int leg = 0; leg < 2; ++leg) unmerged_.push_back({accounts[leg], seq, leg, move.amount_minor, after[leg]});
    if (sequence % k_merge_entries == 0) merge(seq);
  }

  // As the adapter's merge, except that the postings come from memory rather than the journal's blobs.
  void merge(std::int64_t head) {
    std::sort(unmerged_.begin(), unmerged_.end(), [](const Unmerged& a, const Unmerged& b) {
      return std::tie(a.account, a.sequence, a.leg) < std::tie(b.account, b.sequence, b.leg);
    });
    for (const Unmerged& row : unmerged_) {
      bind_text(insert_posting_, 1, account_names()[row.account]);
      sqlite3_bind_int64(insert_posting_, 2, row.sequence);
      sqlite3_bind_int64(insert_posting_, 3, row.leg);
      sqlite3_bind_int64(insert_posting_, 4, row.leg);  // debit 0, credit 1
      sqlite3_bind_int64(insert_posting_, 5, row.amount_minor);
      bind_balances(insert_posting_, 6, row.after);
      db_.run(insert_posting_);
    }
    release(insert_posting_);
    unmerged_.clear();
    sqlite3_bind_int64(set_merged_through_, 1, head);
    db_.run(set_merged_through_);
    release(set_merged_through_);
  }

  void save(int account) {
    bind_text(set_balances_, 1, account_names()[account]);
    bind_balances(set_balances_, 2, balances_[account]);
    db_.run(set_balances_);
    if (sqlite3_changes(db_.handle()) != 1) fail(db_.handle(), "save an account");
    release(set_balances_);
  }

  static void bind_balances(sqlite3_stmt* statement, int first, const Balances& totals) {
    sqlite3_bind_int64(statement, first, totals.debits_posted);
    sqlite3_bind_int64(statement, first + 1, totals.credits_posted);
    sqlite3_bind_int64(statement, first + 2, totals.debits_pending);
    sqlite3_bind_int64(statement, first + 3, totals.credits_pending);
  }

  RawDb db_;
  sqlite3_stmt* begin_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* head_;
  sqlite3_stmt* find_entry_;
  sqlite3_stmt* find_account_;
  sqlite3_stmt* insert_entry_;
  sqlite3_stmt* insert_posting_;
  sqlite3_stmt* set_balances_;
  sqlite3_stmt* account_currency_;
  sqlite3_stmt* set_merged_through_;
  struct Unmerged {
    int account;
    std::int64_t sequence;
    int leg;
    std::int64_t amount_minor;
    Balances after;
  };
  std::vector<Unmerged> unmerged_;
  std::vector<Balances> balances_;
  std::vector<bool> loaded_;  // this batch; accounts are read once per transaction, as the Planner does
  std::vector<std::array<Balances, 2>> after_;
  std::array<char, 32> id_{};
};

void baseline_sqlite_same_statements_1000(benchmark::State& state) {
  const TempDb file("same-statements");
  SameStatements db(file.path());
  const std::vector<Move>& pattern = moves(Spread::even);
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    db.post(std::span(pattern).subspan(next, k_batch));
    next = (next + k_batch) % (k_pattern / k_batch * k_batch);
  }
  report(state, static_cast<std::int64_t>(k_batch) * k_legs, before);
}
BENCHMARK(baseline_sqlite_same_statements_1000)->UseRealTime();

// The least a journal of postings can do: two plain rows per transfer, one transaction per 1,000 transfers.
void baseline_sqlite_bare_postings_1000(benchmark::State& state) {
  const TempDb file("bare-postings");
  RawDb db(file.path(), "NORMAL");
  db.exec("CREATE TABLE postings (entry INTEGER NOT NULL, account_id TEXT NOT NULL, amount_minor INTEGER NOT NULL)");
  sqlite3_stmt* begin = db.prepare("BEGIN");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  sqlite3_stmt* insert = db.prepare("INSERT INTO postings (entry, account_id, amount_minor) VALUES (?1, ?2, ?3)");
  const std::vector<Move>& pattern = moves(Spread::even);
  std::int64_t entry = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    db.run(begin);
    for (std::size_t i = 0; i < k_batch; ++i, ++entry) {
      const Move& move = pattern[static_cast<std::size_t>(entry) % k_pattern];
      sqlite3_bind_int64(insert, 1, entry);
      bind_text(insert, 2, account_names()[move.debit]);
      sqlite3_bind_int64(insert, 3, move.amount_minor);
      db.run(insert);
      bind_text(insert, 2, account_names()[move.credit]);
      sqlite3_bind_int64(insert, 3, -move.amount_minor);
      db.run(insert);
    }
    db.run(commit);
  }
  report(state, static_cast<std::int64_t>(k_batch) * k_legs, before);
}
BENCHMARK(baseline_sqlite_bare_postings_1000)->UseRealTime();

// One row, one commit, each commit on the disk before the next begins.
void baseline_sqlite_row_per_commit_full(benchmark::State& state) {
  const TempDb file("row-per-commit");
  RawDb db(file.path(), "FULL");
  db.exec("CREATE TABLE postings (entry INTEGER NOT NULL, account_id TEXT NOT NULL, amount_minor INTEGER NOT NULL)");
  sqlite3_stmt* insert = db.prepare("INSERT INTO postings (entry, account_id, amount_minor) VALUES (?1, ?2, ?3)");
  const std::vector<Move>& pattern = moves(Spread::even);
  std::int64_t entry = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const Move& move = pattern[static_cast<std::size_t>(entry) % k_pattern];
    sqlite3_bind_int64(insert, 1, entry++);
    bind_text(insert, 2, account_names()[move.debit]);
    sqlite3_bind_int64(insert, 3, move.amount_minor);
    db.run(insert);
  }
  report(state, 1, before);
}
// Each commit waits for fsync, whose latency on a shared VM drifts by 10x over minutes: many short
// repetitions, interleaved with sqlite_transfer_full's by --benchmark_enable_random_interleaving, let
// both medians sample the same disk.
BENCHMARK(baseline_sqlite_row_per_commit_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);

// ------------------------------------------------------------------------------------------ SQLite, ours

void sqlite_post_batch_1000(benchmark::State& state) {
  const TempDb file("ours-even");
  post_batches(state, *open_books(billing::open_sqlite(file.path(), sqlite_options(Durability::normal))), Spread::even);
}
BENCHMARK(sqlite_post_batch_1000)->UseRealTime();

void sqlite_post_batch_1000_hot(benchmark::State& state) {
  const TempDb file("ours-hot");
  post_batches(state, *open_books(billing::open_sqlite(file.path(), sqlite_options(Durability::normal))), Spread::hot);
}
BENCHMARK(sqlite_post_batch_1000_hot)->UseRealTime();

// One Ledger::transfer per commit (each its own unit of work), synchronous=FULL. Items are commits.
void sqlite_transfer_full(benchmark::State& state) {
  const TempDb file("ours-full");
  const auto books = open_books(billing::open_sqlite(file.path(), sqlite_options(Durability::full)));
  const std::vector<TransferRequest>& requests = transfer_requests();
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  for (auto _ : state) {
    const auto outcome = books->ledger().transfer(requests[next++ % k_pattern]);
    if (outcome.result != PostResult::ok) {
      state.SkipWithError("a transfer was rejected");
      break;
    }
  }
  report(state, 1, before);
}
BENCHMARK(sqlite_transfer_full)->UseRealTime()->MinTime(0.1)->Repetitions(25);  // as its baseline

}  // namespace

BENCHMARK_MAIN();
