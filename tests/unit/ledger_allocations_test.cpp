// The in-memory ledger's hot path, counted in heap allocations (deterministic, unlike time): a batch of
// transfers in the steady state. The bound is today's figure with a little room, so that a change that
// brings back a per-posting copy or map shows here; docs/benchmarks.md has the measured history.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "billing/books.hpp"
#include "billing/storage/memory.hpp"

using namespace billing;

namespace {

std::vector<EntryRequest> batch(const std::vector<AccountId>& accounts, int first) {
  const Currency usd("USD");
  std::vector<EntryRequest> out;
  for (int i = 0; i < 1000; ++i) {
    const int from = (first + i) % static_cast<int>(accounts.size());
    const int to = (first + 7 * i + 1) % static_cast<int>(accounts.size());
    if (from == to) continue;
    out.push_back({.id = EntryId(fmt::format("e-{:08}", first + i)),
                   .postings = {{accounts[from], Side::debit, Money::from_minor(100 + i, usd)},
                                {accounts[to], Side::credit, Money::from_minor(100 + i, usd)}}});
  }
  return out;
}

}  // namespace

TEST_CASE("memory post_batch makes at most 5 heap allocations per posting in the steady state") {
  Books books(open_memory(), std::make_shared<ManualClock>(Timestamp::parse("2026-12-01T00:00:00Z")),
              std::make_shared<SequentialIds>("gen-"));
  std::vector<AccountId> accounts;
  for (int i = 0; i < 100; ++i) {
    accounts.push_back(
        books.accounts()
            .create({.id = AccountId(fmt::format("acct-{:03}", i)), .currency = Currency("USD"), .name = "x"})
            .account->id);
  }
  for (int warm = 0; warm < 3; ++warm)
    REQUIRE(books.ledger().post_batch(batch(accounts, warm * 1000)).front().result == PostResult::ok);

  const std::vector<EntryRequest> requests = batch(accounts, 3000);  // built before counting: the caller's
  std::size_t postings = 0;
  for (const EntryRequest& request : requests) postings += request.postings.size();
  const std::size_t before = test::allocations_on_this_thread();
  const auto outcomes = books.ledger().post_batch(requests);
  const std::size_t made = test::allocations_on_this_thread() - before;
  REQUIRE(outcomes.size() == requests.size());
  CHECK(outcomes.back().result == PostResult::ok);
  const double per_posting = static_cast<double>(made) / static_cast<double>(postings);
  MESSAGE("memory post_batch: " << per_posting << " allocations per posting");
  CHECK(per_posting <= 5.0);
}
