// Threads record overlapping batches of usage events with shared ids: 4 threads each record every one of
// 4,000 ids, in batches of 250 drawn in a different order per thread, into meters of every kind of fold
// (sum, max, unique_count). Each id must be counted exactly once (one ok across the threads, the others
// duplicates), and every aggregate must equal a recount from the stored events: per subject, across
// subjects, and per hour bucket.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "adapters.hpp"
#include "billing/storage/usage_repository.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr int k_threads = 4;
constexpr int k_ids = 4'000;
constexpr std::size_t k_batch = 250;
constexpr int k_subjects = 37;
const Timestamp k_now = Timestamp::parse("2026-05-31T23:00:00Z");
const char* const k_meters[] = {"bytes", "peak", "users"};

// Event `i` of `meter`, the same whichever thread records it.
UsageEvent event_of(const std::string& meter, int i) {
  return UsageEvent{.id = fmt::format("{}-{}", meter, i),
                    .meter = meter,
                    .subject = fmt::format("user-{}", i % k_subjects),
                    .quantity = Decimal::from_coefficient(i * 7 % 1000, 2),
                    .at = k_now - std::chrono::minutes(i % (60 * 72)),  // three days, across a month end
                    .properties = {{"user", fmt::format("u{}", i % 11)}}};
}

}  // namespace

TEST_CASE_TEMPLATE("4 threads record overlapping batches with shared ids: each id counts once, aggregates recount",
                   Adapter, MemoryStore, SqliteStore) {
  TempDir dir(std::string("usage-threads-") + Adapter::k_name);
  auto store = Adapter::open(dir);
  Books books(store, std::make_shared<ManualClock>(k_now));
  (void)books.usage().define_meter({.code = "bytes", .aggregation = Aggregation::sum});
  (void)books.usage().define_meter({.code = "peak", .aggregation = Aggregation::max});
  (void)books.usage().define_meter({.code = "users", .aggregation = Aggregation::unique_count, .property = "user"});

  std::vector<std::atomic<int>> oks(3 * k_ids);
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::string first_problem;
  std::latch start(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> order(3 * k_ids);
      for (int i = 0; i < 3 * k_ids; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(t) * 7919U + 1U));
      start.arrive_and_wait();
      try {
        for (std::size_t from = 0; from < order.size(); from += k_batch) {
          std::vector<UsageEvent> batch;
          for (std::size_t j = from; j < std::min(order.size(), from + k_batch); ++j) {
            batch.push_back(event_of(k_meters[order[j] / k_ids], order[j] % k_ids));
          }
          const std::vector<RecordResult> results = books.usage().record_batch(batch);
          for (std::size_t j = 0; j < results.size(); ++j) {
            if (results[j] == RecordResult::ok) oks[order[from + j]].fetch_add(1);
            else if (results[j] != RecordResult::duplicate) failures.fetch_add(1);
          }
        }
      } catch (const std::exception& e) {
        failures.fetch_add(1);
        const std::lock_guard lock(mutex);
        if (first_problem.empty()) first_problem = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  INFO(first_problem);
  REQUIRE(failures.load() == 0);
  int counted_once = 0;
  for (const auto& ok : oks) counted_once += ok.load() == 1 ? 1 : 0;
  CHECK(counted_once == 3 * k_ids);

  // Recount from the stored events, through the repository, and compare with every read.
  const Timestamp first = Timestamp::from_unix_micros(0);
  const Timestamp end = Timestamp::parse("2200-01-01T00:00:00Z");
  for (const std::string meter : k_meters) {
    CAPTURE(meter);
    std::map<std::string, Decimal> sum;
    std::map<std::string, Decimal> peak;
    std::map<std::string, std::set<std::string>> users;
    std::map<Timestamp, Decimal> hourly;  // every subject together
    std::size_t stored = 0;
    {
      UnitOfWork work(*store, Access::read);
      std::optional<UsageEventCursor> after;
      for (;;) {
        const auto page = work->usage().events({.meter = meter, .start = first, .end = end}, after, 1000);
        for (const StoredUsageEvent& event : page) {
          const std::string& subject = event.recorded.event.subject;
          const Decimal value = meter == "users" ? Decimal(1) : Decimal::parse(event.value);
          sum[subject] += value;
          if (!peak.contains(subject) || value > peak[subject]) peak[subject] = value;
          users[subject].insert(event.value);
          const Timestamp hour = Timestamp::from_unix_micros(event.recorded.event.at->unix_micros() / 3'600'000'000 *
                                                             3'600'000'000);
          hourly[hour] += value;
        }
        stored += page.size();
        if (page.size() < 1000) break;
        after = UsageEventCursor{.at = *page.back().recorded.event.at, .id = page.back().recorded.event.id};
      }
    }
    CHECK(stored == static_cast<std::size_t>(k_ids));
    Decimal total;
    for (const auto& [subject, subject_sum] : sum) {
      const Decimal expected = meter == "bytes" ? subject_sum : meter == "peak" ? peak[subject]
                                                                                : Decimal(users[subject].size());
      CHECK(books.usage().total(meter, subject) == expected);
      total += expected;
    }
    const UsageStats stats = books.usage().stats(meter);
    CHECK(stats.events == static_cast<std::uint64_t>(k_ids));
    CHECK(stats.subjects == static_cast<std::uint64_t>(k_subjects));
    CHECK(stats.total == total);
    if (meter == "bytes") {
      const auto series = books.usage().series(meter, k_now - 72h, k_now + 1h, Granularity::hour);
      for (const UsageBucket& bucket : series) CHECK(bucket.value == hourly[bucket.start]);
    }
  }
}
