// Calendar arithmetic in UTC through std::chrono's civil calendar (year_month_day): plans' calendar periods and
// subscriptions' anchored billing dates.
#include "billing/calendar.hpp"

#include <chrono>

#include "billing/error.hpp"

namespace billing {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::int64_t k_micros_per_day = 86'400'000'000;
constexpr int k_first_year = 1;
constexpr int k_last_year = 9999;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::int64_t day_number(Timestamp at) noexcept { return floor_div(at.unix_micros(), k_micros_per_day); }

year_month_day civil(std::int64_t day) noexcept { return year_month_day{sys_days{days{day}}}; }

std::int64_t day_number(std::chrono::year y, std::chrono::month m, unsigned d) noexcept {
  return sys_days{y / m / std::chrono::day{d}}.time_since_epoch().count();
}

Timestamp at_day(std::int64_t day, std::int64_t micros_into_day = 0) {
  return Timestamp::from_unix_micros(day * k_micros_per_day + micros_into_day);
}

// The month `months` after (year, month), as (year, month), or Overflow outside years 0001 to 9999.
std::chrono::year_month shifted(std::chrono::year_month start, std::int64_t months) {
  const std::int64_t index = static_cast<std::int64_t>(static_cast<int>(start.year())) * 12 +
                             static_cast<unsigned>(start.month()) - 1;
  const std::int64_t limit = static_cast<std::int64_t>(k_last_year + 1) * 12;
  if (months > limit || months < -limit || index + months < k_first_year * 12 || index + months >= limit) {
    throw Overflow("n", "the billing date falls outside the years 0001 to 9999");
  }
  const std::int64_t target = index + months;
  return std::chrono::year{static_cast<int>(target / 12)} / std::chrono::month{static_cast<unsigned>(target % 12 + 1)};
}

}  // namespace

unsigned days_in_month(int year, unsigned month) noexcept {
  if (month < 1 || month > 12) return 0;
  return static_cast<unsigned>((std::chrono::year{year} / std::chrono::month{month} / std::chrono::last).day());
}

unsigned day_of_month(Timestamp at) noexcept { return static_cast<unsigned>(civil(day_number(at)).day()); }

Timestamp billing_date(Timestamp origin, PlanInterval unit, unsigned anchor_day, std::int64_t n) {
  if (anchor_day < 1 || anchor_day > 31) throw InvalidArgument("anchor_day", "must be from 1 to 31");
  const std::int64_t day = day_number(origin);
  const std::int64_t into_day = origin.unix_micros() - day * k_micros_per_day;
  const year_month_day ymd = civil(day);
  std::int64_t target = 0;
  switch (unit) {
    case PlanInterval::day:
    case PlanInterval::week: {
      const std::int64_t step = unit == PlanInterval::day ? 1 : 7;
      const std::int64_t limit = 3'700'000 / step;  // beyond 10,000 years either way
      if (n > limit || n < -limit) throw Overflow("n", "the billing date falls outside the years 0001 to 9999");
      target = day + n * step;
      const int year = static_cast<int>(civil(target).year());
      if (year < k_first_year || year > k_last_year) {
        throw Overflow("n", "the billing date falls outside the years 0001 to 9999");
      }
      break;
    }
    case PlanInterval::month:
    case PlanInterval::year: {
      if (unit == PlanInterval::year && (n > 20'000 || n < -20'000)) {
        throw Overflow("n", "the billing date falls outside the years 0001 to 9999");
      }
      const std::int64_t months = unit == PlanInterval::month ? n : n * 12;
      const std::chrono::year_month month = shifted(ymd.year() / ymd.month(), months);
      const unsigned last = days_in_month(static_cast<int>(month.year()), static_cast<unsigned>(month.month()));
      target = day_number(month.year(), month.month(), anchor_day < last ? anchor_day : last);
      break;
    }
    default:
      throw InvalidArgument("interval", "is not a PlanInterval");
  }
  return at_day(target, into_day);
}

Timestamp period_start(PlanInterval interval, Timestamp at) {
  const std::int64_t day = day_number(at);
  switch (interval) {
    case PlanInterval::day:
      return at_day(day);
    case PlanInterval::week:  // 1970-01-01 was a Thursday: Monday is 3 days before
      return at_day(day - (day + 3 - floor_div(day + 3, 7) * 7));
    case PlanInterval::month: {
      const year_month_day ymd = civil(day);
      return at_day(day_number(ymd.year(), ymd.month(), 1));
    }
    case PlanInterval::year:
      return at_day(day_number(civil(day).year(), std::chrono::January, 1));
  }
  throw InvalidArgument("interval", "is not a PlanInterval");
}

Timestamp next_period_start(PlanInterval interval, Timestamp at) {
  const Timestamp start = period_start(interval, at);
  const std::int64_t day = day_number(start);
  switch (interval) {
    case PlanInterval::day:
      return at_day(day + 1);
    case PlanInterval::week:
      return at_day(day + 7);
    case PlanInterval::month: {
      const year_month_day ymd = civil(day);
      const std::chrono::year_month next = ymd.year() / ymd.month() + std::chrono::months{1};
      return at_day(day_number(next.year(), next.month(), 1));
    }
    case PlanInterval::year:
      return at_day(day_number(civil(day).year() + std::chrono::years{1}, std::chrono::January, 1));
  }
  throw InvalidArgument("interval", "is not a PlanInterval");
}

}  // namespace billing
