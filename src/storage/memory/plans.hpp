// The in-memory plans, quota state and API keys, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "billing/storage/plan_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct PlanTable {
  std::map<std::string, StoredPlan, std::less<>> plans;                       // by code
  std::map<std::pair<std::string, std::string>, QuotaState> quotas;           // (plan, subject)
  std::set<std::tuple<std::string, std::string, std::string>> requests;       // (plan, subject, request id)
  std::map<std::string, StoredApiKey> keys;                                   // by id
};

class Plans final : public PlanRepository {
 public:
  Plans(Session& session, PlanTable& table) noexcept : session_(session), table_(table) {}

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
  Session& session_;
  PlanTable& table_;
};

}  // namespace billing::detail::memory
