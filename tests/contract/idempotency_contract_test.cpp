// Idempotency keys: replay, mismatch, conflict, release, leases and expiry, on every adapter.
#include "billing/idempotency.hpp"

#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

namespace {

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
  for (const char* crash_at : {"claimed", "written", "committing"}) {
    CAPTURE(crash_at);
    Charges c(fixture<Adapter>());
    c.keys().configure({.fault_injection = [&](std::string_view step) {
      if (step == crash_at) throw std::runtime_error("crash");
    }});
    CHECK_THROWS_AS((void)c.charge("k1", "5.00"), std::runtime_error);
    c.keys().configure({});
    CHECK(c.charge("k1", "5.00").result == IdempotencyResult::executed);
    CHECK(c.charge("k1", "5.00").result == IdempotencyResult::replayed);
    CHECK(c.f.entry_count() == 1);
  }
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
