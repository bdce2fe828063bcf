// A same-key storm: 16 threads send the same request under each of 1,000 keys at once. A thread told
// `conflict` (another holds the key) tries again until it is executed or replayed. Every key must have
// exactly one effect, and every thread must get that one effect's outcome. A different request under a
// used key is a mismatch that does nothing.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

constexpr int k_threads = 16;
constexpr int k_keys = 1'000;

struct Seen {
  IdempotencyResult result{};
  std::string outcome;
};

struct Storm {
  Books& books;
  std::atomic<int> work_runs{0};

  IdempotencyKey key(int i) const { return {.scope = "storm", .key = fmt::format("key-{}", i)}; }

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

// Every key in order, all threads together on each key (the barrier), retrying through conflicts.
// Returns what each key finally gave this thread.
std::vector<Seen> storm_thread(Storm& storm, std::barrier<>& together, std::uint64_t& conflicts, std::string& problem) {
  std::vector<Seen> seen(k_keys);
  for (int i = 0; i < k_keys; ++i) {
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

TEST_CASE_TEMPLATE("16 threads x 1,000 keys: one effect per key, one outcome for every thread", Adapter, MemoryStore,
                   SqliteStore) {
  TempDir dir(std::string("storm-") + Adapter::k_name);
  Books books(Adapter::open(dir), nullptr, std::make_shared<SequentialIds>("storm-"));
  for (const char* id : {"payer", "payee"}) {
    REQUIRE(books.accounts().create({.id = AccountId(id), .currency = Currency("USD"), .name = id}).result ==
            AccountResult::ok);
  }
  Storm storm{books};

  std::vector<std::vector<Seen>> seen(k_threads);
  std::vector<std::uint64_t> conflicts(k_threads, 0);
  std::vector<std::string> problems(k_threads);
  std::barrier together(k_threads);
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] { seen[t] = storm_thread(storm, together, conflicts[t], problems[t]); });
  }
  for (std::thread& thread : threads) thread.join();
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  for (const std::string& problem : problems) CHECK_MESSAGE(problem.empty(), problem);

  std::uint64_t keys_with_one_effect = 0;
  std::uint64_t replays = 0;
  std::set<std::string> effects;
  for (std::size_t i = 0; i < k_keys; ++i) {
    int executed = 0;
    bool same = true;
    for (std::size_t t = 0; t < k_threads; ++t) {
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
  CHECK(effects.size() == k_keys);  // a distinct entry per key
  for (const std::string& id : effects) {
    INFO("entry ", id);
    CHECK(books.ledger().entry(EntryId(id)).has_value());
  }

  const IdempotentOutcome other = storm.send(7, "2.00");
  CHECK(other.result == IdempotencyResult::mismatch);
  CHECK(other.outcome.empty());

  CHECK(storm.work_runs.load() == k_keys);
  const VerifyReport report = books.ledger().verify();
  CHECK(report.ok);
  CHECK(report.entries_checked == k_keys);  // + 0 for the mismatch
  std::uint64_t total_conflicts = 0;
  for (const std::uint64_t c : conflicts) total_conflicts += c;
  MESSAGE(std::string(Adapter::k_name), ": threads=", k_threads, " keys=", k_keys,
          " keys_with_one_effect=", keys_with_one_effect,
          " effects_per_key=", static_cast<double>(report.entries_checked) / k_keys, " replays=", replays,
          " conflicts_retried=", total_conflicts, " mismatch_detected=", other.result == IdempotencyResult::mismatch,
          " elapsed_ms=", elapsed_ms);
}
