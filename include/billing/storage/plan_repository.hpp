// The storage of plans, quota state and API keys: the repository interface the area's rules (plans.hpp)
// use. An adapter implements it in src/storage/<adapter>/plans.cpp. One instance belongs to one
// Transaction and to the thread that uses it.
//
// A plan is stored as its code, its definition (canonical JSON that the domain writes and reads; the adapter
// keeps it as text) and its creation time; plans never change. Quota state is one row per (plan, subject),
// rewritten on every allowed call. An API key row holds the SHA-256 of its secret, never the secret. The
// adapter decides nothing: what a call consumes is the area's to say.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/plan.hpp"

namespace billing {

/// A plan's row.
struct StoredPlan {
  std::string code{};
  std::string definition{};  ///< canonical JSON (src/plans/plan_codec.cpp)
  Timestamp created_at{};

  friend bool operator==(const StoredPlan&, const StoredPlan&) = default;
};

/// An API key's row: the key and the SHA-256 of its secret.
struct StoredApiKey {
  ApiKey key;
  std::array<std::uint8_t, 32> secret_hash{};

  friend bool operator==(const StoredApiKey&, const StoredApiKey&) = default;
};

class PlanRepository {
 public:
  virtual ~PlanRepository() = default;

  /// Stores a new plan. Returns false and stores nothing when its code exists.
  virtual bool insert_plan(const StoredPlan& plan) = 0;
  /// The plan with `code`, or nullopt.
  [[nodiscard]] virtual std::optional<StoredPlan> find_plan(std::string_view code) = 0;
  /// Up to `limit` plans with a code after `after` (all when empty), in code order.
  [[nodiscard]] virtual std::vector<StoredPlan> plans(const std::string& after, std::size_t limit) = 0;

  /// The quota state of (plan, subject), or nullopt when none was written.
  [[nodiscard]] virtual std::optional<QuotaState> find_quota(std::string_view plan, std::string_view subject) = 0;
  /// Writes the quota state of (state.plan, state.subject), replacing any. Throws InvariantViolation (field
  /// "plan") when no plan has the code, and (naming the field) for a state that breaks the area's invariants
  /// (integrity.hpp: check_quota_state); leaves the row unchanged then.
  virtual void put_quota(const QuotaState& state) = 0;

  /// Whether a call with `request_id` was allowed on (plan, subject).
  [[nodiscard]] virtual bool request_seen(std::string_view plan, std::string_view subject,
                                          std::string_view request_id) = 0;
  /// Records an allowed call's request id. Throws InvariantViolation (field "request_id") when it was
  /// recorded before.
  virtual void insert_request(std::string_view plan, std::string_view subject, std::string_view request_id,
                              Timestamp at) = 0;

  /// Stores a new key. Returns false and stores nothing when its id exists. Throws InvariantViolation (field
  /// "plan") when no plan has the key's plan code.
  virtual bool insert_key(const StoredApiKey& key) = 0;
  /// The key with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<StoredApiKey> find_key(const ApiKeyId& id) = 0;
  /// Up to `limit` keys with an id after `after` (all when empty), in id order; of `subject` only when given.
  [[nodiscard]] virtual std::vector<ApiKey> keys(const std::optional<std::string>& subject, const std::string& after,
                                                 std::size_t limit) = 0;
  /// Marks an active key revoked at `at`. Throws InvariantViolation (field "key_id") when no active key has
  /// the id; leaves it unchanged then.
  virtual void revoke_key(const ApiKeyId& id, Timestamp at) = 0;
};

}  // namespace billing
