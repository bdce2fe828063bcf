// Plans, quotas and API keys: the services. Plans creates and reads immutable plans; Quotas checks and
// consumes a subject's quota and rate limit in one unit of work, recording each allowed call on the plan's
// quota meter through Usage in the same unit; ApiKeys issues keys whose secret is shown once and only hashed
// in the store. docs/plans.md has the rules.
//
// Every write joins this thread's Books::transaction() when one is open. Reach them through Books::plans(),
// Books::quotas() and Books::api_keys(); safe to share between threads. Quota state lives in the store, so at
// most N calls are allowed for a quota of N across threads and processes on one SQLite file.
//
//   auto [key, secret] = books.api_keys().create("acme", "pro");    // give `secret` to the caller, once
//   if (auto found = books.api_keys().authenticate(secret)) {
//     const QuotaDecision d = books.quotas().consume({.subject = found->id.str(), .plan = found->plan});
//     if (!d.allowed()) reply_429(d.retry_after);
//   }
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "billing/page.hpp"
#include "billing/plan.hpp"

namespace billing {

namespace detail {
class Context;
}
class UnitOfWork;
class Usage;
struct StoredPlan;

class Plans {
 public:
  Plans(detail::Context& context, Usage& usage) noexcept : context_(context), usage_(usage) {}

  /// Creates a plan. Results in order: exists (same definition), exists_with_different_fields, ok. Throws
  /// InvalidArgument naming the field for a request beyond the limits of plan.hpp ("code", "interval",
  /// "flat_fee", "quota", "quota_meter" (also when quota is given without it, or it names no defined meter),
  /// "rate_per_second", "burst" (also when given without a rate), "charges", "charges[api_calls]"), and
  /// CurrencyMismatch naming "flat_fee" or "charges[code]" for money in another currency; nothing is stored then.
  PlanOutcome create(const PlanRequest& request);

  /// The plan with `code`, or nullopt.
  [[nodiscard]] std::optional<Plan> get(std::string_view code);
  [[nodiscard]] std::optional<Plan> get(UnitOfWork& work, std::string_view code);

  /// Plans in code order, a page at a time. Throws InvalidArgument (field "limit") outside 1..1,000.
  [[nodiscard]] Page<Plan> list(const std::optional<std::string>& cursor = std::nullopt, std::size_t limit = 100);

 private:
  Plan decode(const StoredPlan& row);

  detail::Context& context_;
  Usage& usage_;
  std::mutex mutex_;
  std::unordered_map<std::string, Plan> decoded_;  // definition text -> plan: a plan never changes
};

class Quotas {
 public:
  Quotas(detail::Context& context, Plans& plans, Usage& usage) noexcept
      : context_(context), plans_(plans), usage_(usage) {}

  /// Checks `request.units` against the plan's quota for the current period and its token bucket, and when
  /// both allow them, consumes them and records a usage event (quantity = units, on the plan's quota meter,
  /// for the subject) in the same unit of work. Nothing is consumed or recorded when denied. Reasons in
  /// order: allowed (a replay of an allowed request id), quota_exceeded, rate_limited, allowed. Throws
  /// InvalidArgument naming "subject", "plan" (no such plan), "units" (0, beyond k_max_quota_units, beyond
  /// the plan's burst or quota) or "request_id"; nothing changes then.
  QuotaDecision consume(const QuotaRequest& request);
  QuotaDecision consume(UnitOfWork& work, const QuotaRequest& request);

  /// The stored state of (plan, subject), or nullopt when it never consumed; for audits and tests.
  [[nodiscard]] std::optional<QuotaState> state(std::string_view plan, std::string_view subject);

 private:
  detail::Context& context_;
  Plans& plans_;
  Usage& usage_;
};

class ApiKeys {
 public:
  ApiKeys(detail::Context& context, Plans& plans) noexcept : context_(context), plans_(plans) {}

  /// Issues a key for `subject` on `plan`, with an id from the books' IdSource and a secret of 32 bytes from
  /// OpenSSL's CSPRNG. Only the secret's SHA-256 is stored; the secret is returned this once. Throws
  /// InvalidArgument naming "subject" or "plan" (no such plan); nothing is stored then.
  [[nodiscard]] NewApiKey create(std::string_view subject, std::string_view plan);

  /// The active key whose secret this is, or nullopt for a secret that is malformed, unknown, wrong or
  /// revoked. Finds the row by the key id the secret carries (an index seek), then compares SHA-256 hashes
  /// with CRYPTO_memcmp, in constant time; an unknown id is compared against a dummy hash all the same.
  /// Never throws for any text, and no message ever holds it.
  [[nodiscard]] std::optional<ApiKey> authenticate(std::string_view secret);

  /// Denies the key from now on. Results: not_found, already_revoked, ok.
  RevokeResult revoke(const ApiKeyId& id);

  [[nodiscard]] std::optional<ApiKey> get(const ApiKeyId& id);
  /// Keys in id order, a page at a time; of `subject` only when given.
  [[nodiscard]] Page<ApiKey> list(const std::optional<std::string>& subject = std::nullopt,
                                  const std::optional<std::string>& cursor = std::nullopt, std::size_t limit = 100);

 private:
  detail::Context& context_;
  Plans& plans_;
};

}  // namespace billing
