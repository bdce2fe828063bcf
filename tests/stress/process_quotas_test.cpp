// Processes race for one quota on one SQLite file: 4 billing_stress_writer processes, each with its own
// connections, call Quotas::consume 400 times for the same (plan, subject) with a quota of 500 a month and a
// bucket too big to deny (quota_workload.hpp). They start together, past a gate file. At most N are allowed
// for a quota of N, exactly N since more were asked for, and no allowed call is lost: the stored state and
// the usage meter count what the children were told was allowed, and every allowed call saw a count of its
// own (the remaining units the allowed calls returned are 499, 498, ..., 0, each once).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "billing/storage/plan_repository.hpp"  // QuotaState, which Quotas::state returns
#include "billing/storage/sqlite.hpp"
#include "quota_workload.hpp"
#include "support.hpp"

using namespace billing;
using namespace billing::stress;

namespace {

constexpr int k_processes = 4;
constexpr int k_calls_per_process = 400;

/// What one child reported: its decisions by reason, and the remaining units of each allowed call.
struct ChildReport {
  std::uint64_t allowed = 0;
  std::uint64_t quota_exceeded = 0;
  std::uint64_t rate_limited = 0;
  std::vector<std::uint64_t> remaining;
};

// "counts <allowed> <quota_exceeded> <rate_limited>" then "remaining <r>...", or nullopt for anything else.
std::optional<ChildReport> parse_report(const std::vector<std::string>& lines) {
  if (lines.size() != 2) return std::nullopt;
  ChildReport report;
  std::istringstream counts(lines[0]);
  std::string word;
  if (!(counts >> word >> report.allowed >> report.quota_exceeded >> report.rate_limited) || word != "counts") {
    return std::nullopt;
  }
  std::istringstream remaining(lines[1]);
  if (!(remaining >> word) || word != "remaining") return std::nullopt;
  for (std::uint64_t units = 0; remaining >> units;) report.remaining.push_back(units);
  if (!remaining.eof() || report.remaining.size() != report.allowed) return std::nullopt;
  return report;
}

}  // namespace

TEST_CASE("4 processes consume one quota in one file: never more than N allowed, none lost") {
  TempDir dir("process-quotas");
  const std::string path = dir.file("shared.db");
  const std::string gate = dir.file("go");
  const auto clock = std::make_shared<ManualClock>(Timestamp::parse(k_quota_start));
  {
    Books books(open_sqlite(path, {.durability = Durability::normal}), clock);
    REQUIRE(define_quota_plan(books));
  }

  std::vector<std::unique_ptr<Writer>> writers;
  for (int p = 0; p < k_processes; ++p) {
    writers.push_back(std::make_unique<Writer>(
        std::vector<std::string>{"quota-consume", path, gate, std::to_string(k_calls_per_process)}));
  }
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int p = 0; p < k_processes; ++p) {
    INFO("writer ", p);
    REQUIRE(writers[static_cast<std::size_t>(p)]->line(ready_by) == std::optional<std::string>("ready"));
  }
  const auto began = std::chrono::steady_clock::now();
  std::ofstream(gate).put('\n');

  ChildReport total;
  std::vector<std::uint64_t> allowed_by_process;
  for (int p = 0; p < k_processes; ++p) {
    const std::vector<std::string> lines = writers[static_cast<std::size_t>(p)]->rest();
    const int status = writers[static_cast<std::size_t>(p)]->wait();
    INFO("writer ", p, " ", describe_status(status));
    CHECK(describe_status(status) == "exited 0");
    const std::optional<ChildReport> report = parse_report(lines);
    REQUIRE(report.has_value());
    CHECK(report->allowed + report->quota_exceeded + report->rate_limited == std::uint64_t{k_calls_per_process});
    total.allowed += report->allowed;
    total.quota_exceeded += report->quota_exceeded;
    total.rate_limited += report->rate_limited;
    total.remaining.insert(total.remaining.end(), report->remaining.begin(), report->remaining.end());
    allowed_by_process.push_back(report->allowed);
  }
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

  constexpr std::uint64_t k_calls = std::uint64_t{k_processes} * k_calls_per_process;
  static_assert(k_calls > k_quota_units, "more calls than the quota, so that exactly N must pass");
  CHECK(total.allowed <= k_quota_units);
  CHECK(total.allowed == k_quota_units);
  CHECK(total.rate_limited == 0);  // the bucket holds more than every call
  CHECK(total.allowed + total.quota_exceeded == k_calls);
  std::sort(total.remaining.begin(), total.remaining.end());
  std::vector<std::uint64_t> each_count_once(total.allowed);
  for (std::size_t i = 0; i < each_count_once.size(); ++i) each_count_once[i] = i;
  CHECK(total.remaining == each_count_once);

  CHECK(integrity_check(path) == "ok");
  Books books(open_sqlite(path, {.durability = Durability::normal}), clock);
  const std::optional<QuotaState> state = books.quotas().state(k_quota_plan, k_quota_subject);
  REQUIRE(state.has_value());
  CHECK(state->used == total.allowed);
  CHECK(state->allowed_total == total.allowed);
  const Decimal usage_total = books.usage().total(k_quota_meter, k_quota_subject);
  CHECK(usage_total == Decimal(static_cast<std::int64_t>(total.allowed)));

  std::string per_process;
  for (const std::uint64_t allowed : allowed_by_process) {
    if (!per_process.empty()) per_process += '/';
    per_process += std::to_string(allowed);
  }
  MESSAGE("processes=", k_processes, " calls=", k_calls, " allowed=", total.allowed,
          " denied=", total.quota_exceeded + total.rate_limited, " allowed_per_process=", per_process,
          " stored_used=", state->used, " usage_total=", usage_total.to_string(), " elapsed_ms=", elapsed_ms);
}
