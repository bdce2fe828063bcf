// The idempotency area's storage: the record of a key and the repository interface the rules use.
// An adapter implements it in src/storage/<adapter>/idempotency.cpp.
// One instance belongs to one Transaction and to the thread that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/entry.hpp"
#include "billing/time.hpp"

namespace billing {

/// A stored key: who holds it, what the request was, and (once done) its outcome.
struct IdempotencyRecord {
  enum class State : std::uint8_t { in_flight, completed };

  std::string scope{};
  std::string key{};
  Hash fingerprint{};  ///< SHA-256 of the canonical request
  State state = State::in_flight;
  std::string outcome{};  ///< set when completed
  std::string owner{};    ///< a token naming the claim that holds an in-flight key
  Timestamp created_at{};
  Timestamp lease_until{};  ///< in flight: after this the holder is presumed dead
  Timestamp expires_at{};   ///< after this the key is forgotten

  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

/// Idempotency keys. Each (scope, key) has at most one record.
class IdempotencyRepository {
 public:
  virtual ~IdempotencyRepository() = default;

  /// The record of (scope, key), or nullopt.
  [[nodiscard]] virtual std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) = 0;
  /// Stores `record`, replacing any record of its (scope, key).
  virtual void put(const IdempotencyRecord& record) = 0;
  /// Removes the record of (scope, key), if there is one.
  virtual void remove(std::string_view scope, std::string_view key) = 0;
  /// Removes up to `limit` records whose expires_at <= `now`. Returns how many it removed.
  virtual std::size_t purge_expired(Timestamp now, std::size_t limit) = 0;
};

}  // namespace billing
