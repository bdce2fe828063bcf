#include "plans.hpp"

#include "../integrity.hpp"

namespace billing::detail::memory {

bool Plans::insert_plan(const StoredPlan& plan) {
  session_.require_write();
  if (!table_.plans.emplace(plan.code, plan).second) return false;
  session_.on_rollback([this, code = plan.code] { table_.plans.erase(code); });
  return true;
}

std::optional<StoredPlan> Plans::find_plan(std::string_view code) {
  session_.require_open();
  const auto it = table_.plans.find(code);
  if (it == table_.plans.end()) return std::nullopt;
  return it->second;
}

std::vector<StoredPlan> Plans::plans(const std::string& after, std::size_t limit) {
  session_.require_open();
  std::vector<StoredPlan> out;
  for (auto it = table_.plans.upper_bound(after); it != table_.plans.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<QuotaState> Plans::find_quota(std::string_view plan, std::string_view subject) {
  session_.require_open();
  const auto it = table_.quotas.find({std::string(plan), std::string(subject)});
  if (it == table_.quotas.end()) return std::nullopt;
  return it->second;
}

void Plans::put_quota(const QuotaState& state) {
  session_.require_write();
  integrity::check_quota_state(state);
  if (!table_.plans.contains(state.plan)) integrity::missing_plan(state.plan);
  std::pair key{state.plan, state.subject};
  std::optional<QuotaState> before;
  if (const auto it = table_.quotas.find(key); it != table_.quotas.end()) before = it->second;
  table_.quotas.insert_or_assign(key, state);
  session_.on_rollback([this, key = std::move(key), before = std::move(before)] {
    if (before) {
      table_.quotas.insert_or_assign(key, *before);
    } else {
      table_.quotas.erase(key);
    }
  });
}

bool Plans::request_seen(std::string_view plan, std::string_view subject, std::string_view request_id) {
  session_.require_open();
  return table_.requests.contains({std::string(plan), std::string(subject), std::string(request_id)});
}

void Plans::insert_request(std::string_view plan, std::string_view subject, std::string_view request_id,
                           Timestamp /*at*/) {
  session_.require_write();
  if (!table_.plans.contains(plan)) integrity::missing_plan(plan);
  std::tuple key{std::string(plan), std::string(subject), std::string(request_id)};
  if (!table_.requests.insert(key).second) throw InvariantViolation("request_id", "was recorded before");
  session_.on_rollback([this, key = std::move(key)] { table_.requests.erase(key); });
}

bool Plans::insert_key(const StoredApiKey& key) {
  session_.require_write();
  if (!table_.plans.contains(key.key.plan)) integrity::missing_plan(key.key.plan);
  if (!table_.keys.emplace(key.key.id.str(), key).second) return false;
  session_.on_rollback([this, id = key.key.id.str()] { table_.keys.erase(id); });
  return true;
}

std::optional<StoredApiKey> Plans::find_key(const ApiKeyId& id) {
  session_.require_open();
  const auto it = table_.keys.find(id.str());
  if (it == table_.keys.end()) return std::nullopt;
  return it->second;
}

std::vector<ApiKey> Plans::keys(const std::optional<std::string>& subject, const std::string& after,
                                std::size_t limit) {
  session_.require_open();
  std::vector<ApiKey> out;
  for (auto it = table_.keys.upper_bound(after); it != table_.keys.end() && out.size() < limit; ++it) {
    if (!subject || it->second.key.subject == *subject) out.push_back(it->second.key);
  }
  return out;
}

void Plans::revoke_key(const ApiKeyId& id, Timestamp at) {
  session_.require_write();
  const auto it = table_.keys.find(id.str());
  if (it == table_.keys.end() || it->second.key.status != ApiKeyStatus::active) integrity::missing_api_key(id);
  const StoredApiKey before = it->second;
  it->second.key.status = ApiKeyStatus::revoked;
  it->second.key.revoked_at = at;
  session_.on_rollback([this, before] { table_.keys.insert_or_assign(before.key.id.str(), before); });
}

}  // namespace billing::detail::memory
