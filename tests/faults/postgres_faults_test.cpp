// The PostgreSQL server crashing under a writer (support/postgres_server.hpp: pg_ctl stop -m immediate, no
// checkpoint, every connection cut). A thread posts a stream of transfers with Durability::full, one unit
// of work each, and records every one the library acknowledged; mid-stream the server crashes. Three rounds
// on one store, never reopened:
//  - the poster sees StorageError, within a bound: not another exception, not a crash, not a hang;
//  - once the server is back (WAL replayed), the same store posts again without a failure;
//  - every acknowledged transfer is stored, at most the one in flight at the crash is stored unacknowledged,
//    and verify() walks exactly those entries.
// It needs a server of its own: with BILLING_TEST_POSTGRES naming an outside one, it skips.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>

#include "billing/books.hpp"
#include "billing/error.hpp"
#include "billing/storage/postgres.hpp"
#include "support/postgres_server.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::PostgresServer;

namespace {

constexpr int k_rounds = 3;
constexpr int k_acks_before_crash = 150;  // per round
constexpr int k_posts_after_restart = 50;
constexpr auto k_ack_wait = 60s;
constexpr auto k_error_wait = 30s;  // from the crash to the poster's StorageError

Money cent() { return Money::parse("0.01 USD"); }

// What the poster thread saw. The thread owns a share of the books, so that a poster the test gave up on
// (a hang) still has them.
struct Stream {
  explicit Stream(std::shared_ptr<Books> on) : books(std::move(on)) {}

  std::shared_ptr<Books> books;
  std::atomic<int> acked_count{0};
  std::mutex mutex;
  std::vector<std::string> acked;  // ids the library returned ok for
  std::string in_flight;           // the id being posted when the error came
  std::string error_type;          // "StorageError", or the type of whatever else ended the stream
  std::string error_what;
};

// Posts "<prefix>-<n>" for n = 1, 2, ... until an exception; each transfer's result must be ok.
void post_until_failure(Stream& stream, const std::string& prefix) {
  for (int n = 1;; ++n) {
    const std::string id = fmt::format("{}-{:06}", prefix, n);
    {
      const std::lock_guard lock(stream.mutex);
      stream.in_flight = id;
    }
    try {
      const PostOutcome outcome = stream.books->ledger().transfer(
          {.id = EntryId(id), .debit = AccountId("to"), .credit = AccountId("from"), .amount = cent()});
      if (outcome.result != PostResult::ok) {
        const std::lock_guard lock(stream.mutex);
        stream.error_type = fmt::format("result {}", to_string(outcome.result));
        return;
      }
    } catch (const StorageError& e) {
      const std::lock_guard lock(stream.mutex);
      stream.error_type = "StorageError";
      stream.error_what = e.what();
      return;
    } catch (const std::exception& e) {
      const std::lock_guard lock(stream.mutex);
      stream.error_type = typeid(e).name();
      stream.error_what = e.what();
      return;
    }
    const std::lock_guard lock(stream.mutex);
    stream.acked.push_back(id);
    stream.acked_count.fetch_add(1);
  }
}

bool wait_for_acks(const Stream& stream, int count, std::chrono::steady_clock::duration within) {
  const auto stop = std::chrono::steady_clock::now() + within;
  while (stream.acked_count.load() < count) {
    if (std::chrono::steady_clock::now() >= stop) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("postgres: a server crash mid-stream is a StorageError, and the same store works once it is back") {
  if (const char* outside = std::getenv("BILLING_TEST_POSTGRES"); outside != nullptr && *outside != '\0') {
    MESSAGE("skipped: BILLING_TEST_POSTGRES names an outside server, which this test cannot crash");
    return;
  }
  PostgresServer& server = PostgresServer::shared();
  const std::string schema = server.unique_schema();
  auto books = std::make_shared<Books>(
      open_postgres(server.conninfo(), {.durability = Durability::full, .schema = schema, .lock_timeout = 5s}));
  for (const char* id : {"from", "to"}) {
    REQUIRE(books->accounts().create({.id = AccountId(id), .currency = Currency("USD"), .name = id}).result ==
            AccountResult::ok);
  }

  std::vector<std::string> acked;
  std::vector<std::string> in_doubt;  // in flight at a crash: stored or not
  std::int64_t worst_error_ms = 0;
  std::int64_t worst_restart_ms = 0;
  int posted_after_restarts = 0;
  for (int round = 1; round <= k_rounds; ++round) {
    CAPTURE(round);
    auto stream = std::make_shared<Stream>(books);
    std::promise<void> finished;
    std::future<void> ended = finished.get_future();
    std::thread poster([stream, round, done = std::move(finished)]() mutable {
      post_until_failure(*stream, fmt::format("r{}", round));
      done.set_value();
    });
    const bool acks_came = wait_for_acks(*stream, k_acks_before_crash, k_ack_wait);
    const auto crashed = std::chrono::steady_clock::now();  // so error_ms includes pg_ctl's own time
    server.crash();
    const bool poster_ended = ended.wait_for(k_error_wait) == std::future_status::ready;
    const std::int64_t error_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - crashed).count();
    if (!poster_ended) {
      poster.detach();  // it holds its own share of the books and the stream
      server.start();
      FAIL("the poster neither failed nor finished within ", k_error_wait.count(), " s of the crash");
    }
    poster.join();
    CHECK_MESSAGE(acks_came, "the poster had ", stream->acked_count.load(), " acknowledgements before the crash");
    CHECK_MESSAGE(stream->error_type == "StorageError", stream->error_type, ": ", stream->error_what);
    worst_error_ms = std::max(worst_error_ms, error_ms);
    acked.insert(acked.end(), stream->acked.begin(), stream->acked.end());
    in_doubt.push_back(stream->in_flight);
    MESSAGE("round ", round, ": acked=", stream->acked.size(), " error_ms_from_crash_start=", error_ms,
            " error: ", stream->error_what);

    const auto restarting = std::chrono::steady_clock::now();
    server.start();
    worst_restart_ms = std::max(
        worst_restart_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarting).count());
    // The same store, not reopened: its pool connects afresh.
    for (int n = 1; n <= k_posts_after_restart; ++n) {
      const std::string id = fmt::format("after{}-{:06}", round, n);
      CAPTURE(id);
      PostOutcome outcome;
      try {
        outcome = books->ledger().transfer(
            {.id = EntryId(id), .debit = AccountId("to"), .credit = AccountId("from"), .amount = cent()});
      } catch (const std::exception& e) {
        FAIL("a transfer after the restart failed: ", e.what());
      }
      REQUIRE(outcome.result == PostResult::ok);
      acked.push_back(id);
      ++posted_after_restarts;
    }
  }

  std::uint64_t missing = 0;
  for (const std::string& id : acked) {
    if (!books->ledger().entry(EntryId(id)).has_value()) {
      ++missing;
      CHECK_MESSAGE(false, "acknowledged ", id, " is not stored");
    }
  }
  std::uint64_t in_doubt_stored = 0;
  for (const std::string& id : in_doubt) in_doubt_stored += books->ledger().entry(EntryId(id)).has_value() ? 1 : 0;
  const VerifyReport report = books->ledger().verify();
  CHECK_MESSAGE(report.ok, "verify: ", report.problem);
  CHECK(report.entries_checked == acked.size() + in_doubt_stored);
  const auto to = books->ledger().balance(AccountId("to"));
  REQUIRE(to.has_value());
  CHECK(to->totals.debits_posted == static_cast<std::int64_t>(report.entries_checked));  // one cent each
  MESSAGE("postgres crash: rounds=", k_rounds, " acknowledged=", acked.size(), " acknowledged_missing=", missing,
          " in_flight_at_crash_stored=", in_doubt_stored, "/", in_doubt.size(),
          " posted_after_restarts=", posted_after_restarts, " entries_verified=", report.entries_checked,
          " worst_error_ms_from_crash_start=", worst_error_ms, " worst_restart_ms=", worst_restart_ms);
}
