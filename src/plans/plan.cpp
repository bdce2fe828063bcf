// Plans' values: names, calendar periods in UTC, and what makes two definitions the same.
#include "billing/plan.hpp"

#include "billing/error.hpp"

namespace billing {
namespace {

constexpr std::int64_t k_micros_per_day = 86'400'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Howard Hinnant's days_from_civil and civil_from_days: the proleptic Gregorian calendar, exactly.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + static_cast<std::int64_t>(doe) - 719'468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
};

Civil civil_from_days(std::int64_t z) noexcept {
  z += 719'468;
  const std::int64_t era = floor_div(z, 146'097);
  const auto doe = static_cast<unsigned>(z - era * 146'097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month};
}

Timestamp at_day(std::int64_t days) { return Timestamp::from_unix_micros(days * k_micros_per_day); }

}  // namespace

Timestamp period_start(PlanInterval interval, Timestamp at) {
  const std::int64_t days = floor_div(at.unix_micros(), k_micros_per_day);
  switch (interval) {
    case PlanInterval::day:
      return at_day(days);
    case PlanInterval::week:  // 1970-01-01 was a Thursday: Monday is 3 days before
      return at_day(days - (days + 3 - floor_div(days + 3, 7) * 7));
    case PlanInterval::month: {
      const Civil c = civil_from_days(days);
      return at_day(days_from_civil(c.year, c.month, 1));
    }
    case PlanInterval::year:
      return at_day(days_from_civil(civil_from_days(days).year, 1, 1));
  }
  throw InvalidArgument("interval", "is not a PlanInterval");
}

Timestamp next_period_start(PlanInterval interval, Timestamp at) {
  const Timestamp start = period_start(interval, at);
  const std::int64_t days = floor_div(start.unix_micros(), k_micros_per_day);
  switch (interval) {
    case PlanInterval::day:
      return at_day(days + 1);
    case PlanInterval::week:
      return at_day(days + 7);
    case PlanInterval::month: {
      const Civil c = civil_from_days(days);
      return c.month == 12 ? at_day(days_from_civil(c.year + 1, 1, 1)) : at_day(days_from_civil(c.year, c.month + 1, 1));
    }
    case PlanInterval::year:
      return at_day(days_from_civil(civil_from_days(days).year + 1, 1, 1));
  }
  throw InvalidArgument("interval", "is not a PlanInterval");
}

bool Plan::same_definition(const Plan& other) const {
  return currency == other.currency && interval == other.interval && flat_fee == other.flat_fee &&
         quota == other.quota && quota_meter == other.quota_meter && rate_per_second == other.rate_per_second &&
         burst == other.burst && charges == other.charges;
}

std::string_view to_string(PlanInterval interval) noexcept {
  switch (interval) {
    case PlanInterval::day: return "day";
    case PlanInterval::week: return "week";
    case PlanInterval::month: return "month";
    case PlanInterval::year: return "year";
  }
  return "unknown";
}

std::string_view to_string(PlanResult result) noexcept {
  switch (result) {
    case PlanResult::ok: return "ok";
    case PlanResult::exists: return "exists";
    case PlanResult::exists_with_different_fields: return "exists_with_different_fields";
  }
  return "unknown";
}

std::string_view to_string(QuotaReason reason) noexcept {
  switch (reason) {
    case QuotaReason::allowed: return "allowed";
    case QuotaReason::quota_exceeded: return "quota_exceeded";
    case QuotaReason::rate_limited: return "rate_limited";
  }
  return "unknown";
}

std::string_view to_string(ApiKeyStatus status) noexcept {
  switch (status) {
    case ApiKeyStatus::active: return "active";
    case ApiKeyStatus::revoked: return "revoked";
  }
  return "unknown";
}

std::string_view to_string(RevokeResult result) noexcept {
  switch (result) {
    case RevokeResult::ok: return "ok";
    case RevokeResult::not_found: return "not_found";
    case RevokeResult::already_revoked: return "already_revoked";
  }
  return "unknown";
}

}  // namespace billing
