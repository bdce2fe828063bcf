// SIGKILL in the middle of Durability::full commits. A writer process posts atomic batches of 20 entries
// "k-<n>" and acknowledges each commit on stdout; the parent kills it after a random 5-80 ms, counted
// from the writer's "ready" so that it posts even in a slow build (one kill in four counts from its
// start instead, and may land while it opens the file), then opens the file itself:
// every acknowledged entry is there and whole, batches landed whole (the ids are 1..N with N a multiple
// of 20), PRAGMA integrity_check says ok and verify() passes. Repeated BILLING_KILL_COUNT times (50 by
// default) on one file, each writer resuming after the highest stored id.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include <fmt/format.h>

#include "billing/storage/sqlite.hpp"
#include "support.hpp"
#include "workload.hpp"

using namespace billing;
using namespace billing::stress;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t k_batch = 20;  // as the writer's kill-loop posts them
constexpr unsigned k_seed = 20'260'101;

int kill_count() {
  const char* text = std::getenv("BILLING_KILL_COUNT");
  return text != nullptr ? std::atoi(text) : 50;
}

// The n of "<prefix> <n>", or 0.
std::uint64_t number_after(const std::string& line, std::string_view prefix) {
  if (!line.starts_with(prefix)) return 0;
  return std::stoull(line.substr(prefix.size()));
}

bool is_whole(const std::optional<Entry>& entry) {
  return entry && entry->postings.size() >= 2 && entry->balances_after.size() == entry->postings.size();
}

// What the parent learnt from one writer's life.
struct Life {
  std::uint64_t resumed_at = 0;  // the writer's first n; 0 when it was killed before it was ready
  std::uint64_t acked = 0;       // the highest n it acknowledged; 0 for none
};

// One writer's life: start it, let it run for `run_for`, SIGKILL it. The time counts from its "ready"
// line, or from its start when `from_start` (then the kill may land while it opens the file and
// recovers the last one's WAL).
Life run_and_kill(const std::string& path, std::chrono::milliseconds run_for, bool from_start) {
  Writer writer({"kill-loop", path});
  Life life;
  const auto take = [&](const std::string& line) {
    if (line.starts_with("ready ")) life.resumed_at = number_after(line, "ready ");
    life.acked = std::max(life.acked, number_after(line, "ack "));
  };
  if (!from_start) {
    const auto ready = writer.line(std::chrono::steady_clock::now() + 60s);
    REQUIRE_MESSAGE(ready.has_value(), "the writer never got ready");
    take(*ready);
  }
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  while (const auto line = writer.line(deadline)) take(*line);
  writer.kill_now();
  const int status = writer.wait();
  for (const std::string& line : writer.rest()) take(line);
  INFO("the writer ", describe_status(status));
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  return life;
}

}  // namespace

TEST_CASE("SIGKILL during Durability::full batches loses no acknowledged entry and leaves a sound file") {
  const int kills = kill_count();
  TempDir dir("kill");
  const std::string path = dir.file("killed.db");
  {
    Books books(open_sqlite(path));
    open_kill_accounts(books);
  }
  std::mt19937 random(k_seed);
  std::uniform_int_distribution<int> run_ms(5, 80);
  std::uint64_t stored = 0;  // entries in the file after the last kill: k-1 .. k-<stored>
  std::uint64_t highest_acked = 0;
  std::uint64_t acknowledged_checked = 0;
  std::uint64_t unacknowledged_survivors = 0;  // committed, but killed before it could say so
  int kills_from_start = 0;
  int kills_before_ready = 0;
  const auto began = std::chrono::steady_clock::now();

  for (int kill = 0; kill < kills; ++kill) {
    const bool from_start = kill % 4 == 3;  // one kill in four may land while the writer opens the file
    const Life life = run_and_kill(path, std::chrono::milliseconds(run_ms(random)), from_start);
    kills_from_start += from_start ? 1 : 0;
    kills_before_ready += life.resumed_at == 0 ? 1 : 0;
    INFO("kill ", kill, ": resumed at k-", life.resumed_at, ", acknowledged up to k-", life.acked);
    CHECK((life.resumed_at == 0 || life.resumed_at == stored + 1));
    highest_acked = std::max(highest_acked, life.acked);

    REQUIRE(integrity_check(path) == "ok");
    Books books(open_sqlite(path));
    for (std::uint64_t n = life.resumed_at; n != 0 && n <= life.acked; ++n) {
      const auto entry = books.ledger().entry(EntryId(fmt::format("k-{}", n)));
      INFO("k-", n);
      CHECK(is_whole(entry));
      ++acknowledged_checked;
    }
    const VerifyReport report = books.ledger().verify();
    INFO("verify: ", report.problem);
    REQUIRE(report.ok);
    const std::uint64_t known = std::max(stored, life.acked);
    stored = report.entries_checked;
    CHECK(stored % k_batch == 0);  // a batch lands whole or not at all
    CHECK(stored >= highest_acked);
    CHECK((stored == 0 || books.ledger().entry(EntryId(fmt::format("k-{}", stored))).has_value()));
    CHECK_FALSE(books.ledger().entry(EntryId(fmt::format("k-{}", stored + 1))).has_value());
    if (stored > known) unacknowledged_survivors += stored - known;
  }

  // Once more at the end: every entry any writer acknowledged, against the final file.
  Books books(open_sqlite(path));
  std::uint64_t missing = 0;
  for (std::uint64_t n = 1; n <= highest_acked; ++n) {
    if (!is_whole(books.ledger().entry(EntryId(fmt::format("k-{}", n))))) ++missing;
  }
  CHECK(missing == 0);
  CHECK(acknowledged_checked > 0);
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  MESSAGE("kills=", kills, " (", kills_from_start, " timed from the writer's start, ", kills_before_ready,
          " of them before it was ready) acknowledged_entries_checked=", acknowledged_checked,
          " acknowledged_rechecked_at_end=", highest_acked, " entries_in_file=", stored,
          " committed_but_unacknowledged=", unacknowledged_survivors, " elapsed_ms=", elapsed_ms);
}
