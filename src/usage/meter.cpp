#include "billing/meter.hpp"

#include "billing/usage.hpp"

namespace billing {

std::string_view to_string(Aggregation aggregation) noexcept {
  switch (aggregation) {
    case Aggregation::count: return "count";
    case Aggregation::sum: return "sum";
    case Aggregation::min: return "min";
    case Aggregation::max: return "max";
    case Aggregation::avg: return "avg";
    case Aggregation::latest: return "latest";
    case Aggregation::unique_count: return "unique_count";
  }
  return "unknown";
}

std::string_view to_string(Granularity granularity) noexcept {
  switch (granularity) {
    case Granularity::minute: return "minute";
    case Granularity::hour: return "hour";
    case Granularity::day: return "day";
    case Granularity::month: return "month";
  }
  return "unknown";
}

std::string_view to_string(RecordResult result) noexcept {
  switch (result) {
    case RecordResult::ok: return "ok";
    case RecordResult::duplicate: return "duplicate";
    case RecordResult::unknown_meter: return "unknown_meter";
    case RecordResult::too_late: return "too_late";
    case RecordResult::too_early: return "too_early";
  }
  return "unknown";
}

std::string_view to_string(CancelResult result) noexcept {
  switch (result) {
    case CancelResult::ok: return "ok";
    case CancelResult::not_found: return "not_found";
    case CancelResult::already_cancelled: return "already_cancelled";
    case CancelResult::window_passed: return "window_passed";
  }
  return "unknown";
}

std::string_view to_string(MeterResult result) noexcept {
  switch (result) {
    case MeterResult::ok: return "ok";
    case MeterResult::exists: return "exists";
    case MeterResult::exists_with_different_fields: return "exists_with_different_fields";
  }
  return "unknown";
}

}  // namespace billing
