// The UTC calendar that usage buckets follow: hours, days and calendar months, optionally shifted by a
// fixed offset (a +05:30 day begins at 18:30 UTC). Pure functions on microseconds; internal to the
// library (the metering rules and the integrity checks of both adapters use it).
#pragma once

#include <chrono>
#include <cstdint>

#include "billing/storage/usage_repository.hpp"
#include "billing/time.hpp"

namespace billing::detail::usage {

inline constexpr std::int64_t k_minute_us = 60'000'000;
inline constexpr std::int64_t k_hour_us = 60 * k_minute_us;
inline constexpr std::int64_t k_day_us = 24 * k_hour_us;

/// Events lie in [k_first_at, k_end_at): 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z.
/// Both are the starts of months, so a read with no start or no end covers whole months.
inline constexpr Timestamp k_first_at = Timestamp::from_unix_micros(0);
inline constexpr Timestamp k_end_at = Timestamp::from_unix_micros(7'258'118'400'000'000);

/// Floor division (toward minus infinity).
[[nodiscard]] constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// The start of the step of `width_us` that holds `micros`.
[[nodiscard]] constexpr std::int64_t floor_to(std::int64_t micros, std::int64_t width_us) noexcept {
  return floor_div(micros, width_us) * width_us;
}

/// Howard Hinnant's days_from_civil and civil_from_days, through std::chrono.
[[nodiscard]] inline std::int64_t month_start_utc(std::int64_t micros) noexcept {
  using namespace std::chrono;
  const sys_days day{days{floor_div(micros, k_day_us)}};
  const year_month_day ymd{day};
  const sys_days first{ymd.year() / ymd.month() / std::chrono::day{1}};
  return static_cast<std::int64_t>(first.time_since_epoch().count()) * k_day_us;
}

/// The start of the month after the one that starts at `month_start` (UTC).
[[nodiscard]] inline std::int64_t next_month_utc(std::int64_t month_start) noexcept {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{floor_div(month_start, k_day_us)}}};
  const year_month next = ymd.year() / ymd.month() + months{1};
  return static_cast<std::int64_t>(sys_days{next / std::chrono::day{1}}.time_since_epoch().count()) * k_day_us;
}

/// The start of the UTC bucket of `period` that holds `at` (the epoch for all_time).
[[nodiscard]] inline Timestamp bucket_of(UsagePeriod period, Timestamp at) noexcept {
  const std::int64_t us = at.unix_micros();
  switch (period) {
    case UsagePeriod::hour: return Timestamp::from_unix_micros(floor_to(us, k_hour_us));
    case UsagePeriod::day: return Timestamp::from_unix_micros(floor_to(us, k_day_us));
    case UsagePeriod::month: return Timestamp::from_unix_micros(month_start_utc(us));
    case UsagePeriod::all_time: break;
  }
  return Timestamp::from_unix_micros(0);
}

/// The end of the UTC bucket of `period` that starts at `start` (k_end_at for all_time).
[[nodiscard]] inline Timestamp bucket_end(UsagePeriod period, Timestamp start) noexcept {
  const std::int64_t us = start.unix_micros();
  switch (period) {
    case UsagePeriod::hour: return Timestamp::from_unix_micros(us + k_hour_us);
    case UsagePeriod::day: return Timestamp::from_unix_micros(us + k_day_us);
    case UsagePeriod::month: return Timestamp::from_unix_micros(next_month_utc(us));
    case UsagePeriod::all_time: break;
  }
  return k_end_at;
}

/// Whether `start` is where a bucket of `period` begins.
[[nodiscard]] inline bool is_bucket_start(UsagePeriod period, Timestamp start) noexcept {
  return bucket_of(period, start) == start;
}

}  // namespace billing::detail::usage
