// The SQLite plans, quota state and API keys (tables `plans`, `quota_state`, `quota_requests` and `api_keys`,
// see migrations/v8_plans.inc) and the repository over them. Internal to the adapter.
#pragma once

#include "billing/storage/plan_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

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
  bool plan_exists(std::string_view code);

  Session& session_;
};

}  // namespace billing::detail::sqlite
