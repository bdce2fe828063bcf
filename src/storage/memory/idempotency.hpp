// The in-memory idempotency records, and the repository over them. Internal to the adapter.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "billing/storage/idempotency_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct IdempotencyTable {
  std::map<std::pair<std::string, std::string>, IdempotencyRecord> rows;  // by (scope, key)
};

class Idempotency final : public IdempotencyRepository {
 public:
  Idempotency(Session& session, IdempotencyTable& table) noexcept : session_(session), table_(table) {}

  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override;
  void put(const IdempotencyRecord& record) override;
  void remove(std::string_view scope, std::string_view key) override;
  std::size_t purge_expired(Timestamp now, std::size_t limit) override;

 private:
  /// Remembers how (scope, key) stood before this transaction touched it.
  void restore_on_rollback(const std::pair<std::string, std::string>& id);

  Session& session_;
  IdempotencyTable& table_;
};

}  // namespace billing::detail::memory
