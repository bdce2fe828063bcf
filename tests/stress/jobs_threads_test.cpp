// Threads race for one queue: 4 workers claim and complete 10,000 jobs, two claiming one job at a time and
// two in batches of 8. Every 97th claim is abandoned, as by a worker that died: once the queue is drained,
// the clock passes the lease, the workers race again and take the abandoned jobs over; the first workers'
// late completes are then refused by the token. Each job must complete exactly once: one accepted
// complete, none lost, none twice, and no claim ever handed out a job that had completed.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr int k_workers = 4;
constexpr int k_jobs = 10'000;
constexpr int k_abandon_every = 97;
constexpr std::size_t k_batch = 8;
constexpr auto k_lease = 30s;

// What every worker shares: the books, and per job how often a claim handed it out and a complete took.
struct Race {
  explicit Race(Books& on) : books(on) {}

  Books& books;
  std::vector<std::atomic<int>> claims = std::vector<std::atomic<int>>(k_jobs);
  std::vector<std::atomic<int>> completions = std::vector<std::atomic<int>>(k_jobs);
  std::atomic<int> claimed_after_completion{0};
  std::atomic<int> exceptions{0};
  std::mutex mutex;
  std::string first_problem;

  void problem(const std::string& what) {
    exceptions.fetch_add(1);
    const std::lock_guard lock(mutex);
    if (first_problem.empty()) first_problem = what;
  }
};

struct Worker {
  std::vector<Job> abandoned;  // claims this worker walked away from
  int claims = 0;
};

void take(Race& race, Worker& self, const Job& job, bool may_abandon) {
  const auto index = static_cast<std::size_t>(std::stoi(job.payload));
  race.claims[index].fetch_add(1);
  if (race.completions[index].load() > 0) race.claimed_after_completion.fetch_add(1);
  if (may_abandon && ++self.claims % k_abandon_every == 0) {
    self.abandoned.push_back(job);
    return;
  }
  const CompleteOutcome done = race.books.jobs().complete(job);
  if (done.result == CompleteResult::ok) {
    race.completions[index].fetch_add(1);
  } else {
    race.problem(fmt::format("{}: complete gave {}", job.id.str(), to_string(done.result)));
  }
}

// Claims (one at a time, or in batches) and completes until the queue has nothing due.
void work(Race& race, Worker& self, int index, bool may_abandon, std::latch& start) {
  start.arrive_and_wait();
  const ClaimRequest request{.lease = k_lease, .worker = fmt::format("worker-{}", index)};
  try {
    for (;;) {
      std::vector<Job> jobs;
      if (index % 2 == 0) {
        if (auto job = race.books.jobs().claim(request)) jobs.push_back(std::move(*job));
      } else {
        jobs = race.books.jobs().claim_batch(request, k_batch);
      }
      if (jobs.empty()) return;
      for (const Job& job : jobs) take(race, self, job, may_abandon);
    }
  } catch (const std::exception& e) {
    race.problem(e.what());
  }
}

void run_workers(Race& race, std::vector<Worker>& workers, bool may_abandon) {
  std::latch start(k_workers);
  std::vector<std::thread> threads;
  for (int i = 0; i < k_workers; ++i) {
    threads.emplace_back([&, i] { work(race, workers[static_cast<std::size_t>(i)], i, may_abandon, start); });
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace

TEST_CASE_TEMPLATE("4 threads race for 10,000 jobs, abandoned claims included: each completes exactly once",
                   Adapter, MemoryStore, SqliteStore) {
  TempDir dir(std::string("jobs-threads-") + Adapter::k_name);
  auto clock = std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z"));
  Books books(Adapter::open(dir), clock, std::make_shared<SequentialIds>("job-"));
  for (int first = 0; first < k_jobs; first += 1000) {
    std::vector<JobRequest> batch;
    for (int i = first; i < first + 1000; ++i) batch.push_back({.kind = "work", .payload = std::to_string(i)});
    for (const EnqueueOutcome& outcome : books.jobs().enqueue_batch(batch)) REQUIRE(outcome.result == EnqueueResult::ok);
  }
  Race race(books);
  std::vector<Worker> workers(k_workers);
  const auto began = std::chrono::steady_clock::now();

  run_workers(race, workers, true);
  std::size_t abandoned = 0;
  for (const Worker& worker : workers) abandoned += worker.abandoned.size();
  CHECK(abandoned > 0);
  CHECK(books.jobs().stats().in_flight == abandoned);
  clock->advance(k_lease);  // the abandoned claims lapse
  CHECK(books.jobs().stats().ready == abandoned);
  run_workers(race, workers, false);
  int late_refused = 0;
  for (const Worker& worker : workers) {
    for (const Job& job : worker.abandoned) late_refused += books.jobs().complete(job).result == CompleteResult::stale_token;
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  INFO("first problem: ", race.first_problem);
  CHECK(race.exceptions.load() == 0);
  CHECK(race.claimed_after_completion.load() == 0);
  CHECK(late_refused == static_cast<int>(abandoned));
  int completed_once = 0;
  int claimed_twice = 0;
  for (int i = 0; i < k_jobs; ++i) {
    completed_once += race.completions[static_cast<std::size_t>(i)].load() == 1;
    claimed_twice += race.claims[static_cast<std::size_t>(i)].load() == 2;
  }
  CHECK(completed_once == k_jobs);
  CHECK(claimed_twice == static_cast<int>(abandoned));  // the abandoned ones, and only they
  CHECK(books.jobs().stats() == JobStats{});
  MESSAGE(std::string(Adapter::k_name), ": workers=", k_workers, " jobs=", k_jobs, " abandoned_and_taken_over=", abandoned,
          " late_completes_refused=", late_refused, " elapsed_ms=", elapsed_ms);
}
