// The plan that process_quotas_test.cpp and billing_stress_writer's quota-consume mode share: a quota of 500
// a month on the meter "api_calls", and a bucket bigger than every call the processes make together, so that
// only the quota can deny. Both sides run a ManualClock stopped at k_quota_start, so the month never turns
// over during a run and the bucket never refills: what is allowed depends on the quota alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "billing/books.hpp"

namespace billing::stress {

inline constexpr std::string_view k_quota_plan = "stress-quota";
inline constexpr std::string_view k_quota_meter = "api_calls";
inline constexpr std::string_view k_quota_subject = "shared-key";
inline constexpr std::uint64_t k_quota_units = 500;
/// More tokens than 4 processes x 400 calls take, so no call is rate limited on a stopped clock.
inline constexpr std::uint64_t k_quota_burst = 10'000;
inline constexpr std::string_view k_quota_start = "2026-03-15T12:00:00Z";

/// Defines the meter and the plan; the parent calls it once before any child starts. True when both are new.
[[nodiscard]] inline bool define_quota_plan(Books& books) {
  const MeterOutcome meter =
      books.usage().define_meter({.code = std::string(k_quota_meter), .aggregation = Aggregation::count});
  const PlanOutcome plan = books.plans().create({.code = std::string(k_quota_plan),
                                                 .currency = Currency("USD"),
                                                 .quota = k_quota_units,
                                                 .quota_meter = std::string(k_quota_meter),
                                                 .rate_per_second = Decimal(1'000),
                                                 .burst = k_quota_burst});
  return meter.result == MeterResult::ok && plan.ok();
}

}  // namespace billing::stress
