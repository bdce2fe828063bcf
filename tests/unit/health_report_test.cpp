// HealthReport's printing, on reports built by hand: the table's layout and ages, the JSON's exact integers
// and nulls, and JSON strings that stay valid whatever a reason holds (quotes, control characters, bytes that
// are not UTF-8).
#include "billing/health.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <string>

using namespace billing;
using namespace std::chrono_literals;

namespace {

HealthReport sample() {
  HealthReport report{.status = HealthStatus::degraded,
                      .checked_at = Timestamp::parse("2026-03-01T12:00:00Z"),
                      .counting_since = Timestamp::parse("2026-03-01T00:00:00Z"),
                      .storage_reachable = true,
                      .integrity_ok = true,
                      .ledger_entries = 1234,
                      .entries_verified = 16,
                      .jobs = JobStats{.ready = 3,
                                       .scheduled = 2,
                                       .in_flight = 1,
                                       .dead_lettered = 4,
                                       .oldest_ready_age = 1h + 2min + 3s + 500ms},
                      .expired_holds = 0,
                      .overdue_invoices = 7,
                      .invoice_overdue_after = 24h * 30};
  report.counters.entries_posted = std::numeric_limits<std::uint64_t>::max();
  report.counters.rejections = {
      {PostResult::unbalanced, 2}, {PostResult::exceeds_credits, 0}, {PostResult::account_not_found, 1}};
  report.counters.events_recorded = 9;
  report.checks = {{.name = "storage"},
                   {.name = "integrity"},
                   {.name = "ready_jobs"},
                   {.name = "dead_letters",
                    .status = HealthStatus::degraded,
                    .reason = "4 dead letters, above the degraded bound of 0"},
                   {.name = "oldest_ready_age"},
                   {.name = "expired_holds"},
                   {.name = "overdue_invoices"}};
  return report;
}

}  // namespace

TEST_CASE("to_json() writes every key, exact integers, and ages in whole microseconds") {
  CHECK(sample().to_json() ==
        R"({"status":"degraded","checked_at":"2026-03-01T12:00:00Z","counting_since":"2026-03-01T00:00:00Z",)"
        R"("reasons":["dead_letters: 4 dead letters, above the degraded bound of 0"],"checks":[)"
        R"({"name":"storage","status":"healthy","reason":""},{"name":"integrity","status":"healthy","reason":""},)"
        R"({"name":"ready_jobs","status":"healthy","reason":""},)"
        R"({"name":"dead_letters","status":"degraded","reason":"4 dead letters, above the degraded bound of 0"},)"
        R"({"name":"oldest_ready_age","status":"healthy","reason":""},)"
        R"({"name":"expired_holds","status":"healthy","reason":""},)"
        R"({"name":"overdue_invoices","status":"healthy","reason":""}],)"
        R"("storage":{"reachable":true,"integrity_ok":true,"ledger_entries":1234,"entries_verified":16},)"
        R"("jobs":{"ready":3,"scheduled":2,"in_flight":1,"dead_lettered":4,"oldest_ready_age_us":3723500000},)"
        R"("holds":{"expired":0},"invoices":{"overdue":7,"overdue_after_us":2592000000000},)"
        R"("counters":{"entries_posted":18446744073709551615,"rejections_total":3,)"
        R"("rejections":{"unbalanced":2,"exceeds_credits":0,"account_not_found":1},)"
        R"("events_recorded":9,"event_duplicates":0,"jobs_failed":0,"jobs_dead_lettered":0}})");
}

TEST_CASE("to_table() lines up the checks and lists the counters") {
  CHECK(sample().to_table() ==
        "health: DEGRADED at 2026-03-01T12:00:00Z\n"
        "  check             status     figure                               reason\n"
        "  storage           HEALTHY    reachable\n"
        "  integrity         HEALTHY    16 newest of 1234 entries re-hashed\n"
        "  ready_jobs        HEALTHY    3 (2 scheduled, 1 in flight)\n"
        "  dead_letters      DEGRADED   4                                    4 dead letters, above the degraded bound "
        "of 0\n"
        "  oldest_ready_age  HEALTHY    1h 2m 3.5s\n"
        "  expired_holds     HEALTHY    0\n"
        "  overdue_invoices  HEALTHY    7 (open, finalised over 30d ago)\n"
        "counters since 2026-03-01T00:00:00Z\n"
        "  entries_posted      18446744073709551615\n"
        "  rejections          3 (unbalanced 2, account_not_found 1)\n"
        "  events_recorded     9\n"
        "  event_duplicates    0\n"
        "  jobs_failed         0\n"
        "  jobs_dead_lettered  0\n");
}

TEST_CASE("figures not measured are null in JSON and a dash in the table") {
  HealthReport report = sample();
  report.storage_reachable = false;
  report.integrity_ok.reset();
  report.ledger_entries.reset();
  report.entries_verified.reset();
  report.jobs.reset();
  report.expired_holds.reset();
  report.overdue_invoices.reset();
  const std::string json = report.to_json();
  CHECK(
      json.find(R"("storage":{"reachable":false,"integrity_ok":null,"ledger_entries":null,"entries_verified":null})") !=
      std::string::npos);
  CHECK(json.find(R"("jobs":{"ready":null,"scheduled":null,"in_flight":null,"dead_lettered":null,)"
                  R"("oldest_ready_age_us":null})") != std::string::npos);
  CHECK(json.find(R"("holds":{"expired":null},"invoices":{"overdue":null,"overdue_after_us":2592000000000})") !=
        std::string::npos);
  const std::string table = report.to_table();
  CHECK(table.find("  storage           HEALTHY    unreachable\n") != std::string::npos);
  CHECK(table.find("  oldest_ready_age  HEALTHY    -\n") != std::string::npos);
}

TEST_CASE("JSON strings escape quotes and control characters, and replace bytes that are not UTF-8") {
  HealthReport report = sample();
  report.checks[0] = {.name = "storage",
                      .status = HealthStatus::unhealthy,
                      .reason = std::string("\"/var/db\\b\xff\xc3\x28\"\n\t\x01 caf\xc3\xa9 \xe2\x80\xa8")};
  const std::string json = report.to_json();
  CHECK(json.find(R"({"name":"storage","status":"unhealthy","reason":"\"/var/db\\b\ufffd\ufffd(\"\u000a\u0009\u0001 )"
                  "caf\xc3\xa9 \\u2028\"}") != std::string::npos);
}

TEST_CASE("ages print in days, hours, minutes and seconds") {
  HealthReport report = sample();
  const auto age_shown = [&](std::chrono::microseconds age) {
    report.jobs->oldest_ready_age = age;
    const std::string table = report.to_table();
    const std::string key = "  oldest_ready_age  HEALTHY    ";
    const std::size_t at = table.find(key) + key.size();
    return table.substr(at, table.find('\n', at) - at);
  };
  CHECK(age_shown(0us) == "0s");
  CHECK(age_shown(1us) == "0.000001s");
  CHECK(age_shown(250ms) == "0.25s");
  CHECK(age_shown(5min) == "5m");
  CHECK(age_shown(24h * 2 + 4h) == "2d 4h");
  CHECK(age_shown(24h + 1s) == "1d 1s");
}

TEST_CASE("HealthStatus spells as the JSON does") {
  CHECK(to_string(HealthStatus::healthy) == "healthy");
  CHECK(to_string(HealthStatus::degraded) == "degraded");
  CHECK(to_string(HealthStatus::unhealthy) == "unhealthy");
}
