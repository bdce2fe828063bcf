// Idempotency crash points across processes: a child process runs the key "k" on a FaultStore and
// _exit(9)s at one of the crash points of tests/support/crash_points.hpp: after the claim committed
// ("claimed"), after the work wrote but before its completion is stored ("written"), or just before the
// commit ("committing"); one child per point, each on a fresh file. The parent then sends
// the same request: while the dead child's lease is live it gets conflict; once its manual clock passes
// the lease, it takes the key over and gets executed, exactly once. The ledger holds one effect.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "billing/storage/sqlite.hpp"
#include "crash_request.hpp"
#include "support.hpp"
#include "support/crash_points.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

TEST_CASE("a process that dies at any idempotency step leaves its key to one retry and one effect") {
  for (const test::CrashPoint& point : test::k_idempotency_crash_points) {
    const std::string step(point.name);
    INFO("crash at ", step);
    TempDir dir("crash-" + step);
    const std::string path = dir.file("crash.db");
    {
      Books books(open_sqlite(path));
      for (const char* id : {"customer", "merchant"}) {
        REQUIRE(books.accounts().create({.id = AccountId(id), .currency = Currency("USD"), .name = id}).result ==
                AccountResult::ok);
      }
    }
    std::string child_status;
    {
      Writer child({"crash-at", path, step});
      (void)child.rest();
      child_status = describe_status(child.wait());
      CHECK(child_status == "exited 9");
    }
    CHECK(integrity_check(path) == "ok");

    auto clock = std::make_shared<ManualClock>(Timestamp::parse(k_crash_start));
    Books books(open_sqlite(path), clock, std::make_shared<SequentialIds>("parent-"));
    const auto claim = books.idempotency().find(k_crash_key);
    REQUIRE(claim.has_value());
    CHECK(claim->state == IdempotencyRecord::State::in_flight);  // the child's claim outlived it

    int runs = 0;
    int conflicts = 0;
    int executed = 0;
    std::string outcome;
    const auto send = [&] {
      return books.idempotency().run(k_crash_key, k_crash_request, [&] {
        ++runs;
        return charge_customer(books);
      });
    };
    for (int attempt = 0; attempt < 3 && executed == 0; ++attempt) {
      const IdempotentOutcome result = send();
      if (result.result == IdempotencyResult::conflict) {
        ++conflicts;
        clock->advance(books.idempotency().options().lease + 1s);  // the dead child's lease runs out
      } else {
        CHECK(result.result == IdempotencyResult::executed);
        executed += result.result == IdempotencyResult::executed ? 1 : 0;
        outcome = result.outcome;
      }
    }
    CHECK(conflicts == 1);  // right after the crash the lease is live
    CHECK(executed == 1);
    CHECK(outcome == "ok:parent-000000000001");
    const IdempotentOutcome again = send();
    CHECK(again.result == IdempotencyResult::replayed);
    CHECK(again.outcome == outcome);
    CHECK(runs == 1);

    const VerifyReport report = books.ledger().verify();
    CHECK(report.ok);
    CHECK(report.entries_checked == 1);
    CHECK(books.ledger().balance(AccountId("merchant"))->totals.credits_posted == 5'00);
    MESSAGE("crash_at=", step, " child=\"", child_status, "\" conflicts_before_lease_ran_out=", conflicts,
            " executed=", executed, " replayed_after=", again.result == IdempotencyResult::replayed,
            " effects_per_key=", report.entries_checked);
  }
}
