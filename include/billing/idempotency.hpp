// Idempotency keys: a retry never does the work twice.
//
// A request runs under a key (scoped to a caller or tenant) with a fingerprint of its parameters:
//  - same key, same request, already done: the stored outcome is replayed; the work does not run again;
//  - same key, another request: a mismatch;
//  - same key while the first request is still running: a conflict (try again later);
//  - the work's writes and its outcome commit in one unit of work; an exception or a rollback releases
//    the key, so a retry can run;
//  - a holder that died leaves its claim behind only until its lease runs out;
//  - keys expire after a window (24 hours by default) and may then be used for a new request.
// Reach it through Books::idempotency(); safe to share between threads.
//
//   auto outcome = books.idempotency().run({.scope = "tenant-7", .key = "charge-42"}, request_json, [&] {
//     auto posted = books.ledger().transfer(...);      // joins the key's unit of work
//     return std::string(to_string(posted.result));     // the outcome stored with the key
//   });
//   if (outcome.result == IdempotencyResult::replayed) { /* outcome.outcome is the first run's */ }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "billing/entry.hpp"
#include "billing/storage/idempotency_repository.hpp"
#include "billing/time.hpp"

namespace billing {

namespace detail {
class Context;
}

/// Who is asking, and for what. `key` is 1 to 255 bytes; `scope` (a caller or tenant) 0 to 255 bytes.
struct IdempotencyKey {
  std::string scope{};
  std::string key{};
};

/// What happened to a request under a key.
enum class IdempotencyResult : std::uint8_t {
  executed,  ///< the work ran now and its outcome was stored
  replayed,  ///< the work ran before; its stored outcome is returned
  mismatch,  ///< the key was used for another request
  conflict,  ///< the key is held by a request still in flight (or this one lost its lease)
};

[[nodiscard]] std::string_view to_string(IdempotencyResult result) noexcept;

struct [[nodiscard]] IdempotentOutcome {
  IdempotencyResult result{};
  std::string outcome{};  ///< executed and replayed: the stored outcome
};

/// How long keys live. A window or lease of zero would switch idempotency off without a word (every retry
/// would find its key forgotten and run again), so configure() refuses both, and values beyond their bounds.
struct IdempotencyOptions {
  /// How long a completed key is remembered: more than zero, at most k_max_window.
  std::chrono::microseconds window = std::chrono::hours(24);
  /// How long an in-flight claim is honoured; past it, another request may take the key over. More than
  /// zero, at most the window (a claim must not outlive the record that holds it).
  std::chrono::microseconds lease = std::chrono::seconds(30);

  static constexpr std::chrono::microseconds k_max_window = std::chrono::hours(24 * 366);
};

/// The longest key and scope, and the longest canonical request and stored outcome, in bytes.
inline constexpr std::size_t k_max_idempotency_key_bytes = 255;
inline constexpr std::size_t k_max_idempotency_request_bytes = 1 << 20;
inline constexpr std::size_t k_max_idempotency_outcome_bytes = 1 << 20;

class Idempotency {
 public:
  explicit Idempotency(detail::Context& context) noexcept : context_(context) {}

  /// Replaces the options. Throws InvalidArgument (field "window" or "lease") unless
  /// 0 < window <= IdempotencyOptions::k_max_window and 0 < lease <= window; the options are unchanged
  /// then. Not thread-safe against concurrent run() calls; set once at start-up.
  ///
  ///   books.idempotency().configure({.window = std::chrono::hours(1), .lease = std::chrono::seconds(10)});
  void configure(IdempotencyOptions options);
  [[nodiscard]] const IdempotencyOptions& options() const noexcept { return options_; }

  /// Runs `work` at most once for `key` and `request` (canonical bytes: equal requests must encode
  /// alike, as canonical_encoding() in canonical.hpp makes them). `work` runs inside the key's unit of
  /// work, which every Books call on this thread joins; its return value is stored as the outcome.
  /// Throws InvalidArgument for a malformed key (field "key" or "scope": key 1 to 255 bytes, scope 0 to
  /// 255), a request longer than k_max_idempotency_request_bytes (field "request"), both before anything
  /// is claimed, and StorageError when the claim cannot be stored. An outcome longer than
  /// k_max_idempotency_outcome_bytes is refused as if the work had thrown InvalidArgument (field "outcome").
  /// When `work` throws (or its unit of work fails to commit), its writes roll back, the key is
  /// released and that exception is rethrown unchanged. If the release fails as well, its failure is
  /// dropped rather than thrown in place of the work's: the claim then stays until its lease runs out.
  ///
  /// When this thread already has a transaction open, the claim, the work and the outcome all join
  /// it, and no other request can see the key before it commits.
  IdempotentOutcome run(const IdempotencyKey& key, std::string_view request, const std::function<std::string()>& work);

  /// Forgets keys whose window has passed. Returns how many it removed.
  std::size_t purge_expired();

  /// The stored record of `key`, or nullopt.
  [[nodiscard]] std::optional<IdempotencyRecord> find(const IdempotencyKey& key);

 private:
  detail::Context& context_;
  IdempotencyOptions options_;
};

}  // namespace billing
