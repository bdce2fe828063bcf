// The SQLite idempotency records (table `idempotency_keys`, see migrations/) and the repository over
// them. Internal to the adapter.
#pragma once

#include "billing/storage/idempotency_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

class Idempotency final : public IdempotencyRepository {
 public:
  explicit Idempotency(Session& session) noexcept : session_(session) {}

  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override;
  void put(const IdempotencyRecord& record) override;
  void remove(std::string_view scope, std::string_view key) override;
  std::size_t purge_expired(Timestamp now, std::size_t limit) override;

 private:
  Session& session_;
};

}  // namespace billing::detail::sqlite
