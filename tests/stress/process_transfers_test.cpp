// Processes on one SQLite file: 4 writer processes post the same kind of transfers as the thread test
// (four in five on the hot wallet), each through its own connections. The same invariants hold, and no
// writer saw a StorageError: one that did would exit non-zero.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "billing/storage/sqlite.hpp"
#include "support.hpp"
#include "workload.hpp"

using namespace billing;
using namespace billing::stress;

TEST_CASE("processes transfer against one hot wallet in one file: conserved, verified, never over its limit") {
  constexpr int k_processes = 4;
  constexpr int k_per_process = 5'000;
  TempDir dir("processes");
  const std::string path = dir.file("shared.db");
  {
    Books books(open_sqlite(path, {.durability = Durability::normal}));
    open_accounts(books, k_processes);
  }

  const auto began = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Writer>> writers;
  for (int p = 0; p < k_processes; ++p) {
    writers.push_back(std::make_unique<Writer>(
        std::vector<std::string>{"transfers", path, std::to_string(p), std::to_string(k_per_process)}));
  }
  std::uint64_t ok = 0;
  for (int p = 0; p < k_processes; ++p) {
    const std::vector<std::string> lines = writers[static_cast<std::size_t>(p)]->rest();
    const int status = writers[static_cast<std::size_t>(p)]->wait();
    INFO("writer ", p, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    REQUIRE(lines.size() == 1);
    ok += std::stoull(lines.front());
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  CHECK(integrity_check(path) == "ok");
  Books books(open_sqlite(path, {.durability = Durability::normal}));
  const LedgerFigures figures = check_ledger(books, ok + 1);  // + the funding entry
  CHECK(ok < std::uint64_t{k_processes} * k_per_process);     // some spends were refused at the limit
  MESSAGE("processes=", k_processes, " transfers=", k_processes * k_per_process, " ok=", ok,
          " entries=", figures.entries, " hot_entries_checked=", figures.hot_entries, " elapsed_ms=", elapsed_ms);
}
