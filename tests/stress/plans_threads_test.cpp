// Threads race for one quota: 4 threads each ask 300 times for a quota of 500 on one subject, and for a
// bucket of 50 tokens on a stopped clock. At most N are allowed for a quota of N, exactly N when more were
// asked for, and no allowed call is lost: the stored state and the usage meter count what was allowed.
#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "adapters.hpp"
#include "billing/storage/plan_repository.hpp"  // QuotaState, which Quotas::state returns
#include "support.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

constexpr int k_threads = 4;
constexpr int k_calls = 300;

}  // namespace

TEST_CASE_TEMPLATE("4 threads consume one quota and one bucket: never more than N allowed, none lost", Adapter,
                   MemoryStore, SqliteStore) {
  TempDir dir(std::string("plans-threads-") + Adapter::k_name);
  auto store = Adapter::open(dir);
  Books books(store, std::make_shared<ManualClock>(Timestamp::parse("2026-03-15T12:00:00Z")));
  (void)books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count});
  (void)books.plans().create({.code = "quota", .currency = Currency("USD"), .quota = 500, .quota_meter = "api_calls"});
  (void)books.plans().create({.code = "bucket", .currency = Currency("USD"), .quota_meter = "api_calls",
                              .rate_per_second = Decimal(10), .burst = 50});

  std::atomic<int> allowed_quota{0};
  std::atomic<int> allowed_bucket{0};
  std::atomic<int> failures{0};
  std::latch start(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        for (int i = 0; i < k_calls; ++i) {
          if (books.quotas().consume({.subject = "shared", .plan = "quota"}).allowed()) ++allowed_quota;
          if (books.quotas().consume({.subject = "burst", .plan = "bucket"}).allowed()) ++allowed_bucket;
        }
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  CHECK(allowed_quota.load() == 500);
  CHECK(allowed_bucket.load() == 50);
  CHECK(books.quotas().state("quota", "shared")->used == 500u);
  CHECK(books.quotas().state("bucket", "burst")->allowed_total == 50u);
  CHECK(books.usage().total("api_calls", "shared") == Decimal(500));
  CHECK(books.usage().total("api_calls", "burst") == Decimal(50));
}
