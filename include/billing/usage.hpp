// Usage: metering in the store. An event is written with every aggregate it touches (per subject and
// across subjects; all time, and the hour, day and month buckets it falls in) in one unit of work, so an
// event counts once or not at all, even when a write fails and is retried with the same id (the seed wrote
// the raw row to Postgres and the aggregate to DynamoDB apart; OpenMeter #5118 and Lago #4725 are those
// systems counting twice). A subject's all-time total and the stats across subjects are read in constant
// time from running aggregates. docs/usage.md has the aggregations, the buckets and the windows.
//
// Every write joins this thread's Books::transaction() when one is open; another area's service passes
// its own UnitOfWork to the overload that takes one (a quota that records the call it allowed). Reach it
// through Books::usage(); safe to share between threads.
//
//   books.usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count});
//   (void)books.usage().record({.id = "evt_1", .meter = "api_calls", .subject = "user_1", .quantity = Decimal::parse("1")});
//   const UsageStats stats = books.usage().stats("api_calls");   // stats.average_per_subject
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "billing/meter.hpp"

namespace billing {

namespace detail {
class Context;
}
class UnitOfWork;

/// The outcome of define_meter, checked in this order.
enum class MeterResult : std::uint8_t {
  ok,                            ///< defined
  exists,                        ///< a meter with this code and the same definition exists; it is returned
  exists_with_different_fields,  ///< a meter with this code and another definition exists; it is returned
};

[[nodiscard]] std::string_view to_string(MeterResult result) noexcept;

struct [[nodiscard]] MeterOutcome {
  MeterResult result{};
  Meter meter;  ///< the stored meter, for every result
};

class Usage {
 public:
  explicit Usage(detail::Context& context) noexcept : context_(context) {}

  /// Replaces the windows. Throws InvalidArgument (field "lateness", "lead" or "cancel_window") beyond
  /// their bounds (UsageOptions); the options are unchanged then. Set once at start-up.
  void configure(UsageOptions options);
  [[nodiscard]] const UsageOptions& options() const noexcept { return options_; }

  /// Defines a meter. Throws InvalidArgument naming the field for a code, unit, property or group_by beyond
  /// the limits of meter.hpp, a value that is not an Aggregation, unique_count without a property, or
  /// group_by equal to property; nothing is stored then.
  MeterOutcome define_meter(const MeterRequest& request);
  /// The meter with `code`, or nullopt.
  [[nodiscard]] std::optional<Meter> meter(std::string_view code);
  /// Every meter, by code.
  [[nodiscard]] std::vector<Meter> meters();

  /// Records one event with every aggregate it touches, in one unit of work. Results, in order (meter.hpp):
  /// duplicate, unknown_meter, too_late, too_early, ok. Throws InvalidArgument naming the field ("id",
  /// "subject", "quantity", "properties", "at", or the meter's property when the event lacks it or it is
  /// not a decimal) before anything is stored, and Overflow (field "quantity") when an aggregate would pass
  /// the range of Decimal, leaving nothing stored.
  RecordResult record(const UsageEvent& event);
  RecordResult record(UnitOfWork& work, const UsageEvent& event);

  /// Records up to k_max_record_batch events in one unit of work: one result per event, in order. A later
  /// event with the id of an earlier one is a duplicate. Throws InvalidArgument ("events", or "[3].id" and
  /// so on) before anything is stored.
  std::vector<RecordResult> record_batch(std::span<const UsageEvent> events);

  /// Cancels an event: it stops counting in every aggregate. Count, sum and avg are decremented; min, max,
  /// latest and unique_count are recomputed from the stored events of the buckets it touched. Results, in
  /// order (meter.hpp): not_found, already_cancelled, window_passed, ok.
  CancelResult cancel(std::string_view id);

  /// The event with `id` (cancelled or not), or nullopt.
  [[nodiscard]] std::optional<RecordedEvent> event(std::string_view id);

  /// The meter's aggregate for `subject` (and one value of its group_by property, when given) over events at
  /// or after `start` and before `end`: all time in constant time; a range in time proportional to its
  /// buckets (hours at its edges, days and months inside), or to its events when it does not fall on hour
  /// boundaries. Zero when there are no events (for every aggregation). Throws InvalidArgument for an
  /// unknown meter ("meter") or end before start ("end").
  [[nodiscard]] Decimal total(std::string_view meter, std::string_view subject,
                              std::optional<Timestamp> start = std::nullopt,
                              std::optional<Timestamp> end = std::nullopt,
                              const std::optional<std::string>& group = std::nullopt);

  /// The figures across subjects (meter.hpp, UsageStats): over all time in constant time, or over a range.
  [[nodiscard]] UsageStats stats(std::string_view meter, std::optional<Timestamp> start = std::nullopt,
                                 std::optional<Timestamp> end = std::nullopt);

  /// One bucket per `granularity` step from the step that holds `start` up to `end`, empty buckets included
  /// (value zero), for `subject` or across subjects; buckets begin at UTC plus `utc_offset` (a fixed offset,
  /// -18h to +18h in whole minutes: +05:30 days begin at 18:30 UTC). Throws InvalidArgument for an unknown
  /// meter, end before start, more than k_max_series_buckets buckets ("end"), or an offset beyond its bounds.
  [[nodiscard]] std::vector<UsageBucket> series(std::string_view meter, Timestamp start, Timestamp end,
                                                Granularity granularity,
                                                const std::optional<std::string>& subject = std::nullopt,
                                                std::chrono::minutes utc_offset = std::chrono::minutes(0));

 private:
  detail::Context& context_;
  UsageOptions options_{};
};

}  // namespace billing
