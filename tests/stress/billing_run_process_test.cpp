// Two processes run the billing run on one SQLite file at the same time and bill each due period once between
// them. The books are those of billing_run_workload.hpp (300 monthly subscriptions, each 3 to 6 periods behind);
// two billing_stress_writer processes, each with its own connections, start together past a gate file and each
// calls books.billing().run(as_of) once. Every period's unit of work reads what is due under the write lock, so
// the second process finds a period the first billed advanced, and skips it:
//  - the invoices the two report created add up to the invoices stored, and to the due periods;
//  - every due (subscription, period) is billed exactly once and nothing else is (check_billed_once);
//  - PRAGMA integrity_check says ok and verify() passes.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "billing/billing_run.hpp"
#include "billing/storage/sqlite.hpp"
#include "billing_run_workload.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

constexpr int k_processes = 2;

}  // namespace

TEST_CASE("two processes running the billing run on one file at once bill each due period exactly once") {
  TempDir dir("billing-run-processes");
  const std::string path = dir.file("billing.db");
  const std::string gate = dir.file("go");
  {
    Books books(open_sqlite(path, {.durability = Durability::normal}),
                std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z")));
    set_up_billing(books);
  }
  const std::vector<DueSubscription> due = due_subscriptions();
  const std::uint64_t due_periods = due_period_count(due);

  std::vector<std::unique_ptr<Writer>> writers;
  for (int p = 0; p < k_processes; ++p) {
    writers.push_back(std::make_unique<Writer>(billing_run_args(path, k_max_billing_run, gate)));
  }
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int p = 0; p < k_processes; ++p) {
    INFO("writer ", p);
    REQUIRE(writers[static_cast<std::size_t>(p)]->line(ready_by) == std::optional<std::string>("ready"));
  }
  const auto began = std::chrono::steady_clock::now();
  std::ofstream(gate).put('\n');

  std::uint64_t created = 0;
  std::string created_per_process;
  int processes_that_billed = 0;
  for (int p = 0; p < k_processes; ++p) {
    HeardRun heard{.ready = true};
    for (const std::string& line : writers[static_cast<std::size_t>(p)]->rest()) hear(heard, line);
    const int status = writers[static_cast<std::size_t>(p)]->wait();
    INFO("writer ", p, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    CHECK(heard.done);
    CHECK(heard.calls == 1);               // one run, under no limit but the library's
    CHECK(heard.billed == heard.created);  // no invoice was there before the run that billed its period
    CHECK(heard.jobs == heard.created);
    created += heard.created;
    processes_that_billed += heard.created > 0 ? 1 : 0;
    created_per_process += (p == 0 ? "" : "/") + std::to_string(heard.created);
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  REQUIRE(integrity_check(path) == "ok");
  Books books(open_sqlite(path, {.durability = Durability::normal}),
              std::make_shared<ManualClock>(Timestamp::parse(k_billing_as_of)));
  const std::uint64_t invoices = check_billed_once(books, due);
  CHECK(created == invoices);
  CHECK(invoices == due_periods);
  // SQLite does not queue waiting writers fairly: now and then one process takes the write lock for every period.
  WARN_MESSAGE(processes_that_billed == k_processes, "one process billed every period: the two did not race");
  MESSAGE("processes=", k_processes, " subscriptions=", k_billing_subscriptions, " due_periods=", due_periods,
          " invoices=", invoices, " invoices_created_per_process=", created_per_process, " elapsed_ms=", elapsed_ms);
}
