#include "idempotency.hpp"

namespace billing::detail::memory {

std::optional<IdempotencyRecord> Idempotency::find(std::string_view scope, std::string_view key) {
  session_.require_open();
  const auto it = table_.rows.find({std::string(scope), std::string(key)});
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

void Idempotency::put(const IdempotencyRecord& record) {
  session_.require_write();
  const auto id = std::make_pair(record.scope, record.key);
  restore_on_rollback(id);
  table_.rows.insert_or_assign(id, record);
}

void Idempotency::remove(std::string_view scope, std::string_view key) {
  session_.require_write();
  const auto id = std::make_pair(std::string(scope), std::string(key));
  restore_on_rollback(id);
  table_.rows.erase(id);
}

std::size_t Idempotency::purge_expired(Timestamp now, std::size_t limit) {
  session_.require_write();
  std::vector<std::pair<std::string, std::string>> expired;
  for (const auto& [id, record] : table_.rows) {
    if (expired.size() == limit) break;
    if (!(now < record.expires_at)) expired.push_back(id);
  }
  for (const auto& id : expired) remove(id.first, id.second);
  return expired.size();
}

void Idempotency::restore_on_rollback(const std::pair<std::string, std::string>& id) {
  const auto it = table_.rows.find(id);
  std::optional<IdempotencyRecord> before;
  if (it != table_.rows.end()) before = it->second;
  session_.on_rollback([this, id, before] {
    if (before) {
      table_.rows.insert_or_assign(id, *before);
    } else {
      table_.rows.erase(id);
    }
  });
}

}  // namespace billing::detail::memory
