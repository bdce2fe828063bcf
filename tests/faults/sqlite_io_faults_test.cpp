// Every public write on SQLite with the disk failing underneath: a VFS shim (tests/support/fault_vfs.hpp)
// fails the 1st, 2nd, ... write of any file, then each sync, then reports the disk full at each write.
// The files use Durability::full, so that every commit syncs. Each run must:
//  - surface StorageError to the caller, and leave the open store exactly as it was;
//  - leave the files such that a crash at that moment (a copy of the database and its -wal, opened
//    afresh) recovers whole units of work only: the state before the write, after it, or, for a write
//    of two units (an idempotent run's claim, then its work), between them; never a part of one unit;
//  - keep verify() passing, and let the same write, retried once the disk is back, succeed.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "support/fault_store.hpp"
#include "support/fault_vfs.hpp"
#include "world.hpp"

using namespace billing;
using namespace billing::faults;
using billing::test::FaultStore;
using billing::test::FaultVfs;

namespace {

// What a crash right now would leave: the database and its -wal copied as they are, opened afresh (which
// replays the -wal as recovery after a crash does).
Snapshot after_a_crash(const std::string& path) {
  const std::string image = scratch_path("crash");
  std::filesystem::copy_file(path, image);
  if (std::filesystem::exists(path + "-wal")) std::filesystem::copy_file(path + "-wal", image + "-wal");
  return snapshot(*open_sqlite(image), image);
}

// After `step`, the next of 1 .. `steps` to fail: every `stride`-th, and the last one always.
int next_step(int step, int steps, int stride) {
  if (step == steps) return steps + 1;
  return std::min(step + stride, steps);
}

}  // namespace

TEST_CASE(
    "every public write on SQLite, with a write, a sync or the disk failing at each step, commits all or nothing") {
  FaultVfs& vfs = FaultVfs::install();
  int points = 0;
  int writes = 0;
  int recovered_whole = 0;    // crash images that held the failed write in full: allowed, never a part
  int recovered_between = 0;  // ... that held its first units (an idempotent run's claim): allowed too
  std::map<FaultVfs::Fault, int> by_fault;
  for (const Scenario& scenario : scenarios()) {
    CAPTURE(scenario.name);
    const Base reference = sqlite_base(Durability::full, scenario.base_entries);
    // What each unit of work of the write leaves committed (most writes are one unit; an idempotent run
    // commits its claim first): taken at each begin, when the unit before has committed.
    std::vector<Snapshot> committed;
    auto watched = std::make_shared<FaultStore>(reference.store, [&](std::string_view operation) {
      if (operation == "begin") committed.push_back(reference.snapshot());
    });
    World world(watched);
    world.resume(reference.mark);
    const Snapshot before = reference.snapshot();
    vfs.arm(FaultVfs::Fault::none);
    REQUIRE(scenario.write(world) == scenario.expected);
    const int file_writes = vfs.writes();  // the snapshots only read
    const int file_syncs = vfs.syncs();
    watched->set_hook(nullptr);
    const Snapshot after = reference.snapshot();
    committed.push_back(after);
    REQUIRE(file_writes > 0);
    REQUIRE(file_syncs > 0);
    ++writes;

    for (const FaultVfs::Fault fault : {FaultVfs::Fault::write, FaultVfs::Fault::sync, FaultVfs::Fault::disk_full}) {
      const int steps = fault == FaultVfs::Fault::sync ? file_syncs : file_writes;
      const int stride = scenario.base_entries == k_small_base_entries ? 1 : large_base_stride();
      for (int step = 1; step <= steps; step = next_step(step, steps, stride)) {
        CAPTURE(FaultVfs::to_string(fault));
        CAPTURE(step);
        const Base run = sqlite_base(Durability::full, scenario.base_entries);
        World books(run.store);
        books.resume(run.mark);
        vfs.arm(fault, step);
        bool refused = false;
        try {
          (void)scenario.write(books);
        } catch (const StorageError&) {
          refused = true;
        }
        vfs.disarm();
        CHECK(vfs.fired());
        CHECK(refused);
        const Snapshot failed = run.snapshot();
        CHECK_MESSAGE(failed == before, "after the fault: ", failed.summary(), "; before: ", before.summary());

        // Never a part of a unit of work: the state before, after, or between two of its units.
        const Snapshot crashed = after_a_crash(run.path);
        CHECK_MESSAGE(std::find(committed.begin(), committed.end(), crashed) != committed.end(),
                      "a crash now recovers ", crashed.summary());
        if (crashed == after) ++recovered_whole;
        if (!(crashed == after) && !(crashed == before)) ++recovered_between;
        CHECK(books.books->ledger().verify().ok);

        books.resume(run.mark);
        CHECK(scenario.write(books) == scenario.expected);
        CHECK(run.snapshot() == after);
        CHECK(books.books->ledger().verify().ok);
        ++points;
        ++by_fault[fault];
      }
    }
  }
  MESSAGE(fmt::format(
      "SQLite I/O faults: {} fault points over {} public writes ({} failed writes, {} failed syncs, "
      "{} disk-full writes); each refused with StorageError, nothing committed in the open store, "
      "retry ok; a crash at the fault recovers whole units of work only ({} of {} images held the whole write, "
      "{} its first unit, the rest nothing)",
      points, writes, by_fault[FaultVfs::Fault::write], by_fault[FaultVfs::Fault::sync],
      by_fault[FaultVfs::Fault::disk_full], recovered_whole, points, recovered_between));
}
