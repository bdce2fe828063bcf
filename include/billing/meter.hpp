// Usage metering's values: a meter (what is counted, and how it aggregates), a usage event, the results of
// recording and cancelling one, and what the reads return (stats across subjects, a series of buckets).
// The service that records and reads is Usage (usage.hpp); docs/usage.md has the aggregations table, the
// bucket rules and the lateness window. Plain values; safe to share once built.
//
//   books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count, .unit = "call"});
//   (void)books.usage().record({.id = "evt_1", .meter = "api_calls", .subject = "key_42",
//                               .quantity = Decimal::parse("1")});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/decimal.hpp"
#include "billing/time.hpp"

namespace billing {

/// How a meter folds its events into one value per subject and bucket (docs/usage.md, "Aggregations").
/// Each event has a value: its quantity, or, when the meter names a property, that property read as a
/// decimal (UNIQUE_COUNT reads the property as text).
enum class Aggregation : std::uint8_t {
  count,         ///< the number of events
  sum,           ///< the sum of their values
  min,           ///< the smallest value
  max,           ///< the largest value
  avg,           ///< sum / count, to k_usage_average_places places, HALF_EVEN
  latest,        ///< the value of the event with the latest timestamp (the higher id on a tie)
  unique_count,  ///< the number of distinct values of the meter's property
};

/// The width of the buckets a series returns. Aggregates are kept for hours, days and months (and all time);
/// minutes are read from the stored events.
enum class Granularity : std::uint8_t { minute, hour, day, month };

/// The outcome of recording one event, checked in this order. Only ok changes anything.
enum class RecordResult : std::uint8_t {
  ok,
  duplicate,      ///< an event with this id was recorded before (cancelled or not); nothing changed
  unknown_meter,  ///< no meter has this code
  too_late,       ///< older than now - UsageOptions::lateness
  too_early,      ///< later than now + UsageOptions::lead
};

/// The outcome of cancelling an event, checked in this order. Only ok changes anything.
enum class CancelResult : std::uint8_t {
  ok,                 ///< the event no longer counts; every aggregate it touched is corrected
  not_found,          ///< no event has this id
  already_cancelled,  ///< it was cancelled before
  window_passed,      ///< it was recorded more than UsageOptions::cancel_window ago
};

[[nodiscard]] std::string_view to_string(Aggregation aggregation) noexcept;
[[nodiscard]] std::string_view to_string(Granularity granularity) noexcept;
[[nodiscard]] std::string_view to_string(RecordResult result) noexcept;
[[nodiscard]] std::string_view to_string(CancelResult result) noexcept;

/// String pairs an event carries; sorted, so that equal maps encode alike.
using EventProperties = std::map<std::string, std::string, std::less<>>;

/// What a host asks for when it defines a meter.
struct MeterRequest {
  std::string code{};  ///< 1 to k_max_meter_code_bytes of A-Z a-z 0-9 _ . : -, starting with a letter
  Aggregation aggregation = Aggregation::sum;
  std::string unit{};                     ///< up to k_max_meter_unit_bytes of UTF-8, no control characters
  std::optional<std::string> property{};  ///< the property aggregated instead of the quantity; unique_count needs one
  std::optional<std::string> group_by{};  ///< a property whose values split the aggregates
};

/// A meter as stored. Its definition never changes once made.
struct Meter {
  std::string code{};
  Aggregation aggregation = Aggregation::sum;
  std::string unit{};
  std::optional<std::string> property{};
  std::optional<std::string> group_by{};
  Timestamp created_at{};

  friend bool operator==(const Meter&, const Meter&) = default;
};

/// One usage event.
struct UsageEvent {
  std::string id{};       ///< 1 to k_max_event_id_bytes, no control characters: deduplicates, forever
  std::string meter{};    ///< a defined meter's code
  std::string subject{};  ///< who used it (a user, an API key, a customer): 1 to k_max_subject_bytes
  Decimal quantity;       ///< any sign for sum, min, max, avg and latest; count and unique_count ignore it
  std::optional<Timestamp> at{};  ///< when it happened; now when absent
  EventProperties properties{};   ///< up to k_max_event_properties pairs

  friend bool operator==(const UsageEvent&, const UsageEvent&) = default;
};

/// An event as stored.
struct RecordedEvent {
  UsageEvent event;  ///< with `at` set
  Timestamp recorded_at{};
  std::optional<Timestamp> cancelled_at{};

  friend bool operator==(const RecordedEvent&, const RecordedEvent&) = default;
};

/// A meter's figures across subjects, over all time or a range: `events` counted, from `subjects` distinct
/// subjects, whose per-subject values sum to `total`. average_per_subject = total / subjects and
/// average_per_event = (the sum of the events' values) / events, each to k_usage_average_places places,
/// HALF_EVEN (fewer beyond 10^26, where a Decimal's 38 digits leave no room for them); absent when there is
/// nothing to divide by. The seed's "average usage across all users" is
/// average_per_subject.
struct UsageStats {
  std::uint64_t subjects = 0;
  std::uint64_t events = 0;
  Decimal total;
  std::optional<Decimal> average_per_subject{};
  std::optional<Decimal> average_per_event{};

  friend bool operator==(const UsageStats&, const UsageStats&) = default;
};

/// One bucket of a series: [start, end), the meter's aggregate over the events in it, and how many there were.
struct UsageBucket {
  Timestamp start{};
  Timestamp end{};
  Decimal value;
  std::uint64_t events = 0;

  friend bool operator==(const UsageBucket&, const UsageBucket&) = default;
};

/// How usage is recorded. Set once at start-up with Usage::configure().
struct UsageOptions {
  /// How old an event may be when recorded (Stripe's meters allow 35 days). More than zero, at most 366 days.
  std::chrono::microseconds lateness = std::chrono::hours(24 * 35);
  /// How far ahead of now an event may be (Stripe allows 5 minutes). Zero to 24 hours.
  std::chrono::microseconds lead = std::chrono::minutes(5);
  /// How long after it was recorded an event may be cancelled. Zero to 366 days.
  std::chrono::microseconds cancel_window = std::chrono::hours(24);
};

/// The limits of the area's inputs, each checked before any work starts (InvalidArgument naming the field);
/// docs/python.md lists them with every other limit.
inline constexpr std::size_t k_max_meter_code_bytes = 64;
inline constexpr std::size_t k_max_meter_unit_bytes = 64;
inline constexpr std::size_t k_max_property_key_bytes = 64;
inline constexpr std::size_t k_max_property_value_bytes = 256;
inline constexpr std::size_t k_max_event_properties = 32;
inline constexpr std::size_t k_max_event_id_bytes = 255;
inline constexpr std::size_t k_max_subject_bytes = 255;
inline constexpr std::size_t k_max_record_batch = 10'000;
inline constexpr std::size_t k_max_series_buckets = 10'000;
/// The places of an average (average_per_subject, average_per_event, and the avg aggregation).
inline constexpr int k_usage_average_places = 12;

}  // namespace billing
