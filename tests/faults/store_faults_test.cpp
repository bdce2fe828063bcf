// Every public write, on every adapter, with the store failing at each of its calls in turn: a FaultStore
// (tests/support/fault_store.hpp) throws StorageError at call 1, then at call 2, ... of the write, as a
// storage engine that lost its disk or its connection would. Each run must:
//  - surface StorageError to the caller;
//  - leave the store exactly as it was (accounts and totals, chain head, entries, idempotency keys);
//  - keep verify() passing;
//  - let the same write, retried with the fault gone, succeed and end where a run without faults ends.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "support/fault_store.hpp"
#include "world.hpp"

using namespace billing;
using namespace billing::faults;
using billing::test::FaultAtCall;
using billing::test::FaultStore;

namespace {

struct MemoryAdapter {
  static constexpr const char* k_name = "memory";
  // The merge is SQLite's; in memory a write after 4,094 entries is like one after 10.
  static bool covers(const Scenario& scenario) { return scenario.base_entries == k_small_base_entries; }
  static Base open(const Scenario& scenario) { return memory_base(scenario.base_entries); }
};

struct SqliteAdapter {
  static constexpr const char* k_name = "sqlite";
  static bool covers(const Scenario&) { return true; }
  static Base open(const Scenario& scenario) { return sqlite_base(Durability::normal, scenario.base_entries); }
};

// The books on a fresh base, behind a FaultStore whose hook is unset.
struct Faulty {
  Base base;
  std::shared_ptr<FaultStore> faults;
  World world;

  explicit Faulty(Base opened)
      : base(std::move(opened)), faults(std::make_shared<FaultStore>(base.store)), world(faults) {
    world.resume(base.mark);
  }
};

}  // namespace

TEST_CASE_TEMPLATE("every public write, failed at each storage call, changes nothing, and its retry works", Adapter,
                   MemoryAdapter, SqliteAdapter) {
  int points = 0;
  int writes = 0;
  for (const Scenario& scenario : scenarios()) {
    if (!Adapter::covers(scenario)) continue;
    CAPTURE(scenario.name);
    // The run without faults: how many calls the write makes, and where it ends.
    Faulty reference(Adapter::open(scenario));
    const Snapshot before = reference.base.snapshot();
    const FaultAtCall counter(0, nullptr);
    reference.faults->set_hook(counter);
    REQUIRE(scenario.write(reference.world) == scenario.expected);
    reference.faults->set_hook(nullptr);
    const Snapshot after = reference.base.snapshot();
    REQUIRE_MESSAGE(!(after == before), "the write changed nothing, so a fault could not be seen");
    const int calls = counter.calls();
    REQUIRE(calls > 0);
    ++writes;

    for (int call = 1; call <= calls; ++call) {
      CAPTURE(call);
      Faulty run(Adapter::open(scenario));
      REQUIRE(run.base.snapshot() == before);
      const FaultAtCall fault(call, [] { throw StorageError("", "injected: the storage failed"); });
      run.faults->set_hook(fault);
      bool refused = false;
      try {
        (void)scenario.write(run.world);
      } catch (const StorageError&) {
        refused = true;
      }
      run.faults->set_hook(nullptr);
      CAPTURE(fault.operation());
      CHECK(fault.fired());
      CHECK(refused);
      const Snapshot failed = run.base.snapshot();
      CHECK_MESSAGE(failed == before, "after the fault: ", failed.summary(), "; before: ", before.summary());
      CHECK(run.world.books->ledger().verify().ok);

      run.world.resume(run.base.mark);  // the retry draws the ids and time the reference drew
      CHECK(scenario.write(run.world) == scenario.expected);
      const Snapshot retried = run.base.snapshot();
      CHECK_MESSAGE(retried == after, "after the retry: ", retried.summary(), "; expected: ", after.summary());
      CHECK(run.world.books->ledger().verify().ok);
      ++points;
    }
  }
  MESSAGE(
      fmt::format("store faults ({}): {} fault points over {} public writes; each refused with StorageError, "
                  "nothing committed, verify() ok, retry ok",
                  Adapter::k_name, points, writes));
}
