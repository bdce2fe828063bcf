// Plans' rules: what a plan may hold (the limits of plan.hpp), checked before the store is touched, and
// create-once semantics (a code is taken forever; the same definition again is EXISTS).
#include "billing/plans.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/plan_repository.hpp"
#include "billing/storage/store.hpp"
#include "billing/usage.hpp"
#include "context.hpp"
#include "plan_codec.hpp"
#include "plan_rules.hpp"

namespace billing {
namespace detail {

bool is_code_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '-';
}

std::optional<std::string> code_problem(std::string_view code, std::size_t max_bytes) {
  if (code.empty() || code.size() > max_bytes) {
    return fmt::format("must be 1 to {} characters, not {}", max_bytes, code.size());
  }
  const char first = code.front();
  if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z'))) {
    return std::string("must start with a letter (A-Z or a-z)");
  }
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (!is_code_char(code[i])) return fmt::format("byte {} is not one of A-Z a-z 0-9 _ . : -", i);
  }
  return std::nullopt;
}

void validate_code(std::string_view code, std::string_view field, std::size_t max_bytes) {
  if (auto problem = code_problem(code, max_bytes)) throw InvalidArgument(std::string(field), *problem);
}

}  // namespace detail

namespace {

void check_money(const Money& amount, Currency currency, const std::string& field) {
  if (amount.currency() != currency) {
    throw CurrencyMismatch(field, fmt::format("is in {}, the plan in {}", amount.currency().code(), currency.code()));
  }
  if (amount.sign() < 0) throw InvalidArgument(field, "must not be negative");
}

std::uint64_t ceil_at_least_one(const Decimal& rate) {
  const Decimal whole = rate.round(0, RoundingMode::ceiling);
  const auto magnitude = whole.coefficient().magnitude();
  return magnitude < 1 ? 1 : static_cast<std::uint64_t>(magnitude);
}

// The plan `request` asks for, with every part checked and normalized; created_at is left to the caller.
Plan checked(const PlanRequest& request, Usage& usage) {
  detail::validate_code(request.code, "code", k_max_plan_code_bytes);
  if (static_cast<unsigned>(request.interval) > static_cast<unsigned>(PlanInterval::year)) {
    throw InvalidArgument("interval", "is not a PlanInterval");
  }
  Plan plan{.code = request.code, .currency = request.currency, .interval = request.interval};
  if (request.flat_fee) {
    check_money(*request.flat_fee, request.currency, "flat_fee");
    plan.flat_fee = request.flat_fee;
  }
  if (request.quota) {
    if (*request.quota < 1 || *request.quota > k_max_quota) {
      throw InvalidArgument("quota", fmt::format("must be 1 to {}", k_max_quota));
    }
    if (!request.quota_meter) throw InvalidArgument("quota_meter", "is required with a quota");
    plan.quota = request.quota;
  }
  if (request.quota_meter) {
    detail::validate_code(*request.quota_meter, "quota_meter", k_max_meter_code_bytes);
    if (!usage.meter(*request.quota_meter)) throw InvalidArgument("quota_meter", "names no defined meter");
    plan.quota_meter = request.quota_meter;
  }
  if (request.rate_per_second) {
    const Decimal rate = request.rate_per_second->normalized();
    if (rate.sign() <= 0 || rate > Decimal(k_max_rate_per_second)) {
      throw InvalidArgument("rate_per_second", fmt::format("must be more than 0 and at most {}", k_max_rate_per_second));
    }
    if (rate.scale() > k_max_rate_places) {
      throw InvalidArgument("rate_per_second", fmt::format("has more than {} places", k_max_rate_places));
    }
    plan.rate_per_second = rate;
    plan.burst = request.burst ? *request.burst : std::min(ceil_at_least_one(rate), k_max_burst);
    if (*plan.burst < 1 || *plan.burst > k_max_burst) {
      throw InvalidArgument("burst", fmt::format("must be 1 to {}", k_max_burst));
    }
  } else if (request.burst) {
    throw InvalidArgument("burst", "needs rate_per_second");
  }
  if (request.charges.size() > k_max_plan_charges) {
    throw InvalidArgument("charges", fmt::format("holds more than {} prices", k_max_plan_charges));
  }
  std::size_t index = 0;
  for (const auto& [meter, price] : request.charges) {
    if (auto problem = detail::code_problem(meter, k_max_meter_code_bytes)) {
      throw InvalidArgument("charges", fmt::format("key {}: {}", index, *problem));
    }
    if (price.currency() != request.currency) {
      throw CurrencyMismatch(fmt::format("charges[{}]", meter),
                             fmt::format("is in {}, the plan in {}", price.currency().code(), request.currency.code()));
    }
    ++index;
  }
  plan.charges = request.charges;
  return plan;
}

}  // namespace

Plan Plans::decode(const StoredPlan& row) {
  std::string cache_key = fmt::format("{}\n{}\n{}", row.code, row.created_at.unix_micros(), row.definition);
  {
    std::lock_guard lock(mutex_);
    if (auto it = decoded_.find(cache_key); it != decoded_.end()) return it->second;
  }
  Plan plan = detail::decode_plan(row.definition, row.code, row.created_at);
  std::lock_guard lock(mutex_);
  if (decoded_.size() >= 4096) decoded_.clear();  // a bound, not an eviction policy: plans are few
  decoded_.emplace(std::move(cache_key), plan);
  return plan;
}

PlanOutcome Plans::create(const PlanRequest& request) {
  Plan plan = checked(request, usage_);
  return context_.write([&](UnitOfWork& work) {
    PlanRepository& repo = work->plans();
    if (auto row = repo.find_plan(plan.code)) {
      Plan stored = decode(*row);
      const bool same = stored.same_definition(plan);
      return PlanOutcome{same ? PlanResult::exists : PlanResult::exists_with_different_fields, std::move(stored)};
    }
    plan.created_at = context_.clock().now();
    const bool inserted = repo.insert_plan({plan.code, detail::encode_plan(plan), plan.created_at});
    BILLING_ASSERT(inserted);
    return PlanOutcome{PlanResult::ok, plan};
  });
}

std::optional<Plan> Plans::get(std::string_view code) {
  return context_.read([&](UnitOfWork& work) { return get(work, code); });
}

std::optional<Plan> Plans::get(UnitOfWork& work, std::string_view code) {
  if (code.empty() || code.size() > k_max_plan_code_bytes) return std::nullopt;
  auto row = work->plans().find_plan(code);
  if (!row) return std::nullopt;
  return decode(*row);
}

Page<Plan> Plans::list(const std::optional<std::string>& cursor, std::size_t limit) {
  detail::check_page_limit(limit);
  if (cursor) detail::validate_code(*cursor, "cursor", k_max_plan_code_bytes);
  return context_.read([&](UnitOfWork& work) {
    std::vector<Plan> out;
    for (const StoredPlan& row : work->plans().plans(cursor.value_or(""), limit + 1)) out.push_back(decode(row));
    return detail::make_page(std::move(out), limit, [](const Plan& plan) { return plan.code; });
  });
}

}  // namespace billing
