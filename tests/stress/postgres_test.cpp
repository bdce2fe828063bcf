// The stress workloads of the other files, on one PostgreSQL schema of the process's throwaway server
// (support/postgres_server.hpp): billing_stress_writer processes open it from a store spec
// "postgres:<schema>:<conninfo>" (writer.cpp), each with its own pool of connections. The test creates the
// schema's store first, so that the writers find it migrated:
//  - 4 processes x 5,000 transfers on the hot limited wallet: conserved, verified, never over the limit;
//  - 16 threads sending the same request under each of 1,000 keys at once: one effect per key;
//  - two processes running the billing run at once: one invoice per (subscription, period);
//  - 4 worker processes draining a job queue: each job completes once, and takes effect once.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/billing_run.hpp"
#include "billing_run_workload.hpp"
#include "support.hpp"
#include "workload.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

std::int64_t ms_since(std::chrono::steady_clock::time_point began) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
}

double per_second(std::uint64_t count, std::int64_t elapsed_ms) {
  return elapsed_ms > 0 ? static_cast<double>(count) * 1000.0 / static_cast<double>(elapsed_ms) : 0.0;
}

}  // namespace

// ------------------------------------------------------------------------------------------ transfers

TEST_CASE("postgres: 4 processes transfer against one hot wallet: conserved, verified, never over its limit") {
  constexpr int k_processes = 4;
  constexpr int k_per_process = 5'000;
  const std::string schema = test::PostgresServer::shared().unique_schema();
  {
    Books books(PostgresStore::open_schema(schema));
    open_accounts(books, k_processes);
  }

  const auto began = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Writer>> writers;
  for (int p = 0; p < k_processes; ++p) {
    writers.push_back(std::make_unique<Writer>(std::vector<std::string>{
        "transfers", PostgresStore::spec(schema), std::to_string(p), std::to_string(k_per_process)}));
  }
  std::uint64_t ok = 0;
  for (int p = 0; p < k_processes; ++p) {
    const std::vector<std::string> lines = writers[static_cast<std::size_t>(p)]->rest();
    const int status = writers[static_cast<std::size_t>(p)]->wait();
    INFO("writer ", p, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");  // a StorageError or a surprise exits non-zero
    REQUIRE(lines.size() == 1);
    ok += std::stoull(lines.front());
  }
  const std::int64_t elapsed_ms = ms_since(began);

  Books books(PostgresStore::open_schema(schema));
  const LedgerFigures figures = check_ledger(books, ok + 1);  // + the funding entry
  CHECK(ok < std::uint64_t{k_processes} * k_per_process);     // some spends were refused at the limit
  MESSAGE("postgres: processes=", k_processes, " transfers=", k_processes * k_per_process, " ok=", ok,
          " entries=", figures.entries, " hot_entries_checked=", figures.hot_entries, " elapsed_ms=", elapsed_ms,
          " transfers_per_s=",
          static_cast<std::int64_t>(per_second(std::uint64_t{k_processes} * k_per_process, elapsed_ms)));
}

// ------------------------------------------------------------------------------------------ idempotency

namespace {

constexpr int k_storm_threads = 16;
constexpr int k_storm_keys = 1'000;

struct Seen {
  IdempotencyResult result{};
  std::string outcome;
};

struct Storm {
  Books& books;
  std::atomic<int> work_runs{0};

  static IdempotencyKey key(int i) { return {.scope = "storm", .key = fmt::format("key-{}", i)}; }

  IdempotentOutcome send(int i, const char* amount) {
    return books.idempotency().run(key(i), fmt::format("transfer {} USD payer->payee", amount), [&] {
      work_runs.fetch_add(1);
      const auto posted = books.ledger().transfer({.debit = AccountId("payer"),
                                                   .credit = AccountId("payee"),
                                                   .amount = Money::parse(amount + std::string(" USD"))});
      return posted.result == PostResult::ok ? posted.entry->id.str() : std::string(to_string(posted.result));
    });
  }
};

// Every key in order, all threads together on each key, retrying through conflicts.
std::vector<Seen> storm_thread(Storm& storm, std::barrier<>& together, std::uint64_t& conflicts, std::string& problem) {
  std::vector<Seen> seen(k_storm_keys);
  for (int i = 0; i < k_storm_keys; ++i) {
    together.arrive_and_wait();
    try {
      for (;;) {
        IdempotentOutcome outcome = storm.send(i, "1.00");
        if (outcome.result != IdempotencyResult::conflict) {
          seen[static_cast<std::size_t>(i)] = {outcome.result, std::move(outcome.outcome)};
          break;
        }
        ++conflicts;
        std::this_thread::yield();
      }
    } catch (const std::exception& e) {
      if (problem.empty()) problem = fmt::format("key-{}: {}", i, e.what());
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("postgres: 16 threads x 1,000 keys of one request each: one effect per key, one outcome for all") {
  const TempDir unused("postgres-storm");
  Books books(PostgresStore::open(unused), nullptr, std::make_shared<SequentialIds>("storm-"));
  for (const char* id : {"payer", "payee"}) {
    REQUIRE(books.accounts().create({.id = AccountId(id), .currency = Currency("USD"), .name = id}).result ==
            AccountResult::ok);
  }
  Storm storm{books};

  std::vector<std::vector<Seen>> seen(k_storm_threads);
  std::vector<std::uint64_t> conflicts(k_storm_threads, 0);
  std::vector<std::string> problems(k_storm_threads);
  std::barrier together(k_storm_threads);
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < k_storm_threads; ++t) {
    threads.emplace_back([&, t] { seen[t] = storm_thread(storm, together, conflicts[t], problems[t]); });
  }
  for (std::thread& thread : threads) thread.join();
  const std::int64_t elapsed_ms = ms_since(began);
  for (const std::string& problem : problems) CHECK_MESSAGE(problem.empty(), problem);

  std::uint64_t keys_with_one_effect = 0;
  std::uint64_t replays = 0;
  std::set<std::string> effects;
  for (std::size_t i = 0; i < k_storm_keys; ++i) {
    int executed = 0;
    bool same = true;
    for (std::size_t t = 0; t < k_storm_threads; ++t) {
      const Seen& s = seen[t][i];
      if (s.result == IdempotencyResult::executed) ++executed;
      if (s.result == IdempotencyResult::replayed) ++replays;
      same = same && s.outcome == seen[0][i].outcome &&
             (s.result == IdempotencyResult::executed || s.result == IdempotencyResult::replayed);
    }
    INFO("key-", i, " outcome ", seen[0][i].outcome);
    CHECK(executed == 1);
    CHECK(same);
    if (executed == 1 && same) ++keys_with_one_effect;
    effects.insert(seen[0][i].outcome);
  }
  CHECK(effects.size() == k_storm_keys);  // a distinct entry per key
  for (const std::string& id : effects) {
    INFO("entry ", id);
    CHECK(books.ledger().entry(EntryId(id)).has_value());
  }

  const IdempotentOutcome other = storm.send(7, "2.00");
  CHECK(other.result == IdempotencyResult::mismatch);
  CHECK(other.outcome.empty());

  CHECK(storm.work_runs.load() == k_storm_keys);
  const VerifyReport report = books.ledger().verify();
  CHECK_MESSAGE(report.ok, "verify: ", report.problem);
  CHECK(report.entries_checked == k_storm_keys);  // + 0 for the mismatch
  std::uint64_t total_conflicts = 0;
  for (const std::uint64_t c : conflicts) total_conflicts += c;
  MESSAGE("postgres: threads=", k_storm_threads, " keys=", k_storm_keys, " keys_with_one_effect=", keys_with_one_effect,
          " effects_per_key=", static_cast<double>(report.entries_checked) / k_storm_keys, " replays=", replays,
          " conflicts_retried=", total_conflicts, " mismatch_detected=", other.result == IdempotencyResult::mismatch,
          " elapsed_ms=", elapsed_ms, " requests_per_s=",
          static_cast<std::int64_t>(per_second(std::uint64_t{k_storm_threads} * k_storm_keys, elapsed_ms)));
}

// ------------------------------------------------------------------------------------------ billing run

TEST_CASE("postgres: two processes running the billing run at once bill each due period exactly once") {
  constexpr int k_processes = 2;
  const std::string schema = test::PostgresServer::shared().unique_schema();
  TempDir dir("postgres-billing-run");
  const std::string gate = dir.file("go");
  {
    Books books(PostgresStore::open_schema(schema),
                std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z")));
    set_up_billing(books);
  }
  const std::vector<DueSubscription> due = due_subscriptions();
  const std::uint64_t due_periods = due_period_count(due);

  std::vector<std::unique_ptr<Writer>> writers;
  for (int p = 0; p < k_processes; ++p) {
    writers.push_back(std::make_unique<Writer>(billing_run_args(PostgresStore::spec(schema), k_max_billing_run, gate)));
  }
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int p = 0; p < k_processes; ++p) {
    INFO("writer ", p);
    REQUIRE(writers[static_cast<std::size_t>(p)]->line(ready_by) == std::optional<std::string>("ready"));
  }
  const auto began = std::chrono::steady_clock::now();
  std::ofstream(gate).put('\n');

  std::uint64_t created = 0;
  std::string created_per_process;
  int processes_that_billed = 0;
  for (int p = 0; p < k_processes; ++p) {
    HeardRun heard{.ready = true};
    for (const std::string& line : writers[static_cast<std::size_t>(p)]->rest()) hear(heard, line);
    const int status = writers[static_cast<std::size_t>(p)]->wait();
    INFO("writer ", p, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    CHECK(heard.done);
    CHECK(heard.calls == 1);
    CHECK(heard.billed == heard.created);
    CHECK(heard.jobs == heard.created);
    created += heard.created;
    processes_that_billed += heard.created > 0 ? 1 : 0;
    created_per_process += (p == 0 ? "" : "/") + std::to_string(heard.created);
  }
  const std::int64_t elapsed_ms = ms_since(began);

  Books books(PostgresStore::open_schema(schema), std::make_shared<ManualClock>(Timestamp::parse(k_billing_as_of)));
  const std::uint64_t invoices = check_billed_once(books, due);
  CHECK(created == invoices);
  CHECK(invoices == due_periods);
  WARN_MESSAGE(processes_that_billed == k_processes, "one process billed every period: the two did not race");
  MESSAGE("postgres: processes=", k_processes, " subscriptions=", k_billing_subscriptions, " due_periods=", due_periods,
          " invoices=", invoices, " invoices_created_per_process=", created_per_process, " elapsed_ms=", elapsed_ms,
          " periods_per_s=", static_cast<std::int64_t>(per_second(invoices, elapsed_ms)));
}

// ------------------------------------------------------------------------------------------ job queue

namespace {

constexpr int k_jobs = 1'000;
constexpr int k_job_workers = 4;

// Per job id, how many of the ledger's entries carry it as their "job".
std::map<std::string, int> job_effects(Books& books) {
  std::map<std::string, int> out;
  EntryQuery query{.limit = 1'000};
  for (;;) {
    const Page<Entry> page = books.ledger().entries(AccountId(std::string(k_job_from)), query);
    for (const Entry& entry : page.items) ++out[entry.metadata.at("job")];
    if (!page.next_cursor) return out;
    query.cursor = *page.next_cursor;
  }
}

}  // namespace

TEST_CASE("postgres: 4 worker processes drain one job queue: each job completes once and takes effect once") {
  const std::string schema = test::PostgresServer::shared().unique_schema();
  {
    Books books(PostgresStore::open_schema(schema), nullptr, std::make_shared<SequentialIds>("job-"));
    open_job_accounts(books);
    std::vector<JobRequest> batch;
    for (int n = 1; n <= k_jobs; ++n) {
      batch.push_back({.kind = std::string(k_job_kind), .payload = std::to_string(n), .max_attempts = 3U});
    }
    for (const EnqueueOutcome& outcome : books.jobs().enqueue_batch(batch)) {
      REQUIRE(outcome.result == EnqueueResult::ok);
    }
  }

  const auto began = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Writer>> workers;
  for (int w = 0; w < k_job_workers; ++w) {
    workers.push_back(std::make_unique<Writer>(
        std::vector<std::string>{"job-worker", PostgresStore::spec(schema), fmt::format("w-{}", w)}));
  }
  std::map<std::string, int> done;  // "done <id>" lines per job, over every worker
  std::map<std::string, int> claims;
  int refused = 0;  // late completes of a claim whose lease lapsed and was taken over
  std::string done_per_worker;
  for (int w = 0; w < k_job_workers; ++w) {
    int done_here = 0;
    for (const std::string& line : workers[static_cast<std::size_t>(w)]->rest()) {
      if (line.starts_with("done ")) {
        ++done[line.substr(5)];
        ++done_here;
      }
      if (line.starts_with("claimed ")) ++claims[line.substr(8, line.find(' ', 8) - 8)];
      if (line.starts_with("refused ")) ++refused;
    }
    const int status = workers[static_cast<std::size_t>(w)]->wait();
    INFO("worker ", w, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    done_per_worker += (w == 0 ? "" : "/") + std::to_string(done_here);
  }
  const std::int64_t elapsed_ms = ms_since(began);

  Books books(PostgresStore::open_schema(schema));
  const VerifyReport report = books.ledger().verify();
  CHECK_MESSAGE(report.ok, "verify: ", report.problem);
  CHECK(report.entries_checked == static_cast<std::uint64_t>(k_jobs));
  const std::map<std::string, int> applied = job_effects(books);
  int completed = 0;
  int claimed_again = 0;
  for (int n = 1; n <= k_jobs; ++n) {
    const std::string id = fmt::format("job-{:012}", n);
    CAPTURE(id);
    const std::optional<Job> job = books.jobs().get(JobId(id));
    REQUIRE(job.has_value());
    CHECK(job->status == JobStatus::completed);
    completed += job->status == JobStatus::completed ? 1 : 0;
    const auto effect = applied.find(id);
    CHECK((effect != applied.end() && effect->second == 1));
    const auto told = done.find(id);
    CHECK((told != done.end() && told->second == 1));
    const auto claimed = claims.find(id);
    claimed_again += claimed != claims.end() && claimed->second > 1 ? 1 : 0;
  }
  CHECK(applied.size() == static_cast<std::size_t>(k_jobs));
  CHECK(books.jobs().stats() == JobStats{});
  MESSAGE("postgres: workers=", k_job_workers, " jobs=", k_jobs, " completed=", completed, " done_lines=", done.size(),
          " done_per_worker=", done_per_worker, " claimed_again_after_a_lapsed_lease=", claimed_again,
          " late_completes_refused=", refused, " elapsed_ms=", elapsed_ms,
          " jobs_per_s=", static_cast<std::int64_t>(per_second(k_jobs, elapsed_ms)));
}
