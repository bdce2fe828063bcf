// Calendar arithmetic for billing cycles, in UTC on the proleptic Gregorian calendar: the n-th billing date of
// a cycle anchored on a day of the month, with the day clamped to the month's end (a cycle anchored on the 31st
// bills on 28 or 29 February, then on 31 March again). Pure functions of their arguments: time always comes
// from the caller (the books' clock), never from the system.
//
//   const Timestamp origin = Timestamp::parse("2026-01-31T09:30:00Z");
//   billing_date(origin, PlanInterval::month, 31, 1);   // 2026-02-28T09:30:00Z
//   billing_date(origin, PlanInterval::month, 31, 2);   // 2026-03-31T09:30:00Z
//   billing_date(origin, PlanInterval::year, 31, 1);    // 2027-01-31T09:30:00Z
#pragma once

#include <cstdint>

#include "billing/time.hpp"

namespace billing {

/// How often a plan bills and its quota resets. As calendar periods (period_start in plan.hpp) they are in UTC:
/// a day starts at 00:00, a week on Monday at 00:00 (ISO 8601), a month on its first day and a year on 1 January;
/// a subscription's cycle (billing_date) starts at its own anchor instead.
enum class PlanInterval : std::uint8_t { day, week, month, year };

/// The days in `month` (1 to 12) of `year` (Gregorian: 29 in February of a year divisible by 4, except
/// centuries not divisible by 400).
[[nodiscard]] unsigned days_in_month(int year, unsigned month) noexcept;

/// The n-th billing date (n >= 0) of a cycle that starts at `origin`:
/// - day, week: origin + n days or weeks;
/// - month: origin's month + n, on day min(anchor_day, days in that month), at origin's time of day;
/// - year: origin's year + n, in origin's month, on day min(anchor_day, days in that month), at origin's time
///   of day.
/// anchor_day (1 to 31) matters for month and year only; the 0th date is origin itself when anchor_day is
/// origin's day. Throws InvalidArgument naming "anchor_day" outside 1..31, and Overflow when the date would
/// fall outside the years Timestamp covers (0001 to 9999).
[[nodiscard]] Timestamp billing_date(Timestamp origin, PlanInterval unit, unsigned anchor_day, std::int64_t n);

/// The start of the calendar period of `interval` (UTC) that holds `at`, and the start of the next one.
[[nodiscard]] Timestamp period_start(PlanInterval interval, Timestamp at);
[[nodiscard]] Timestamp next_period_start(PlanInterval interval, Timestamp at);

/// The day of the month (1 to 31) of `at`, in UTC.
[[nodiscard]] unsigned day_of_month(Timestamp at) noexcept;

}  // namespace billing
