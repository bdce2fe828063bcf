// Plans' values: names, and what makes two definitions the same (calendar periods: src/calendar.cpp).
#include "billing/plan.hpp"

#include "billing/error.hpp"

namespace billing {

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
