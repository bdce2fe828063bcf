// Worker processes killed mid-job. Four billing_stress_writer job-workers share one SQLite file of 400
// jobs (3 attempts each, 1 for every fourth; a 300 ms lease); each job's effect is a one-cent transfer tagged with the job's
// id, committed in one unit of work with the job's completion (stress::run_job). Every 20-60 ms the test
// SIGKILLs a random worker (most often between its claim and its completion) and starts another, 40
// times, then lets the last four drain the queue. A killed worker's claim lapses and another worker
// takes the job over; a job killed on its last attempt is dead-lettered. Afterwards:
//  - every job ended completed or dead-lettered;
//  - each completed job's effect is in the ledger exactly once, and a dead-lettered job's never;
//  - no worker was told twice that a job completed;
//  - the file passes PRAGMA integrity_check and the ledger verifies.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "billing/storage/sqlite.hpp"
#include "support.hpp"
#include "workload.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr int k_jobs = 400;
constexpr int k_workers = 4;
constexpr int k_kills = 40;
constexpr unsigned k_seed = 20'260'109;

std::string job_id(int n) { return fmt::format("job-{:012}", n); }

// What the test learnt from the workers' lines.
struct Heard {
  std::map<std::string, int> done;  // "done <id>" lines per job
  int refused = 0;                  // "refused <id> ..." lines: a lapsed claim taken over before it completed
  int killed_mid_job = 0;           // kills after which the worker's last line was a claim
};

void listen(const std::vector<std::string>& lines, Heard& heard, bool killed) {
  for (const std::string& line : lines) {
    if (line.starts_with("done ")) ++heard.done[line.substr(5)];
    if (line.starts_with("refused ")) ++heard.refused;
  }
  if (killed && !lines.empty() && lines.back().starts_with("claimed ")) ++heard.killed_mid_job;
}

std::unique_ptr<Writer> start_worker(const std::string& path, int serial) {
  return std::make_unique<Writer>(std::vector<std::string>{"job-worker", path, fmt::format("w-{}", serial)});
}

// Per job id, how many of the ledger's entries carry it as their "job".
std::map<std::string, int> effects(Books& books) {
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

TEST_CASE("workers SIGKILLed mid-job: every job ends completed or dead-lettered, and none takes effect twice") {
  TempDir dir("jobs-kill");
  const std::string path = dir.file("jobs.db");
  {
    Books books(open_sqlite(path, {.durability = Durability::normal}), nullptr,
                std::make_shared<SequentialIds>("job-"));
    open_job_accounts(books);
    std::vector<JobRequest> batch;
    for (int n = 1; n <= k_jobs; ++n) {
      // One job in four has a single attempt, so that a kill mid-job dead-letters it.
      batch.push_back({.kind = std::string(k_job_kind), .payload = std::to_string(n), .max_attempts = n % 4 == 0 ? 1U : 3U});
    }
    for (const EnqueueOutcome& outcome : books.jobs().enqueue_batch(batch)) REQUIRE(outcome.result == EnqueueResult::ok);
  }
  const auto began = std::chrono::steady_clock::now();
  std::mt19937 random(k_seed);
  std::uniform_int_distribution<int> pause_ms(20, 60);
  std::uniform_int_distribution<int> pick(0, k_workers - 1);
  std::vector<std::unique_ptr<Writer>> workers;
  int serial = 0;
  for (int i = 0; i < k_workers; ++i) workers.push_back(start_worker(path, serial++));
  Heard heard;
  for (int kill = 0; kill < k_kills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    std::unique_ptr<Writer>& victim = workers[static_cast<std::size_t>(pick(random))];
    victim->kill_now();
    const int status = victim->wait();
    listen(victim->rest(), heard, WIFSIGNALED(status));
    victim = start_worker(path, serial++);
  }
  for (std::unique_ptr<Writer>& worker : workers) {
    const std::vector<std::string> lines = worker->rest();  // to the end: the worker exits when all is done
    const int status = worker->wait();
    INFO("a last worker ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    listen(lines, heard, false);
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  REQUIRE(integrity_check(path) == "ok");
  Books books(open_sqlite(path, {.durability = Durability::normal}));
  const VerifyReport report = books.ledger().verify();
  INFO("verify: ", report.problem);
  CHECK(report.ok);
  const std::map<std::string, int> applied = effects(books);
  int completed = 0;
  int dead = 0;
  int taken_over = 0;  // jobs that needed more than one claim
  for (int n = 1; n <= k_jobs; ++n) {
    const std::string id = job_id(n);
    CAPTURE(id);
    const std::optional<Job> job = books.jobs().get(JobId(id));
    REQUIRE(job.has_value());
    const auto effect = applied.find(id);
    const int times = effect == applied.end() ? 0 : effect->second;
    const auto told = heard.done.find(id);
    CHECK((told == heard.done.end() || told->second == 1));
    taken_over += job->attempts > 1 ? 1 : 0;
    if (job->status == JobStatus::completed) {
      ++completed;
      CHECK(times == 1);
    } else {
      CHECK(job->status == JobStatus::dead_lettered);
      CHECK(job->attempts == job->max_attempts);
      CHECK(times == 0);
      CHECK(told == heard.done.end());
      ++dead;
    }
  }
  CHECK(completed + dead == k_jobs);
  CHECK(applied.size() == static_cast<std::size_t>(completed));
  CHECK(heard.killed_mid_job > 0);
  CHECK(taken_over > 0);
  CHECK(books.jobs().stats() == JobStats{.dead_lettered = static_cast<std::uint64_t>(dead)});
  MESSAGE("jobs=", k_jobs, " kills=", k_kills, " killed_between_claim_and_completion=", heard.killed_mid_job,
          " completed=", completed, " dead_lettered=", dead, " taken_over_after_a_lapsed_lease=", taken_over,
          " late_completes_refused=", heard.refused, " done_lines=", heard.done.size(), " elapsed_ms=", elapsed_ms);
}
