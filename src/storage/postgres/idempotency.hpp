// The PostgreSQL idempotency records (table `idempotency_keys`, see migrations/v2_idempotency.inc) and the
// repository over them. Internal to the adapter.
//
// A key's writers take turns: in a write transaction, find() first takes the advisory lock of the key
// (Session::lock_key(), held until the transaction ends), whether or not a record exists yet, so two
// requests racing to claim one key never both see it free; and it reads an existing record FOR UPDATE.
#pragma once

#include "billing/storage/idempotency_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

class Idempotency final : public IdempotencyRepository {
 public:
  explicit Idempotency(Session& session) noexcept : session_(session) {}

  std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) override;
  void put(const IdempotencyRecord& record) override;
  void remove(std::string_view scope, std::string_view key) override;
  std::size_t purge_expired(Timestamp now, std::size_t limit) override;

 private:
  Session& session_;
  std::string lock_key_;  // the name of the key's lock, kept for its capacity
};

}  // namespace billing::detail::postgres
