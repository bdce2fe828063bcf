// The PostgreSQL adapter beside baselines measured in the same run, on a throwaway local server (initdb and
// pg_ctl in a temporary directory, a Unix socket only: tests/support/postgres_server.cpp), every commit at
// Durability::full (synchronous_commit = on, the default). bench/report.py prints the ratios and the goals;
// docs/benchmarks.md records them. Items are transfers (or jobs), rates per second of wall-clock time.
//
//  1. post_batch of 1,000 transfers beside a bare libpq loop that writes the same rows (each entry's journal
//     row, its two posting rows, and one balance update per account the batch touches) with prepared
//     statements, one round trip each, in one transaction, into plain tables of the same columns (their
//     primary keys, nothing else: no domain, CHECK, trigger, foreign key or other index). Goal >= 0.5x.
//  2. 4 processes posting at once (fork(); each its own Books and open_postgres on one schema, single
//     transfers between accounts of its own, each its own unit of work) beside 1 process doing the same:
//     the ratio of their total rates. Goal >= 1.5x. Batches of 10 alike, for information.
//  3. The job queue: 4 worker processes claiming and completing N jobs enqueued beforehand (claims take
//     FOR UPDATE SKIP LOCKED) beside 1 worker draining the same N. Goal >= 2x.
//
// The multi-process rows time themselves (UseManualTime): the children connect and open their books first,
// then the parent starts the clock, releases them together and stops it when the last one reports. Their
// cpu_time is the parent's only, so report.py prints no CPU ratio for them; instead they count the children's
// CPU per item (client_cpu_us_per_item) and the machine's busy cores while they ran, whoever used them
// (busy_cores, from /proc/stat; the in-process rows count it too). Children end with _exit(), so that none of
// them runs the parent's destructors (the shared server's among them).
//
// Every run posts the same transfers (fixed-seed splitmix64 streams, a ManualClock, sequential ids).
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <billing/books.hpp>
#include <billing/storage/postgres.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "bench_support.hpp"
#include "splitmix64.hpp"
#include "support/postgres_server.hpp"

namespace {

using billing::AccountId;
using billing::Books;
using billing::Currency;
using billing::Durability;
using billing::EntryRequest;
using billing::Money;
using billing::PostResult;
using billing::Side;
using billing::bench::report;
using billing::bench::SplitMix64;
using billing::test::PostgresServer;

constexpr int k_accounts = 1000;            // accounts of the post_batch rows
constexpr std::size_t k_batch = 1000;       // transfers per post_batch, and per transaction of the libpq loop
constexpr std::size_t k_pattern = 1 << 16;  // transfers in the pattern the post_batch rows cycle through
constexpr std::int64_t k_max_amount_minor = 100'000;
constexpr int k_processes = 4;             // the concurrent rows' processes
constexpr int k_accounts_per_process = 8;  // each posts between accounts of its own
constexpr std::size_t k_small_batch = 10;
constexpr auto k_run_for = std::chrono::milliseconds(1000);  // how long each process of a ledger row posts
constexpr std::int64_t k_jobs = 1200;                        // jobs drained per iteration of a job row
const billing::Timestamp k_now = billing::Timestamp::parse("2026-12-02T00:00:00Z");
constexpr std::string_view k_job_kind = "bench.work";
constexpr std::string_view k_job_payload = R"({"invoice_id":"inv-000017","attempt":1})";

PostgresServer& server() { return PostgresServer::shared(); }

billing::PostgresOptions options(std::string schema) {
  return {.durability = Durability::full, .schema = std::move(schema)};
}

std::unique_ptr<Books> open_books(const std::string& schema, std::string id_prefix) {
  return std::make_unique<Books>(billing::open_postgres(server().conninfo(), options(schema)),
                                 std::make_shared<billing::ManualClock>(k_now),
                                 std::make_shared<billing::SequentialIds>(std::move(id_prefix)));
}

Money usd(std::int64_t minor) { return Money::from_minor(minor, Currency("USD")); }

void open_accounts(Books& books, const std::vector<AccountId>& ids) {
  const auto work = books.transaction();
  for (const AccountId& id : ids) {
    const auto outcome = books.accounts().create({.id = id, .currency = Currency("USD"), .name = id.str()});
    if (outcome.result != billing::AccountResult::ok) throw std::runtime_error("could not open " + id.str());
  }
  work->commit();
}

// ------------------------------------------------------------------------------------------ workload

struct Move {
  int debit;
  int credit;
  std::int64_t amount_minor;
};

/// `count` transfers between distinct accounts of [0, accounts), from the stream of `seed`.
std::vector<Move> make_moves(std::uint64_t seed, int accounts, std::size_t count) {
  SplitMix64 random(seed);
  const auto pick = [&random](int bound) {
    return static_cast<int>(random.next() % static_cast<std::uint64_t>(bound));
  };
  std::vector<Move> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int debit = pick(accounts);
    const int credit = (debit + 1 + pick(accounts - 1)) % accounts;  // never the debit account
    out.push_back({debit, credit, 1 + static_cast<std::int64_t>(random.next() % k_max_amount_minor)});
  }
  return out;
}

const std::vector<Move>& moves() {
  static const std::vector<Move> pattern = make_moves(42, k_accounts, k_pattern);
  return pattern;
}

// "acct-0000" ... "acct-0999", as bench_ledger's.
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

EntryRequest transfer_entry(const AccountId& debit, const AccountId& credit, std::int64_t amount_minor) {
  return {.postings = {{debit, Side::debit, usd(amount_minor)}, {credit, Side::credit, usd(amount_minor)}}};
}

// The caller's requests are built before the clock starts: only what the library does with them is timed.
const std::vector<std::vector<EntryRequest>>& batches() {
  static const auto out = [] {
    std::vector<std::vector<EntryRequest>> made(k_pattern / k_batch);
    for (std::size_t i = 0; i < made.size() * k_batch; ++i) {
      const Move& move = moves()[i];
      made[i / k_batch].push_back(
          transfer_entry(account_ids()[move.debit], account_ids()[move.credit], move.amount_minor));
    }
    return made;
  }();
  return out;
}

// The accounts of process `process` in the concurrent rows: "p0-00" ... "p3-07".
std::vector<AccountId> process_accounts(int process) {
  std::vector<AccountId> out;
  for (int i = 0; i < k_accounts_per_process; ++i) out.emplace_back(fmt::format("p{}-{:02}", process, i));
  return out;
}

// ------------------------------------------------------------------------------------------ child processes

/// What a child sends its parent: once when it is ready (or could not get ready), once when its work is done.
/// Smaller than PIPE_BUF, so that each write() is atomic and the children's records never interleave.
struct Record {
  std::int64_t items = 0;
  double cpu_seconds = 0;  // the child's own CPU time in its work
  std::int32_t ok = 0;
  std::array<char, 500> error{};
};
static_assert(sizeof(Record) < PIPE_BUF);

void send(int fd, std::int64_t items, bool ok, std::string_view error, double cpu_seconds = 0) noexcept {
  Record record;
  record.items = items;
  record.cpu_seconds = cpu_seconds;
  record.ok = ok ? 1 : 0;
  std::memcpy(record.error.data(), error.data(), std::min(error.size(), record.error.size() - 1));
  const char* at = reinterpret_cast<const char*>(&record);
  for (std::size_t left = sizeof record; left > 0;) {
    const ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += n;
    left -= static_cast<std::size_t>(n);
  }
}

/// One record, or nullopt when every child has closed the pipe (one died without a word).
std::optional<Record> receive(int fd) {
  Record record;
  char* at = reinterpret_cast<char*>(&record);
  for (std::size_t left = sizeof record; left > 0;) {
    const ssize_t n = ::read(fd, at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    at += n;
    left -= static_cast<std::size_t>(n);
  }
  return record;
}

/// A child's work: made by its set-up (connect, open the books), run once the parent releases every child;
/// returns how many items it did.
using Work = std::function<std::int64_t()>;
using Setup = std::function<Work(int child)>;

struct Outcome {
  double seconds = 0;  // from the release of the children to the last one's report
  std::int64_t items = 0;
  double client_cpu_seconds = 0;  // the children's, in their work
  double busy_cores = 0;          // the machine's cores in use meanwhile, by any process (the server's too)
  std::string error;              // empty when every child did its work
};

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// The machine's busy and total CPU ticks so far, from the first line of /proc/stat (busy: all but idle and
/// iowait); zeros where there is no /proc.
std::array<double, 2> machine_ticks() {
  std::FILE* stat = std::fopen("/proc/stat", "r");
  if (stat == nullptr) return {0, 0};
  std::array<unsigned long long, 8> t{};
  const int read = std::fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &t[0], &t[1], &t[2], &t[3], &t[4],
                               &t[5], &t[6], &t[7]);
  std::fclose(stat);
  if (read != 8) return {0, 0};
  double total = 0;
  for (const unsigned long long ticks : t) total += static_cast<double>(ticks);
  return {total - static_cast<double>(t[3] + t[4]), total};
}

/// How many cores were busy on average between two machine_ticks().
double busy_cores(const std::array<double, 2>& before, const std::array<double, 2>& after) {
  const double total = after[1] - before[1];
  if (total <= 0) return 0;
  return (after[0] - before[0]) / total * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
}

/// Forks `children` processes, each running `setup(i)` and then, once all are ready, its work.
Outcome run_children(int children, const Setup& setup) {
  std::array<int, 2> reports{};  // children -> parent
  std::array<int, 2> go{};       // parent -> children: one byte each, to start
  if (::pipe(reports.data()) != 0 || ::pipe(go.data()) != 0) throw std::runtime_error("pipe failed");
  std::fflush(nullptr);  // so that no child writes out the parent's buffered output again
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(reports[0]);
      ::close(go[1]);
      int status = 0;
      try {
        const Work work = setup(i);
        send(reports[1], 0, true, "");
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) ::_exit(2);  // the parent gave up
        const double cpu_before = process_cpu_seconds();
        const std::int64_t items = work();
        send(reports[1], items, true, "", process_cpu_seconds() - cpu_before);
      } catch (const std::exception& e) {
        send(reports[1], 0, false, fmt::format("process {}: {}", i, e.what()));
        status = 1;
      }
      ::_exit(status);
    }
    pids.push_back(pid);
  }
  ::close(reports[1]);
  ::close(go[0]);
  Outcome outcome;
  for (int i = 0; i < children && outcome.error.empty(); ++i) {
    const std::optional<Record> ready = receive(reports[0]);
    if (!ready) {
      outcome.error = "a child process died while it set up";
    } else if (ready->ok == 0) {
      outcome.error = ready->error.data();
    }
  }
  if (outcome.error.empty()) {
    const std::array<double, 2> ticks_before = machine_ticks();
    const auto start = std::chrono::steady_clock::now();
    const std::string bytes(static_cast<std::size_t>(children), 'g');
    if (::write(go[1], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      outcome.error = "could not release the children";
    }
    for (int i = 0; i < children && outcome.error.empty(); ++i) {
      const std::optional<Record> done = receive(reports[0]);
      if (!done) {
        outcome.error = "a child process died while it worked";
      } else if (done->ok == 0) {
        outcome.error = done->error.data();
      } else {
        outcome.items += done->items;
        outcome.client_cpu_seconds += done->cpu_seconds;
      }
    }
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::array<double, 2> ticks_after = machine_ticks();
    outcome.busy_cores = busy_cores(ticks_before, ticks_after);
  }
  ::close(go[1]);  // children still waiting to start read EOF and leave
  ::close(reports[0]);
  for (const pid_t pid : pids) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (outcome.error.empty() && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
      outcome.error = fmt::format("child {} ended with status {}", pid, status);
    }
  }
  return outcome;
}

/// Runs one benchmark row of `children` processes: one run_children per iteration, timed by hand. When
/// `expected` is given, each iteration must do exactly that many items.
void timed_children(benchmark::State& state, int children, const std::function<Setup()>& setup_for_iteration,
                    std::optional<std::int64_t> expected = std::nullopt) {
  std::int64_t items = 0;
  double client_cpu = 0;
  double busy_core_seconds = 0;
  double seconds = 0;
  for (auto _ : state) {
    const Outcome outcome = run_children(children, setup_for_iteration());
    if (!outcome.error.empty()) {
      state.SkipWithError(outcome.error.c_str());
      break;
    }
    if (expected && outcome.items != *expected) {
      state.SkipWithError(fmt::format("did {} items of {}", outcome.items, *expected).c_str());
      break;
    }
    state.SetIterationTime(outcome.seconds);
    items += outcome.items;
    client_cpu += outcome.client_cpu_seconds;
    busy_core_seconds += outcome.busy_cores * outcome.seconds;
    seconds += outcome.seconds;
  }
  state.SetItemsProcessed(items);
  state.counters["processes"] = children;
  if (items > 0 && seconds > 0) {
    // Where the time went: the clients' CPU per item, and how many of the machine's cores were busy.
    state.counters["client_cpu_us_per_item"] = client_cpu / static_cast<double>(items) * 1e6;
    state.counters["busy_cores"] = busy_core_seconds / seconds;
  }
}

int g_round = 0;  // a new id prefix per round of children, so that no entry id is used twice in a schema

/// Runs a row's body, turning an exception (the server or the adapter failed) into the row's error.
void guarded(benchmark::State& state, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ------------------------------------------------------------------------------------------ 1. post_batch, ours

void post_batch_rows(benchmark::State& state) {
  const auto books = open_books(server().unique_schema(), "e-");
  open_accounts(*books, account_ids());
  const auto& pattern = batches();
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  const std::array<double, 2> ticks = machine_ticks();
  for (auto _ : state) {
    const auto outcomes = books->ledger().post_batch(pattern[next++ % pattern.size()]);
    if (outcomes.front().result != PostResult::ok) {
      state.SkipWithError("a batch was rejected");
      break;
    }
  }
  state.counters["busy_cores"] = busy_cores(ticks, machine_ticks());
  report(state, static_cast<std::int64_t>(k_batch), before);
}

void postgres_post_batch_1000(benchmark::State& state) {
  guarded(state, [&] { post_batch_rows(state); });
}
BENCHMARK(postgres_post_batch_1000)->UseRealTime()->MinTime(1.0);

// ------------------------------------------------------------------------------------------ 1. the libpq loop

/// A bare libpq connection to the same server, set as the adapter sets its own (synchronous_commit on).
class RawPg {
 public:
  explicit RawPg(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("connect: " + why);
    }
  }
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  /// Runs a script with the simple protocol.
  void exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    check(result, sql);
  }

  void prepare(const char* name, const std::string& sql, int parameters) {
    check(PQprepare(conn_, name, sql.c_str(), parameters, nullptr), sql);
  }

  /// One round trip: runs prepared statement `name` with `values` (text, or binary where `formats` says 1).
  void run(const char* name, std::span<const char* const> values, std::span<const int> lengths,
           std::span<const int> formats) {
    check(
        PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(), lengths.data(), formats.data(), 0),
        name);
  }

 private:
  void check(PGresult* result, std::string_view what) {
    const ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(what);
  }
  [[noreturn]] void fail(std::string_view what) {
    throw std::runtime_error(fmt::format("{}: {}", what, PQerrorMessage(conn_)));
  }

  PGconn* conn_;
};

// The tables the adapter's ledger writes (src/storage/postgres/migrations/v1_accounts_and_ledger.inc), with
// the same columns and primary keys (postings keyed by account, as the adapter's), and nothing else: no
// domain or CHECK, trigger, foreign key, unique or other index, generated column.
constexpr std::string_view k_plain_tables = R"sql(
CREATE TABLE accounts (
  id text COLLATE "C" PRIMARY KEY, currency text NOT NULL, currency_places bigint NOT NULL, name text NOT NULL,
  normal_side bigint NOT NULL, status bigint NOT NULL, flags bigint NOT NULL, limit_minor bigint,
  metadata text NOT NULL, created_at bigint NOT NULL, debits_posted bigint NOT NULL,
  credits_posted bigint NOT NULL, debits_pending bigint NOT NULL, credits_pending bigint NOT NULL);
CREATE TABLE journal (
  sequence bigint PRIMARY KEY, id text COLLATE "C" NOT NULL, kind bigint NOT NULL, description text NOT NULL,
  metadata text NOT NULL, effective_at bigint NOT NULL, recorded_at bigint NOT NULL, pending_id text COLLATE "C",
  expires_at bigint, reverses text COLLATE "C", previous_hash bytea NOT NULL, hash bytea NOT NULL);
CREATE TABLE postings (
  sequence bigint NOT NULL, leg bigint NOT NULL, account_id text COLLATE "C" NOT NULL, side bigint NOT NULL,
  amount_minor bigint NOT NULL, currency text NOT NULL, debits_posted bigint NOT NULL,
  credits_posted bigint NOT NULL, debits_pending bigint NOT NULL, credits_pending bigint NOT NULL,
  PRIMARY KEY (account_id, sequence, leg));
)sql";

// One row a statement, as a host without the library would write them.
constexpr std::string_view k_insert_entry =
    "INSERT INTO journal (sequence, id, kind, description, metadata, effective_at, recorded_at, previous_hash, "
    "hash) VALUES ($1::bigint, $2::text, 0, '', '{}', $3::bigint, $3::bigint, $4::bytea, $4::bytea)";
constexpr std::string_view k_insert_posting =
    "INSERT INTO postings (sequence, leg, account_id, side, amount_minor, currency, debits_posted, credits_posted, "
    "debits_pending, credits_pending) VALUES ($1::bigint, $2::bigint, $3::text, $2::bigint, $4::bigint, 'USD', "
    "$5::bigint, $6::bigint, 0, 0)";
// As the adapter's Accounts::set_balances, once per account a batch touches.
constexpr std::string_view k_set_balances =
    "UPDATE accounts SET debits_posted = $2::bigint, credits_posted = $3::bigint, debits_pending = 0, "
    "credits_pending = 0 WHERE id = $1::text";

/// Decimal text of integers, kept in place for the parameters that point at it.
class Integers {
 public:
  const char* operator()(std::size_t slot, std::int64_t value) {
    auto& text = slots_.at(slot);
    *fmt::format_to_n(text.data(), text.size() - 1, "{}", value).out = '\0';
    return text.data();
  }

 private:
  std::array<std::array<char, 24>, 8> slots_{};
};

class PlainLoop {
 public:
  PlainLoop() : db_(server().conninfo()), debits_(k_accounts), credits_(k_accounts), touched_(k_accounts) {
    const std::string schema = server().unique_schema();
    db_.exec(fmt::format("SET synchronous_commit TO on; CREATE SCHEMA {0}; SET search_path TO {0}", schema));
    db_.exec(std::string(k_plain_tables));
    std::string accounts = "INSERT INTO accounts VALUES ";
    for (int i = 0; i < k_accounts; ++i) {
      accounts += fmt::format("{}('{}', 'USD', 2, '{}', 0, 1, 0, NULL, '{{}}', {}, 0, 0, 0, 0)", i == 0 ? "" : ", ",
                              account_names()[i], account_names()[i], k_now.unix_micros());
    }
    db_.exec(accounts);
    db_.prepare("entry", std::string(k_insert_entry), 4);
    db_.prepare("posting", std::string(k_insert_posting), 6);
    db_.prepare("balances", std::string(k_set_balances), 3);
  }

  void post(std::span<const Move> batch) {
    static constexpr std::array<char, 32> k_hash{};  // the loop computes no hash chain
    db_.exec("BEGIN");
    std::fill(touched_.begin(), touched_.end(), false);
    for (const Move& move : batch) {
      const std::int64_t sequence = ++sequence_;
      const auto end = fmt::format_to_n(id_.data(), id_.size() - 1, "e-{:012}", sequence).out;
      *end = '\0';
      const std::array<const char*, 4> entry{text_(0, sequence), id_.data(), text_(1, k_now.unix_micros()),
                                             k_hash.data()};
      db_.run("entry", entry, k_entry_lengths, k_entry_formats);
      for (int leg = 0; leg < 2; ++leg) {
        const int account = leg == 0 ? move.debit : move.credit;
        (leg == 0 ? debits_ : credits_)[account] += move.amount_minor;
        touched_[account] = true;
        const std::array<const char*, 6> posting{text_(0, sequence),
                                                 text_(1, leg),
                                                 account_names()[account].c_str(),
                                                 text_(2, move.amount_minor),
                                                 text_(3, debits_[account]),
                                                 text_(4, credits_[account])};
        db_.run("posting", posting, k_text_lengths, k_text_formats);
      }
    }
    for (int account = 0; account < k_accounts; ++account) {
      if (!touched_[account]) continue;
      const std::array<const char*, 3> balances{account_names()[account].c_str(), text_(0, debits_[account]),
                                                text_(1, credits_[account])};
      db_.run("balances", balances, k_text_lengths, k_text_formats);
    }
    db_.exec("COMMIT");
  }

 private:
  static constexpr std::array<int, 6> k_text_lengths{};
  static constexpr std::array<int, 6> k_text_formats{};
  static constexpr std::array<int, 4> k_entry_lengths{0, 0, 0, 32};
  static constexpr std::array<int, 4> k_entry_formats{0, 0, 0, 1};  // the hash as bytes

  RawPg db_;
  Integers text_;
  std::array<char, 32> id_{};
  std::int64_t sequence_ = 0;
  std::vector<std::int64_t> debits_;
  std::vector<std::int64_t> credits_;
  std::vector<bool> touched_;
};

void plain_rows(benchmark::State& state) {
  PlainLoop loop;
  const std::vector<Move>& pattern = moves();
  std::size_t next = 0;
  const std::size_t before = billing::test::allocations_on_this_thread();
  const std::array<double, 2> ticks = machine_ticks();
  for (auto _ : state) {
    loop.post(std::span(pattern).subspan(next, k_batch));
    next = (next + k_batch) % (k_pattern / k_batch * k_batch);
  }
  state.counters["busy_cores"] = busy_cores(ticks, machine_ticks());
  report(state, static_cast<std::int64_t>(k_batch), before);
}

void baseline_libpq_same_rows_1000(benchmark::State& state) {
  guarded(state, [&] { plain_rows(state); });
}
BENCHMARK(baseline_libpq_same_rows_1000)->UseRealTime()->MinTime(1.0);

// ------------------------------------------------------------------------------------------ 2. processes posting

/// Children that each post, for k_run_for, transfers between their own accounts, `per_unit` per unit of
/// work (1: Ledger::transfer; more: post_batch).
std::function<Setup()> posting_rounds(const std::string& schema, std::size_t per_unit) {
  return [schema, per_unit] {
    const int round = ++g_round;
    return Setup([schema, per_unit, round](int child) -> Work {
      auto books = std::shared_ptr<Books>(open_books(schema, fmt::format("p{}r{}-", child, round)));
      const std::vector<AccountId> accounts = process_accounts(child);
      std::vector<std::vector<EntryRequest>> units;
      const std::vector<Move> plan =
          make_moves(1000 + static_cast<std::uint64_t>(child), k_accounts_per_process, 64 * per_unit);
      for (std::size_t i = 0; i < plan.size(); ++i) {
        if (i % per_unit == 0) units.emplace_back();
        units.back().push_back(transfer_entry(accounts[plan[i].debit], accounts[plan[i].credit], plan[i].amount_minor));
      }
      return [books, units = std::move(units), per_unit]() -> std::int64_t {
        const auto stop = std::chrono::steady_clock::now() + k_run_for;
        std::int64_t done = 0;
        for (std::size_t next = 0; std::chrono::steady_clock::now() < stop; ++next) {
          const std::vector<EntryRequest>& unit = units[next % units.size()];
          if (per_unit == 1) {
            const EntryRequest& entry = unit.front();
            const auto outcome = books->ledger().transfer({.debit = entry.postings[0].account,
                                                           .credit = entry.postings[1].account,
                                                           .amount = entry.postings[0].amount});
            if (outcome.result != PostResult::ok) throw std::runtime_error("a transfer was rejected");
          } else if (books->ledger().post_batch(unit).front().result != PostResult::ok) {
            throw std::runtime_error("a batch was rejected");
          }
          done += static_cast<std::int64_t>(unit.size());
        }
        return done;
      };
    });
  };
}

void posting(benchmark::State& state, int processes, std::size_t per_unit) {
  guarded(state, [&] {
    const std::string schema = server().unique_schema();
    {
      const auto books = open_books(schema, "setup-");
      std::vector<AccountId> all;
      for (int p = 0; p < k_processes; ++p) {
        for (AccountId& id : process_accounts(p)) all.push_back(std::move(id));
      }
      open_accounts(*books, all);
    }
    timed_children(state, processes, posting_rounds(schema, per_unit));
  });
}

void postgres_transfer_1_process(benchmark::State& state) { posting(state, 1, 1); }
void postgres_transfer_4_processes(benchmark::State& state) { posting(state, k_processes, 1); }
void postgres_batch10_1_process(benchmark::State& state) { posting(state, 1, k_small_batch); }
void postgres_batch10_4_processes(benchmark::State& state) { posting(state, k_processes, k_small_batch); }
BENCHMARK(postgres_transfer_1_process)->UseManualTime()->Iterations(1)->Repetitions(5);
BENCHMARK(postgres_transfer_4_processes)->UseManualTime()->Iterations(1)->Repetitions(5);
BENCHMARK(postgres_batch10_1_process)->UseManualTime()->Iterations(1)->Repetitions(5);
BENCHMARK(postgres_batch10_4_processes)->UseManualTime()->Iterations(1)->Repetitions(5);

// ------------------------------------------------------------------------------------------ 3. job claims

/// Enqueues k_jobs jobs (before the clock starts), then children that each claim and complete jobs one at a
/// time, each claim and each completion its own unit of work, until a claim finds none.
std::function<Setup()> draining_rounds(const std::string& schema, const std::shared_ptr<Books>& producer) {
  return [schema, producer] {
    const int round = ++g_round;
    std::vector<billing::JobRequest> requests;
    for (std::int64_t i = 0; i < k_jobs; ++i) {
      requests.push_back({.kind = std::string(k_job_kind), .payload = std::string(k_job_payload)});
    }
    for (std::size_t at = 0; at < requests.size(); at += billing::k_max_enqueue_batch) {
      const std::size_t count = std::min(billing::k_max_enqueue_batch, requests.size() - at);
      for (const auto& outcome : producer->jobs().enqueue_batch(std::span(requests).subspan(at, count))) {
        if (outcome.result != billing::EnqueueResult::ok) throw std::runtime_error("a job was not enqueued");
      }
    }
    return Setup([schema, round](int child) -> Work {
      auto books = std::shared_ptr<Books>(open_books(schema, fmt::format("w{}r{}-", child, round)));
      const billing::ClaimRequest claim{.kinds = {std::string(k_job_kind)}, .worker = fmt::format("worker-{}", child)};
      return [books, claim]() -> std::int64_t {
        std::int64_t done = 0;
        while (const std::optional<billing::Job> job = books->jobs().claim(claim)) {
          if (books->jobs().complete(*job).result != billing::CompleteResult::ok) {
            throw std::runtime_error("a claimed job did not complete");
          }
          ++done;
        }
        return done;
      };
    });
  };
}

void draining(benchmark::State& state, int workers) {
  guarded(state, [&] {
    const std::string schema = server().unique_schema();
    const auto producer = std::shared_ptr<Books>(open_books(schema, "job-"));
    timed_children(state, workers, draining_rounds(schema, producer), k_jobs);
  });
}

void postgres_job_claim_1_worker(benchmark::State& state) { draining(state, 1); }
void postgres_job_claim_4_workers(benchmark::State& state) { draining(state, k_processes); }
BENCHMARK(postgres_job_claim_1_worker)->UseManualTime()->Iterations(1)->Repetitions(5);
BENCHMARK(postgres_job_claim_4_workers)->UseManualTime()->Iterations(1)->Repetitions(5);

}  // namespace

BENCHMARK_MAIN();
