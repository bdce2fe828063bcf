// The billing run SIGKILLed at random points bills each due period once. A SQLite file holds 300 monthly
// subscriptions, each 3 to 6 periods behind (billing_run_workload.hpp). A billing_stress_writer runs the billing
// run in calls of 4 periods and reports after each; the parent SIGKILLs it after a random number of those
// reports and a random part of the time a call takes, so that the kill lands anywhere in the next call's units
// of work (one life in five is killed 0-20 ms after its start instead, maybe while it opens the file). After 50
// kills, each followed by a new writer on the same file, one writer runs to the end and one more finds nothing
// due. The seed is fixed (k_seed) and printed with the figures.
// After every kill:
//  - PRAGMA integrity_check says ok and verify() passes;
//  - invoices stored = periods advanced = ledger entries = payment jobs: each period was billed whole or not at all;
//  - every period a writer reported billed is in the file.
// At the end, every due (subscription, period) is billed exactly once and nothing else is (check_billed_once):
// one invoice each, numbered 1..N, one ledger entry and one payment job each, subscriptions advanced to the as_of.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "billing/storage/sqlite.hpp"
#include "billing_run_workload.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr int k_kills = 50;
constexpr unsigned k_seed = 20'260'111;
constexpr std::size_t k_periods_per_call = 4;
// A life hears at most this many reports before its kill: 50 lives then bill about half the due periods, so that
// every one is killed mid-run and the last writer still has work, however fast the build.
constexpr int k_most_calls_before_kill = 5;
constexpr int k_most_delay_from_start_ms = 20;

// When a life is killed: `from_start_delay` after its start, or after `calls` reports and a part (0 to 1) of the
// time its last call took, so that the kill lands anywhere in the next call, in a slow build as in a fast one.
struct KillPoint {
  bool from_start = false;
  std::chrono::milliseconds from_start_delay{0};
  int calls = 0;
  double part_of_a_call = 0;
};

struct Life {
  HeardRun heard;
  int status = 0;
};

// One writer's life. `call_time` is how long a call of the writer took, as the parent heard its reports: read
// for a kill after the "ready" line alone, and updated from this life's reports.
Life run_and_kill(const std::string& path, const KillPoint& point, std::chrono::microseconds& call_time) {
  Writer writer(billing_run_args(path, k_periods_per_call));
  Life life;
  if (!point.from_start) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto last_line_at = std::chrono::steady_clock::now();
    while (!life.heard.done && (!life.heard.ready || life.heard.calls < static_cast<std::uint64_t>(point.calls))) {
      const auto line = writer.line(deadline);
      REQUIRE_MESSAGE(line.has_value(), "the writer went quiet before its kill point");
      hear(life.heard, *line);
      const auto now = std::chrono::steady_clock::now();
      if (line->starts_with("ran ")) {
        call_time = std::chrono::duration_cast<std::chrono::microseconds>(now - last_line_at);
      }
      last_line_at = now;
    }
    std::this_thread::sleep_for(
        std::chrono::duration_cast<std::chrono::microseconds>(call_time * point.part_of_a_call));
  } else {
    std::this_thread::sleep_for(point.from_start_delay);
  }
  writer.kill_now();
  life.status = writer.wait();
  for (const std::string& line : writer.rest()) hear(life.heard, line);
  return life;
}

BilledCounts counts_in(const std::string& path) {
  Books books(open_sqlite(path, {.durability = Durability::normal}),
              std::make_shared<ManualClock>(Timestamp::parse(k_billing_as_of)));
  return count_billed(books);
}

// What the kills came to, for the report.
struct Tally {
  int killed = 0;                          // lives that ended by SIGKILL
  int killed_mid_run = 0;                  // ... after "ready" and before "done"
  int killed_before_ready = 0;             // ... while the writer opened the file
  int killed_with_unreported_commits = 0;  // ... with periods committed that no report had told of yet
  int finished_before_kill = 0;            // lives that ran to the end before their kill point came
  std::uint64_t billed_by_kills = 0;
};

}  // namespace

TEST_CASE("the billing run SIGKILLed at random points bills each due period exactly once") {
  INFO("seed ", k_seed);
  TempDir dir("billing-run-kill");
  const std::string path = dir.file("billing.db");
  {
    Books books(open_sqlite(path, {.durability = Durability::normal}),
                std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z")));
    set_up_billing(books);
  }
  const std::vector<DueSubscription> due = due_subscriptions();
  const std::uint64_t due_periods = due_period_count(due);
  std::mt19937 random(k_seed);
  std::uniform_int_distribution<int> calls(0, k_most_calls_before_kill);
  std::uniform_real_distribution<double> part_of_a_call(0, 1);
  std::uniform_int_distribution<int> delay_from_start_ms(0, k_most_delay_from_start_ms);
  Tally tally;
  std::uint64_t stored = 0;                   // periods billed in the file after the last life
  std::chrono::microseconds call_time = 5ms;  // until a life has timed one
  const auto began = std::chrono::steady_clock::now();

  for (int kill = 0; kill < k_kills; ++kill) {
    KillPoint point{.from_start = kill % 5 == 4};
    if (point.from_start) {
      point.from_start_delay = std::chrono::milliseconds(delay_from_start_ms(random));
    } else {
      point.calls = calls(random);
      point.part_of_a_call = part_of_a_call(random);
    }
    const Life life = run_and_kill(path, point, call_time);
    INFO("life ", kill, " (", describe_status(life.status), "): reported ", life.heard.billed, " periods billed");
    const bool killed = WIFSIGNALED(life.status) && WTERMSIG(life.status) == SIGKILL;
    CHECK((killed || (life.heard.done && describe_status(life.status) == "exited 0")));
    tally.killed += killed ? 1 : 0;
    tally.killed_mid_run += killed && life.heard.ready && !life.heard.done ? 1 : 0;
    tally.killed_before_ready += killed && !life.heard.ready ? 1 : 0;
    tally.finished_before_kill += life.heard.done ? 1 : 0;

    REQUIRE(integrity_check(path) == "ok");
    const BilledCounts counts = counts_in(path);
    CHECK(counts.advanced == counts.invoices);
    CHECK(counts.entries == counts.invoices);
    CHECK(counts.payment_jobs == counts.invoices);
    CHECK(counts.invoices >= stored + life.heard.billed);  // no reported period was lost
    CHECK(counts.invoices <= due_periods);
    tally.killed_with_unreported_commits += killed && counts.invoices > stored + life.heard.billed ? 1 : 0;
    tally.billed_by_kills += counts.invoices - stored;
    stored = counts.invoices;
  }

  // The last writer bills what is left; one more finds nothing due.
  Writer last(billing_run_args(path, k_periods_per_call));
  HeardRun finish;
  for (const std::string& line : last.rest()) hear(finish, line);
  CHECK(describe_status(last.wait()) == "exited 0");
  CHECK(finish.done);
  CHECK(finish.billed == finish.created);
  CHECK(stored + finish.billed == due_periods);
  Writer again(billing_run_args(path, k_periods_per_call));
  HeardRun rerun;
  for (const std::string& line : again.rest()) hear(rerun, line);
  CHECK(describe_status(again.wait()) == "exited 0");
  CHECK(rerun.done);
  CHECK(rerun.billed == 0);
  CHECK(rerun.created == 0);

  REQUIRE(integrity_check(path) == "ok");
  Books books(open_sqlite(path, {.durability = Durability::normal}),
              std::make_shared<ManualClock>(Timestamp::parse(k_billing_as_of)));
  const std::uint64_t invoices = check_billed_once(books, due);
  CHECK(invoices == due_periods);
  CHECK(tally.killed == k_kills);
  CHECK(tally.finished_before_kill == 0);  // else the kills left the last writer too little: lower the counts
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  MESSAGE("seed=", k_seed, " subscriptions=", k_billing_subscriptions, " due_periods=", due_periods,
          " kills=", tally.killed, " (mid_run=", tally.killed_mid_run, " before_ready=", tally.killed_before_ready,
          " with_unreported_commits=", tally.killed_with_unreported_commits,
          ") finished_before_kill=", tally.finished_before_kill, " billed_under_kills=", tally.billed_by_kills,
          " billed_by_last_run=", finish.billed, " invoices=", invoices, " elapsed_ms=", elapsed_ms);
}
