// Plans, quotas and API keys: the values. A plan (a recurring flat fee on an interval, a quota per calendar
// period on a meter, a rate limit as a token bucket, and a Price per meter), the decision a quota check
// returns, and an API key with its status. The services are Plans, Quotas and ApiKeys (plans.hpp);
// docs/plans.md has the token bucket's arithmetic, the periods and the key format. Plain values; safe to
// share once built.
//
//   const PlanOutcome pro = books.plans().create({.code = "pro", .currency = Currency("USD"),
//                                                  .quota = 10'000, .quota_meter = "api_calls",
//                                                  .rate_per_second = Decimal(100), .burst = 100});
//   const QuotaDecision decision = books.quotas().consume("key_1", "pro");   // decision.allowed
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "billing/calendar.hpp"
#include "billing/currency.hpp"
#include "billing/decimal.hpp"
#include "billing/id.hpp"
#include "billing/money.hpp"
#include "billing/price.hpp"
#include "billing/time.hpp"

namespace billing {

/// Usage charges: one Price per meter code, sorted by code.
using PlanCharges = std::map<std::string, Price, std::less<>>;

/// What a host asks for when it creates a plan. Every part but the code and currency is optional.
struct PlanRequest {
  std::string code{};  ///< 1 to k_max_plan_code_bytes of A-Z a-z 0-9 _ . : -, starting with a letter
  Currency currency;   ///< the plan's money: the flat fee and every charge are in it
  PlanInterval interval = PlanInterval::month;
  std::optional<Money> flat_fee{};           ///< each interval; >= 0
  std::optional<std::uint64_t> quota{};      ///< units per period: 1 to k_max_quota; needs quota_meter
  std::optional<std::string> quota_meter{};  ///< the meter an allowed call is recorded on (a meter code)
  std::optional<Decimal> rate_per_second{};  ///< tokens a second: > 0, <= k_max_rate_per_second, up to 6 places
  std::optional<std::uint64_t> burst{};      ///< the bucket's size: 1 to k_max_burst; ceil(rate) when absent
  PlanCharges charges{};                     ///< up to k_max_plan_charges, each in the plan's currency
};

/// A plan as stored. Immutable: its definition never changes once created.
struct Plan {
  std::string code{};
  Currency currency;
  PlanInterval interval = PlanInterval::month;
  std::optional<Money> flat_fee{};
  std::optional<std::uint64_t> quota{};
  std::optional<std::string> quota_meter{};
  std::optional<Decimal> rate_per_second{};  ///< normalized (no trailing zeros)
  std::optional<std::uint64_t> burst{};      ///< set whenever rate_per_second is
  PlanCharges charges{};
  Timestamp created_at{};

  /// The same definition (created_at aside).
  [[nodiscard]] bool same_definition(const Plan& other) const;
  friend bool operator==(const Plan&, const Plan&) = default;
};

/// The outcome of Plans::create, checked in this order.
enum class PlanResult : std::uint8_t {
  ok,                            ///< created
  exists,                        ///< a plan with this code and the same definition exists; it is returned
  exists_with_different_fields,  ///< a plan with this code and another definition exists; it is returned
};

struct [[nodiscard]] PlanOutcome {
  PlanResult result{};
  Plan plan;  ///< the stored plan, for every result
  [[nodiscard]] bool ok() const noexcept { return result == PlanResult::ok; }
};

/// Why a quota check allowed or denied a call, checked in this order: the quota first (it does not come
/// back before the period ends), then the rate limit.
enum class QuotaReason : std::uint8_t {
  allowed,         ///< consumed: the units count against the period and the bucket
  quota_exceeded,  ///< the period's quota has fewer units left than asked for; nothing consumed
  rate_limited,    ///< the bucket has fewer tokens than asked for; nothing consumed
};

/// What Quotas::consume decides.
struct [[nodiscard]] QuotaDecision {
  QuotaReason reason = QuotaReason::allowed;
  /// Units left in the current period after this call; absent when the plan has no quota.
  std::optional<std::uint64_t> remaining{};
  /// Zero when allowed. Otherwise how long until the call could pass: until the period resets
  /// (quota_exceeded), or until the bucket holds the units asked for, rounded up to a microsecond
  /// (rate_limited).
  std::chrono::microseconds retry_after{0};
  /// True when a call with the same request id was allowed before: nothing was consumed again.
  bool replayed = false;

  [[nodiscard]] bool allowed() const noexcept { return reason == QuotaReason::allowed; }
  friend bool operator==(const QuotaDecision&, const QuotaDecision&) = default;
};

/// What a quota check asks for.
struct QuotaRequest {
  std::string subject{};  ///< who calls (an API key, a user): 1 to k_max_quota_subject_bytes, one line
  std::string plan{};     ///< a plan's code
  std::uint64_t units = 1;  ///< 1 to k_max_quota_units
  /// Makes a retry idempotent: a second call with the same (plan, subject, request id) after one that was
  /// allowed consumes nothing and returns allowed with replayed set. 1 to k_max_request_id_bytes, one line.
  std::optional<std::string> request_id{};
};

/// One subject's quota and bucket on one plan, as stored: Quotas::state() returns it for audits and tests.
struct QuotaState {
  std::string plan{};
  std::string subject{};
  Timestamp period_start{};   ///< the period `used` counts in
  std::uint64_t used = 0;     ///< units allowed in that period
  std::int64_t tokens = 0;    ///< the bucket, in 10^-12 token (k_token_scale), at refilled_at
  Timestamp refilled_at{};
  std::uint64_t allowed_total = 0;  ///< units allowed over all time (for audits and tests)

  friend bool operator==(const QuotaState&, const QuotaState&) = default;
};

struct ApiKeyTag {
  static constexpr std::string_view k_field = "key_id";
};
using ApiKeyId = Id<ApiKeyTag>;

enum class ApiKeyStatus : std::uint8_t { active, revoked };

/// An API key as stored: public parts only. The secret is never kept; only its SHA-256 is.
struct ApiKey {
  ApiKeyId id;
  std::string subject{};
  std::string plan{};
  ApiKeyStatus status = ApiKeyStatus::active;
  Timestamp created_at{};
  std::optional<Timestamp> revoked_at{};

  friend bool operator==(const ApiKey&, const ApiKey&) = default;
};

/// A new key and its secret, which is shown this once.
struct NewApiKey {
  ApiKey key;
  std::string secret;  ///< "bk_live_" + key id + "_" + 52 base32 characters (32 random bytes)
};

/// The outcome of ApiKeys::revoke, checked in this order.
enum class RevokeResult : std::uint8_t {
  ok,
  not_found,        ///< no key has this id
  already_revoked,  ///< revoked before; nothing changed
};

[[nodiscard]] std::string_view to_string(PlanInterval interval) noexcept;
[[nodiscard]] std::string_view to_string(PlanResult result) noexcept;
[[nodiscard]] std::string_view to_string(QuotaReason reason) noexcept;
[[nodiscard]] std::string_view to_string(ApiKeyStatus status) noexcept;
[[nodiscard]] std::string_view to_string(RevokeResult result) noexcept;

/// The limits of the area's inputs, each checked before any work starts (InvalidArgument naming the field).
inline constexpr std::size_t k_max_plan_code_bytes = 64;
inline constexpr std::uint64_t k_max_quota = 1'000'000'000'000'000;  // 10^15 units a period
inline constexpr int k_max_rate_places = 6;
inline constexpr std::int64_t k_max_rate_per_second = 1'000'000;
inline constexpr std::uint64_t k_max_burst = 1'000'000;
inline constexpr std::size_t k_max_plan_charges = 32;
inline constexpr std::size_t k_max_quota_subject_bytes = 255;
inline constexpr std::uint64_t k_max_quota_units = 1'000'000;
inline constexpr std::size_t k_max_request_id_bytes = 255;
/// Tokens are kept as integers of 10^-12 token: a rate of up to 6 places adds a whole number of them every
/// microsecond (docs/plans.md, "The token bucket").
inline constexpr std::int64_t k_token_scale = 1'000'000'000'000;

}  // namespace billing
