// The PostgreSQL plans, quota state and API keys (tables `plans`, `quota_state`, `quota_requests` and
// `api_keys`, see migrations/v7_plans.inc) and the repository over them. Internal to the adapter.
//
// Writers in other processes run at once (READ COMMITTED), so in a write transaction each read that a write
// depends on locks first:
//  - find_quota() locks the quota row of (plan, subject) (FOR UPDATE) and, when there is none yet, the key
//    (plan, subject) (Session::lock_key("quota", ...)) before it reads again: two calls on one quota take
//    turns, and what a caller read is what its put_quota() replaces. request_seen() takes the same lock
//    unless this transaction holds it already (a consume reads the quota first), so a request id is looked
//    for and recorded by one writer at a time;
//  - find_plan() that finds no plan locks its code (Session::lock_key("plans", ...)) and reads again, so two
//    creates of one plan take turns (a plan that exists never changes: it needs no lock);
//  - find_key() locks the key's row, so two revokes of one key take turns.
// Writes that name a plan check that it exists in the same statement, and a taken id or request id inserts
// nothing: a refusal never aborts the transaction.
#pragma once

#include <string>

#include "billing/storage/plan_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

class Plans final : public PlanRepository {
 public:
  explicit Plans(Session& session) noexcept : session_(session) {}

  bool insert_plan(const StoredPlan& plan) override;
  std::optional<StoredPlan> find_plan(std::string_view code) override;
  std::vector<StoredPlan> plans(const std::string& after, std::size_t limit) override;
  std::optional<QuotaState> find_quota(std::string_view plan, std::string_view subject) override;
  void put_quota(const QuotaState& state) override;
  bool request_seen(std::string_view plan, std::string_view subject, std::string_view request_id) override;
  void insert_request(std::string_view plan, std::string_view subject, std::string_view request_id,
                      Timestamp at) override;
  bool insert_key(const StoredApiKey& key) override;
  std::optional<StoredApiKey> find_key(const ApiKeyId& id) override;
  std::vector<ApiKey> keys(const std::optional<std::string>& subject, const std::string& after,
                           std::size_t limit) override;
  void revoke_key(const ApiKeyId& id, Timestamp at) override;

 private:
  /// The quota state of (plan, subject); in a write transaction locked as the header says, and remembered as
  /// the quota this transaction holds.
  std::optional<QuotaState> read_quota(std::string_view plan, std::string_view subject);

  Session& session_;
  std::string locked_quota_;  // plan \x1f subject of the last quota this write transaction locked
  bool quota_locked_ = false;
};

}  // namespace billing::detail::postgres
