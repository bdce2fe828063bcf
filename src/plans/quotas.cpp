// Quotas' rules: a calendar-period counter and a token bucket per (plan, subject), kept in the store and
// changed in one unit of work with the usage event an allowed call records. docs/plans.md has the exact
// arithmetic; every number here is an integer (tokens in 10^-12, time in microseconds), never a float.
#include <fmt/format.h>

#include "billing/entry.hpp"
#include "billing/error.hpp"
#include "billing/plans.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/store.hpp"
#include "billing/usage.hpp"
#include "context.hpp"
#include "plan_rules.hpp"
#include "text.hpp"

namespace billing {
namespace {

using Wide = Decimal::Coefficient::Magnitude;  // unsigned 128 bits: rate x elapsed never overflows it

void validate(const QuotaRequest& request) {
  if (request.subject.empty()) throw InvalidArgument("subject", "must not be empty");
  detail::validate_line(request.subject, "subject", k_max_quota_subject_bytes);
  detail::validate_code(request.plan, "plan", k_max_plan_code_bytes);
  if (request.units < 1 || request.units > k_max_quota_units) {
    throw InvalidArgument("units", fmt::format("must be 1 to {}", k_max_quota_units));
  }
  if (request.request_id) {
    if (request.request_id->empty()) throw InvalidArgument("request_id", "must not be empty; leave it out for none");
    detail::validate_line(*request.request_id, "request_id", k_max_request_id_bytes);
  }
}

// Scaled tokens a second's rate adds each microsecond: rate x 10^12 / 10^6, whole because a rate has at most
// 6 places.
std::int64_t tokens_per_micro(const Decimal& rate) {
  const Decimal scaled = rate * Decimal(1'000'000);
  return static_cast<std::int64_t>(scaled.round(0, RoundingMode::down).coefficient().magnitude());
}

// The bucket at `now`: `tokens` at `refilled_at`, plus what the rate added since, up to the burst.
std::int64_t refilled(const QuotaState& state, std::int64_t per_micro, std::int64_t capacity, Timestamp now) {
  if (!(state.refilled_at < now)) return std::min(state.tokens, capacity);
  const auto elapsed = static_cast<Wide>(now.unix_micros() - state.refilled_at.unix_micros());
  const Wide total = static_cast<Wide>(state.tokens) + elapsed * static_cast<Wide>(per_micro);
  return total >= static_cast<Wide>(capacity) ? capacity : static_cast<std::int64_t>(total);
}

std::string hex(const Hash& hash, std::size_t bytes) {
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += k_hex[hash[i] >> 4U];
    out += k_hex[hash[i] & 0x0FU];
  }
  return out;
}

// The usage event's id: the same for a retry with the same request id, and without one the n-th allowed call
// of (plan, subject), so that ids never collide across processes whatever their id sources.
std::string event_id(const QuotaRequest& request, std::uint64_t n) {
  const std::string tail = request.request_id ? "r" + *request.request_id : fmt::format("n{}", n);
  const std::string_view nul("\0", 1);
  return "quota." + hex(detail::sha256({request.plan, nul, request.subject, nul, tail}), 20);
}

}  // namespace

QuotaDecision Quotas::consume(const QuotaRequest& request) {
  validate(request);
  return context_.write([&](UnitOfWork& work) { return consume(work, request); });
}

QuotaDecision Quotas::consume(UnitOfWork& work, const QuotaRequest& request) {
  validate(request);
  const std::optional<Plan> plan = plans_.get(work, request.plan);
  if (!plan) throw InvalidArgument("plan", "names no plan");
  if (plan->burst && request.units > *plan->burst) throw InvalidArgument("units", "exceeds the plan's burst");
  if (plan->quota && request.units > *plan->quota) throw InvalidArgument("units", "exceeds the plan's quota");

  const Timestamp now = context_.clock().now();
  PlanRepository& repo = work->plans();
  const std::int64_t capacity =
      plan->burst ? static_cast<std::int64_t>(*plan->burst) * k_token_scale : std::int64_t{0};
  QuotaState state = repo.find_quota(request.plan, request.subject)
                         .value_or(QuotaState{.plan = request.plan, .subject = request.subject,
                                              .tokens = capacity, .refilled_at = now});
  const Timestamp period = period_start(plan->interval, now);
  if (state.period_start != period) {
    state.period_start = period;
    state.used = 0;
  }
  const auto remaining = [&]() -> std::optional<std::uint64_t> {
    if (!plan->quota) return std::nullopt;
    return *plan->quota - std::min(state.used, *plan->quota);
  };

  if (request.request_id && repo.request_seen(request.plan, request.subject, *request.request_id)) {
    return QuotaDecision{.reason = QuotaReason::allowed, .remaining = remaining(), .replayed = true};
  }
  if (plan->quota && state.used + request.units > *plan->quota) {
    return QuotaDecision{.reason = QuotaReason::quota_exceeded, .remaining = remaining(),
                         .retry_after = next_period_start(plan->interval, now) - now};
  }
  if (plan->rate_per_second) {
    const std::int64_t per_micro = tokens_per_micro(*plan->rate_per_second);
    const std::int64_t tokens = refilled(state, per_micro, capacity, now);
    const std::int64_t need = static_cast<std::int64_t>(request.units) * k_token_scale;
    if (tokens < need) {
      const std::int64_t wait = (need - tokens + per_micro - 1) / per_micro;  // rounded up
      return QuotaDecision{.reason = QuotaReason::rate_limited, .remaining = remaining(),
                           .retry_after = std::chrono::microseconds(wait)};
    }
    state.tokens = tokens - need;
    state.refilled_at = std::max(now, state.refilled_at);
  }

  state.used += request.units;
  state.allowed_total += request.units;
  repo.put_quota(state);
  if (request.request_id) repo.insert_request(request.plan, request.subject, *request.request_id, now);
  if (plan->quota_meter) {
    const RecordResult recorded = usage_.record(
        work, UsageEvent{.id = event_id(request, state.allowed_total), .meter = *plan->quota_meter,
                         .subject = request.subject, .quantity = Decimal(request.units), .at = now});
    if (recorded != RecordResult::ok) {
      throw InvariantViolation("quota_meter",
                               fmt::format("the allowed call's usage event was not recorded ({})", to_string(recorded)));
    }
  }
  return QuotaDecision{.reason = QuotaReason::allowed, .remaining = remaining()};
}

std::optional<QuotaState> Quotas::state(std::string_view plan, std::string_view subject) {
  return context_.read([&](UnitOfWork& work) { return work->plans().find_quota(plan, subject); });
}

}  // namespace billing
