// Calendar arithmetic (calendar.hpp) against tests/data/billing_dates.csv, a table of billing dates across month
// ends, leap years and year ends that Python's calendar module computed (tests/data/make_billing_dates.py).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "billing/calendar.hpp"
#include "billing/error.hpp"
#include "billing/subscription.hpp"

using namespace billing;

namespace {

struct Row {
  std::string origin, unit, anchor_day, n, date;
};

std::vector<Row> table() {
  std::ifstream in(BILLING_TEST_DATA_DIR "/billing_dates.csv");
  REQUIRE(in.good());
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Row row;
    std::getline(fields, row.origin, ',');
    std::getline(fields, row.unit, ',');
    std::getline(fields, row.anchor_day, ',');
    std::getline(fields, row.n, ',');
    std::getline(fields, row.date, ',');
    rows.push_back(row);
  }
  return rows;
}

PlanInterval unit_of(const std::string& name) {
  if (name == "day") return PlanInterval::day;
  if (name == "week") return PlanInterval::week;
  if (name == "month") return PlanInterval::month;
  REQUIRE(name == "year");
  return PlanInterval::year;
}

Timestamp at(const char* text) { return Timestamp::parse(text); }

}  // namespace

TEST_CASE("billing_date matches Python's calendar on every row of the table") {
  const std::vector<Row> rows = table();
  REQUIRE(rows.size() > 2000);
  std::size_t checked = 0;
  for (const Row& row : rows) {
    const Timestamp got = billing_date(Timestamp::parse(row.origin), unit_of(row.unit),
                                       static_cast<unsigned>(std::stoul(row.anchor_day)), std::stoll(row.n));
    INFO(row.origin, " ", row.unit, " anchor ", row.anchor_day, " n ", row.n);
    CHECK(got.to_string() == row.date);
    ++checked;
  }
  CHECK(checked == rows.size());
}

TEST_CASE("a cycle anchored on the 31st bills on the month's last day, then on the 31st again") {
  const Timestamp origin = at("2026-01-31T09:30:00Z");
  CHECK(billing_date(origin, PlanInterval::month, 31, 1) == at("2026-02-28T09:30:00Z"));
  CHECK(billing_date(origin, PlanInterval::month, 31, 2) == at("2026-03-31T09:30:00Z"));
  CHECK(billing_date(origin, PlanInterval::month, 31, 3) == at("2026-04-30T09:30:00Z"));
  CHECK(billing_date(at("2024-01-31T00:00:00Z"), PlanInterval::month, 31, 1) == at("2024-02-29T00:00:00Z"));
  CHECK(billing_date(at("2024-02-29T00:00:00Z"), PlanInterval::year, 29, 1) == at("2025-02-28T00:00:00Z"));
  CHECK(billing_date(at("2024-02-29T00:00:00Z"), PlanInterval::year, 29, 4) == at("2028-02-29T00:00:00Z"));
  CHECK(billing_date(at("2026-12-31T23:00:00Z"), PlanInterval::month, 31, 2) == at("2027-02-28T23:00:00Z"));
}

TEST_CASE("days_in_month follows the Gregorian leap years") {
  CHECK(days_in_month(2024, 2) == 29);
  CHECK(days_in_month(2100, 2) == 28);
  CHECK(days_in_month(2000, 2) == 29);
  CHECK(days_in_month(2026, 4) == 30);
  CHECK(days_in_month(2026, 13) == 0);
}

TEST_CASE("billing_date refuses a bad anchor day and dates beyond the years 0001 to 9999") {
  const Timestamp origin = at("2026-01-31T00:00:00Z");
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::month, 0, 1)), InvalidArgument);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::month, 32, 1)), InvalidArgument);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::month, 31, 12 * 8000)), Overflow);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::year, 31, 8000)), Overflow);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::day, 31, 4'000'000)), Overflow);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::year, 31, INT64_MIN)), Overflow);
  CHECK_THROWS_AS(static_cast<void>(billing_date(origin, PlanInterval::month, 31, INT64_MAX)), Overflow);
  CHECK(billing_date(origin, PlanInterval::year, 31, 7973) == at("9999-01-31T00:00:00Z"));
}

TEST_CASE("period_start and next_period_start are calendar periods in UTC") {
  const Timestamp t = at("2026-03-18T15:04:05Z");  // a Wednesday
  CHECK(period_start(PlanInterval::day, t) == at("2026-03-18T00:00:00Z"));
  CHECK(period_start(PlanInterval::week, t) == at("2026-03-16T00:00:00Z"));
  CHECK(period_start(PlanInterval::month, t) == at("2026-03-01T00:00:00Z"));
  CHECK(period_start(PlanInterval::year, t) == at("2026-01-01T00:00:00Z"));
  CHECK(next_period_start(PlanInterval::week, t) == at("2026-03-23T00:00:00Z"));
  CHECK(next_period_start(PlanInterval::month, at("2026-12-05T00:00:00Z")) == at("2027-01-01T00:00:00Z"));
  CHECK(next_period_start(PlanInterval::year, t) == at("2027-01-01T00:00:00Z"));
}

TEST_CASE("prorate splits a fee by microseconds, to the minor unit, half to even") {
  const Money fee = Money::parse("30.00 USD");
  const Timestamp start = at("2026-04-01T00:00:00Z");
  const Timestamp end = at("2026-05-01T00:00:00Z");  // 30 days
  CHECK(prorate(fee, start, end, at("2026-04-16T00:00:00Z"), end) == Money::parse("15.00 USD"));
  CHECK(prorate(fee, start, end, start, end) == fee);
  CHECK(prorate(fee, start, end, end, end) == Money::parse("0.00 USD"));
  CHECK(prorate(Money::parse("0.01 USD"), start, end, at("2026-04-16T00:00:00Z"), end) == Money::parse("0.00 USD"));
  CHECK(prorate(Money::parse("0.03 USD"), start, end, at("2026-04-16T00:00:00Z"), end) == Money::parse("0.02 USD"));
  CHECK(prorate(Money::parse("-30.00 USD"), start, end, at("2026-04-21T00:00:00Z"), end) == Money::parse("-10.00 USD"));
  // One second of a 30-day month of 99.99: 99.99 / 2,592,000 = 0.0000385..., rounds to zero.
  CHECK(prorate(Money::parse("99.99 USD"), start, end, start, start + std::chrono::seconds(1)) ==
        Money::parse("0.00 USD"));
  // The largest fee over the longest span stays exact (128-bit intermediate).
  const Money most = Money::from_minor(Money::k_max_minor, Currency("USD"));
  CHECK(prorate(most, at("1970-01-01T00:00:00Z"), at("2199-12-31T00:00:00Z"), at("1970-01-01T00:00:00Z"),
                at("2199-12-31T00:00:00Z")) == most);
  CHECK_THROWS_AS(static_cast<void>(prorate(fee, end, start, start, end)), InvalidArgument);
  CHECK_THROWS_AS(static_cast<void>(prorate(fee, start, end, end, start)), InvalidArgument);
  CHECK_THROWS_AS(static_cast<void>(prorate(fee, start, end, start, end + std::chrono::seconds(1))), InvalidArgument);
}
