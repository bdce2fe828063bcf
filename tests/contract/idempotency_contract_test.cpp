// Idempotency keys: replay, mismatch, conflict, release, leases and expiry, on every adapter. Failures
// and crashes at a chosen step come from a FaultStore around the adapter.
#include "billing/idempotency.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/ranges.h>

#include "adapters.hpp"
#include "support/crash_points.hpp"
#include "support/fault_store.hpp"

using namespace billing;
using billing::test::CrashPoint;
using billing::test::FaultAt;
using billing::test::FaultStore;
using billing::test::fixture;
using billing::test::usd;

namespace {

// What a work function throws when the host fails: a type of its own, so that a check on it can never
// be satisfied by a StorageError from the store.
struct HostFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Charges : test::CustomerAndMerchant {
  using CustomerAndMerchant::CustomerAndMerchant;
  int runs = 0;

  Idempotency& keys() { return f.books->idempotency(); }

  /// Charges `amount` under `key`, with the amount as the request.
  IdempotentOutcome charge(const std::string& key, const char* amount, const std::string& scope = "tenant-1") {
    return keys().run({.scope = scope, .key = key}, amount, [&] {
      ++runs;
      const auto posted = f.ledger().transfer({.debit = customer, .credit = merchant, .amount = usd(amount)});
      return fmt::format("{}:{}", to_string(posted.result), posted.entry ? posted.entry->id.str() : "-");
    });
  }
};

/// Books whose store is a FaultStore around a fresh store of `Adapter`; the hook is unset until a test
/// sets it, so the accounts open normally.
template <class Adapter>
struct FaultyCharges : Charges {
  std::shared_ptr<FaultStore> faults;
  explicit FaultyCharges(std::shared_ptr<FaultStore> store) : Charges(test::Fixture(store)), faults(std::move(store)) {}
  FaultyCharges() : FaultyCharges(std::make_shared<FaultStore>(Adapter::open())) {}
};

// Where the `occurrence`-th call of `operation` is in `log`, or log.size() when it is not there.
std::size_t position(const std::vector<std::string>& log, std::string_view operation, int occurrence) {
  int seen = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (log[i] == operation && ++seen == occurrence) return i;
  }
  return log.size();
}

std::size_t first(const std::vector<std::string>& log, std::string_view operation) {
  return position(log, operation, 1);
}

}  // namespace

CONTRACT_TEST("the same key and request runs once and replays its stored outcome") {
  Charges c(fixture<Adapter>());
  const auto first = c.charge("k1", "5.00");
  CHECK(first.result == IdempotencyResult::executed);
  CHECK(first.outcome == "ok:gen-000000000001");
  const auto again = c.charge("k1", "5.00");
  CHECK(again.result == IdempotencyResult::replayed);
  CHECK(again.outcome == first.outcome);
  CHECK(c.runs == 1);
  CHECK(c.f.entry_count() == 1);
  // A key is scoped: another tenant's k1 is another key.
  CHECK(c.charge("k1", "5.00", "tenant-2").result == IdempotencyResult::executed);
  CHECK(c.runs == 2);
}

CONTRACT_TEST("the same key with another request is a mismatch, and does nothing") {
  Charges c(fixture<Adapter>());
  REQUIRE(c.charge("k1", "5.00").result == IdempotencyResult::executed);
  const auto other = c.charge("k1", "6.00");
  CHECK(other.result == IdempotencyResult::mismatch);
  CHECK(other.outcome.empty());
  CHECK(c.runs == 1);
}

CONTRACT_TEST("a business rejection is stored and replayed like a success") {
  Charges c(fixture<Adapter>());
  REQUIRE(c.f.accounts().set_status(c.customer, AccountStatus::inactive).result == StatusResult::ok);
  const auto rejected = c.charge("k1", "5.00");
  CHECK(rejected.result == IdempotencyResult::executed);
  CHECK(rejected.outcome == "account_inactive:-");
  REQUIRE(c.f.accounts().set_status(c.customer, AccountStatus::active).result == StatusResult::ok);
  CHECK(c.charge("k1", "5.00").outcome == "account_inactive:-");
  CHECK(c.runs == 1);
  CHECK(c.f.entry_count() == 0);
}

CONTRACT_TEST("an exception releases the key and rolls back the work, so a retry runs") {
  Charges c(fixture<Adapter>());
  CHECK_THROWS_AS((void)c.keys().run({.key = "k1"}, "5.00",
                                     [&]() -> std::string {
                                       (void)c.f.ledger().transfer(
                                           {.debit = c.customer, .credit = c.merchant, .amount = usd("5.00")});
                                       throw std::runtime_error("the host failed after the write");
                                     }),
                  std::runtime_error);
  CHECK(c.f.entry_count() == 0);
  CHECK_FALSE(c.keys().find({.key = "k1"}).has_value());
  CHECK(c.charge("k1", "5.00", "").result == IdempotencyResult::executed);
  CHECK(c.f.entry_count() == 1);
}

CONTRACT_TEST("each crash point leaves exactly one effect after a retry") {
  for (const CrashPoint& point : test::k_idempotency_crash_points) {
    CAPTURE(point.name);
    FaultyCharges<Adapter> c;
    const FaultAt crash(std::string(point.operation), point.occurrence, [] { throw HostFailure("crash"); });
    c.faults->set_hook(crash);
    CHECK_THROWS_AS((void)c.charge("k1", "5.00"), HostFailure);
    CHECK(crash.fired());
    c.faults->set_hook(nullptr);
    CHECK(c.charge("k1", "5.00").result == IdempotencyResult::executed);
    CHECK(c.charge("k1", "5.00").result == IdempotencyResult::replayed);
    CHECK(c.f.entry_count() == 1);
  }
}

CONTRACT_TEST("the crash points fall at the moments they are named after") {
  FaultyCharges<Adapter> c;
  std::vector<std::string> log;
  c.faults->set_hook([&](std::string_view operation) { log.emplace_back(operation); });
  REQUIRE(c.charge("k1", "5.00").result == IdempotencyResult::executed);
  c.faults->set_hook(nullptr);
  CAPTURE(fmt::format("{}", fmt::join(log, " ")));

  const auto at = [&](std::string_view name) {
    const CrashPoint& point = test::idempotency_crash_point(name);
    return position(log, point.operation, point.occurrence);
  };
  const std::size_t claimed = at("claimed");
  const std::size_t written = at("written");
  const std::size_t committing = at("committing");
  REQUIRE(committing < log.size());
  CHECK(first(log, "commit") < claimed);         // the claim has committed...
  CHECK(claimed < first(log, "ledger.append"));  // ...and the work has not begun
  CHECK(first(log, "ledger.append") < written);  // the work has written...
  CHECK(log[written] == "idempotency.put");      // ...and its completion is next
  CHECK(written < committing);                   // the completion is stored...
  CHECK(committing == log.size() - 1);           // ...and the commit is the last call
}

CONTRACT_TEST("a release that fails never hides the exception of the work") {
  FaultyCharges<Adapter> c;
  const FaultAt broken_release("idempotency.remove", 1, [] { throw StorageError("", "the disk went away"); });
  c.faults->set_hook(broken_release);
  CHECK_THROWS_WITH_AS((void)c.keys().run({.scope = "tenant-1", .key = "k1"}, "5.00",
                                          [&]() -> std::string {
                                            (void)c.f.ledger().transfer(
                                                {.debit = c.customer, .credit = c.merchant, .amount = usd("5.00")});
                                            throw HostFailure("the gateway timed out");
                                          }),
                       "the gateway timed out", HostFailure);
  CHECK(broken_release.fired());
  c.faults->set_hook(nullptr);
  CHECK(c.f.entry_count() == 0);  // the work's writes rolled back all the same
  // The claim stayed behind, so the key waits for its lease, as after a crash.
  CHECK(c.charge("k1", "5.00").result == IdempotencyResult::conflict);
  c.f.clock->advance(c.keys().options().lease + std::chrono::seconds(1));
  CHECK(c.charge("k1", "5.00").result == IdempotencyResult::executed);
  CHECK(c.f.entry_count() == 1);
}

CONTRACT_TEST("inside a transaction, a release that fails never hides the exception of the work") {
  FaultyCharges<Adapter> c;
  const FaultAt broken_release("idempotency.remove", 1, [] { throw StorageError("", "the disk went away"); });
  c.faults->set_hook(broken_release);
  {
    auto work = c.f.books->transaction();
    CHECK_THROWS_WITH_AS(
        (void)c.keys().run({.key = "k1"}, "5.00", []() -> std::string { throw HostFailure("the gateway timed out"); }),
        "the gateway timed out", HostFailure);
  }  // rolled back: the claim goes with it
  CHECK(broken_release.fired());
  c.faults->set_hook(nullptr);
  CHECK_FALSE(c.keys().find({.key = "k1"}).has_value());
}

CONTRACT_TEST("a key in flight is a conflict until its holder's lease runs out") {
  Charges c(fixture<Adapter>());
  // A holder that claimed the key and died: its claim is stored, its work never committed.
  {
    UnitOfWork work(*c.f.store, Access::write);
    const Timestamp now = c.f.clock->now();
    work->idempotency().put({.scope = "tenant-1",
                             .key = "k1",
                             .fingerprint = detail::sha256({"5.00"}),
                             .state = IdempotencyRecord::State::in_flight,
                             .owner = "dead-process",
                             .created_at = now,
                             .lease_until = now + std::chrono::seconds(30),
                             .expires_at = now + std::chrono::hours(24)});
    work.commit();
  }
  CHECK(c.charge("k1", "5.00").result == IdempotencyResult::conflict);
  CHECK(c.charge("k1", "9.99").result == IdempotencyResult::mismatch);
  c.f.clock->advance(std::chrono::seconds(31));
  CHECK(c.charge("k1", "5.00").result == IdempotencyResult::executed);
  CHECK(c.runs == 1);
  CHECK(c.f.entry_count() == 1);
}

CONTRACT_TEST("keys expire after the window, may then be reused, and purge removes them") {
  Charges c(fixture<Adapter>());
  c.keys().configure({.window = std::chrono::hours(1)});
  REQUIRE(c.charge("k1", "5.00").result == IdempotencyResult::executed);
  REQUIRE(c.charge("k2", "5.00").result == IdempotencyResult::executed);
  c.f.clock->advance(std::chrono::minutes(59));
  CHECK(c.charge("k1", "5.00").result == IdempotencyResult::replayed);
  c.f.clock->advance(std::chrono::minutes(2));
  CHECK(c.charge("k1", "7.00").result == IdempotencyResult::executed);  // a new request under an old key
  CHECK(c.keys().purge_expired() == 1);                                 // k2; k1 was renewed
  CHECK_FALSE(c.keys().find({.scope = "tenant-1", .key = "k2"}).has_value());
  CHECK(c.keys().find({.scope = "tenant-1", .key = "k1"})->state == IdempotencyRecord::State::completed);
}

CONTRACT_TEST("a key guards several writes in the caller's transaction") {
  Charges c(fixture<Adapter>());
  {
    auto work = c.f.books->transaction();
    const auto outcome = c.keys().run({.key = "order-1"}, "order", [&] {
      (void)c.f.ledger().transfer({.debit = c.customer, .credit = c.merchant, .amount = usd("1.00")});
      (void)c.f.ledger().transfer({.debit = c.customer, .credit = c.merchant, .amount = usd("2.00")});
      return std::string("two");
    });
    CHECK(outcome.result == IdempotencyResult::executed);
  }  // not committed: the key and both writes go
  CHECK(c.f.entry_count() == 0);
  CHECK_FALSE(c.keys().find({.key = "order-1"}).has_value());
  {
    auto work = c.f.books->transaction();
    CHECK(c.keys().run({.key = "order-1"}, "order", [] { return std::string("two"); }).result ==
          IdempotencyResult::executed);
    work->commit();
  }
  CHECK(c.keys().run({.key = "order-1"}, "order", [] { return std::string("again"); }).outcome == "two");
}

CONTRACT_TEST("malformed keys are errors naming the field") {
  Charges c(fixture<Adapter>());
  const auto nothing = [] { return std::string(); };
  CHECK_THROWS_AS((void)c.keys().run({.key = ""}, "r", nothing), InvalidArgument);
  CHECK_THROWS_AS((void)c.keys().run({.key = std::string(256, 'k')}, "r", nothing), InvalidArgument);
  CHECK_THROWS_AS((void)c.keys().run({.scope = std::string(256, 's'), .key = "k"}, "r", nothing), InvalidArgument);
  CHECK(c.keys().run({.key = std::string(255, 'k')}, "r", nothing).result == IdempotencyResult::executed);
}

CONTRACT_TEST("a window or lease that would switch idempotency off is refused, and the options stay") {
  Charges c(fixture<Adapter>());
  using std::chrono::hours;
  using std::chrono::microseconds;
  const IdempotencyOptions before = c.keys().options();
  const auto field_of = [&](IdempotencyOptions options) {
    try {
      c.keys().configure(options);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of({.window = microseconds(0)}) == "window");
  CHECK(field_of({.window = microseconds(-1)}) == "window");
  CHECK(field_of({.window = IdempotencyOptions::k_max_window + microseconds(1)}) == "window");
  CHECK(field_of({.window = hours(1), .lease = microseconds(0)}) == "lease");
  CHECK(field_of({.window = hours(1), .lease = microseconds(-5)}) == "lease");
  CHECK(field_of({.window = hours(1), .lease = hours(2)}) == "lease");  // a claim may not outlive its record
  CHECK(c.keys().options().window == before.window);
  CHECK(c.keys().options().lease == before.lease);
  // The same key and request three times is still one charge.
  for (int i = 0; i < 3; ++i) (void)c.charge("k", "5.00");
  CHECK(c.runs == 1);
  CHECK(field_of({.window = IdempotencyOptions::k_max_window, .lease = IdempotencyOptions::k_max_window}) ==
        "accepted");
  CHECK(field_of({.window = microseconds(1), .lease = microseconds(1)}) == "accepted");
}

CONTRACT_TEST("a request or an outcome beyond its limit is refused, and leaves no key behind") {
  Charges c(fixture<Adapter>());
  const std::string huge(k_max_idempotency_request_bytes + 1, 'r');
  try {
    (void)c.keys().run({.key = "big"}, huge, [] { return std::string("ran"); });
    FAIL("accepted");
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == "request");
  }
  CHECK_FALSE(c.keys().find({.key = "big"}).has_value());
  try {
    (void)c.keys().run({.key = "big"}, "r", [&] {
      (void)c.f.ledger().transfer({.debit = c.customer, .credit = c.merchant, .amount = usd("1.00")});
      return std::string(k_max_idempotency_outcome_bytes + 1, 'o');
    });
    FAIL("accepted");
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == "outcome");
  }
  CHECK_FALSE(c.keys().find({.key = "big"}).has_value());
  CHECK(c.f.entry_count() == 0);  // the work's transfer rolled back with it
  CHECK(c.keys().run({.key = "big"}, "r", [] { return std::string("ok"); }).result == IdempotencyResult::executed);
}
