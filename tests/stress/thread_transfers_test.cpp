// Threads on one store: 8 threads post 5,000 transfers each, one call per transfer, four in five on one
// hot wallet with a credit limit. Afterwards money is conserved per currency, verify() re-derives every
// balance, the wallet never passed its limit, and the ledger holds exactly the transfers the threads saw
// accepted. No StorageError may surface: the busy timeout absorbs every wait.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters.hpp"
#include "support.hpp"
#include "workload.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

constexpr int k_threads = 8;
constexpr int k_transfers_per_thread = 5'000;

// What one thread saw.
struct Tally {
  std::uint64_t ok = 0;
  std::uint64_t hot_ok = 0;  // accepted transfers that touch the hot wallet
  std::uint64_t exceeds_limit = 0;
  std::uint64_t unexpected = 0;  // any other refusal
  std::uint64_t exceptions = 0;
  std::string first_problem;
};

Tally post_transfers(Books& books, int thread, std::latch& start) {
  Tally tally;
  start.arrive_and_wait();
  for (int n = 0; n < k_transfers_per_thread; ++n) {
    const PlannedTransfer planned = plan_transfer("t", thread, n);
    const bool hot = planned.flow == Flow::hot_spend || planned.flow == Flow::hot_deposit;
    try {
      const PostOutcome outcome = books.ledger().transfer(planned.request);
      if (outcome.result == PostResult::ok) {
        ++tally.ok;
        if (hot) ++tally.hot_ok;
      } else if (planned.flow == Flow::hot_spend && outcome.result == PostResult::exceeds_limit) {
        ++tally.exceeds_limit;
      } else {
        ++tally.unexpected;
        if (tally.first_problem.empty()) tally.first_problem = std::string(to_string(outcome.result));
      }
    } catch (const std::exception& e) {
      ++tally.exceptions;
      if (tally.first_problem.empty()) tally.first_problem = e.what();
    }
  }
  return tally;
}

}  // namespace

TEST_CASE_TEMPLATE("threads transfer against one hot wallet: conserved, verified, never over its limit", Adapter,
                   MemoryStore, SqliteStore) {
  TempDir dir(std::string("threads-") + Adapter::k_name);
  Books books(Adapter::open(dir));
  open_accounts(books, k_threads);

  std::vector<Tally> tallies(k_threads);
  std::latch start(k_threads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] { tallies[static_cast<std::size_t>(t)] = post_transfers(books, t, start); });
  }
  const auto began = std::chrono::steady_clock::now();
  start.arrive_and_wait();
  for (std::thread& thread : threads) thread.join();
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  Tally total;
  for (const Tally& tally : tallies) {
    total.ok += tally.ok;
    total.hot_ok += tally.hot_ok;
    total.exceeds_limit += tally.exceeds_limit;
    total.unexpected += tally.unexpected;
    total.exceptions += tally.exceptions;
    if (total.first_problem.empty()) total.first_problem = tally.first_problem;
  }
  INFO("first problem: ", total.first_problem);
  CHECK(total.exceptions == 0);
  CHECK(total.unexpected == 0);
  CHECK(total.ok + total.exceeds_limit == std::uint64_t{k_threads} * k_transfers_per_thread);
  CHECK(total.exceeds_limit > 0);  // the wallet did sit at its limit, so the limit was tested

  const LedgerFigures figures = check_ledger(books, total.ok + 1);  // + the funding entry
  CHECK(figures.hot_entries == total.hot_ok + 1);
  MESSAGE(std::string(Adapter::k_name), ": threads=", k_threads, " transfers=", k_threads * k_transfers_per_thread,
          " ok=", total.ok, " exceeds_limit=", total.exceeds_limit, " entries=", figures.entries,
          " hot_entries_checked=", figures.hot_entries, " elapsed_ms=", elapsed_ms);
}
