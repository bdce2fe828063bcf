// Idempotency keys in two steps: a short unit of work claims the key (so that a concurrent request sees
// it in flight), then the work's own unit of work checks the claim is still ours, runs the work and
// stores its outcome with the writes. A failure releases the claim; a crash leaves it to its lease.
// Inside a caller's transaction the same happens in one phase, within that transaction.
#include "billing/idempotency.hpp"

#include <random>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "context.hpp"

namespace billing {
namespace {

constexpr std::size_t k_max_key = k_max_idempotency_key_bytes;
constexpr std::size_t k_purge_page = 1000;

using Work = std::function<std::string()>;

void validate(const IdempotencyKey& key) {
  if (key.key.empty() || key.key.size() > k_max_key) {
    throw InvalidArgument("key", fmt::format("must be 1 to {} bytes, not {}", k_max_key, key.key.size()));
  }
  if (key.scope.size() > k_max_key) {
    throw InvalidArgument("scope", fmt::format("must be at most {} bytes, not {}", k_max_key, key.scope.size()));
  }
}

void validate_request(std::string_view request) {
  if (request.size() > k_max_idempotency_request_bytes) {
    throw InvalidArgument("request", fmt::format("encodes to {} bytes, more than the {} allowed", request.size(),
                                                 k_max_idempotency_request_bytes));
  }
}

// Runs the work and checks what it returns, which is stored with the key.
std::string run_work(const Work& work) {
  std::string outcome = work();
  if (outcome.size() > k_max_idempotency_outcome_bytes) {
    throw InvalidArgument("outcome", fmt::format("is {} bytes, more than the {} a key may store", outcome.size(),
                                                 k_max_idempotency_outcome_bytes));
  }
  return outcome;
}

std::string days(std::chrono::microseconds span) {
  return fmt::format("{} days", std::chrono::duration_cast<std::chrono::hours>(span).count() / 24);
}

// A claim's owner token: random, so that processes with deterministic id sources never share one.
std::string new_owner_token() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", random(), random());
}

// The verdict on a stored record for a new request, or nullopt when the request may claim the key.
std::optional<IdempotentOutcome> verdict(const std::optional<IdempotencyRecord>& stored, const Hash& fingerprint,
                                         Timestamp now) {
  if (!stored || !(now < stored->expires_at)) return std::nullopt;  // unknown or forgotten: claimable
  if (stored->fingerprint != fingerprint) return IdempotentOutcome{IdempotencyResult::mismatch, {}};
  if (stored->state == IdempotencyRecord::State::completed) {
    return IdempotentOutcome{IdempotencyResult::replayed, stored->outcome};
  }
  if (now < stored->lease_until) return IdempotentOutcome{IdempotencyResult::conflict, {}};
  return std::nullopt;  // the holder's lease ran out: presumed dead, the key may be taken over
}

// One call of Idempotency::run: the key, the request's fingerprint and the claim's owner token, and the
// steps that docs/idempotency.md ("How it runs") names, one function each.
class KeyedRun {
 public:
  KeyedRun(detail::Context& context, const IdempotencyOptions& options, const IdempotencyKey& key,
           std::string_view request)
      : context_(context),
        options_(options),
        key_(key),
        fingerprint_(detail::sha256({request})),
        owner_(new_owner_token()) {}

  // Step 1, in a unit of work of its own: the verdict on the stored record when the request may not
  // run, or nullopt once our claim has committed.
  std::optional<IdempotentOutcome> claim() {
    return context_.retrying([&]() -> std::optional<IdempotentOutcome> {
      UnitOfWork unit(context_.store(), Access::write);
      const Timestamp now = context_.clock().now();
      if (auto decided = verdict(unit->idempotency().find(key_.scope, key_.key), fingerprint_, now)) return decided;
      unit->idempotency().put(claim_record(now));
      unit.commit();
      return std::nullopt;
    });
  }

  // Steps 2 and 3: the work and its completion; on any exception the claim is released and the
  // exception goes on to the caller.
  IdempotentOutcome work_or_release(const Work& work) {
    try {
      return work_and_complete(work);
    } catch (...) {
      release();  // never throws, so the caller sees the work's own exception
      throw;
    }
  }

  // The one-phase path: the claim, the work and the completion join the caller's unit of work, so no
  // other request can see the key before it commits. On an exception the stored record is restored.
  IdempotentOutcome in_ambient(UnitOfWork& open, const Work& work) {
    const auto before = open->idempotency().find(key_.scope, key_.key);
    const Timestamp now = context_.clock().now();
    if (auto decided = verdict(before, fingerprint_, now)) return *decided;
    const IdempotencyRecord claim = claim_record(now);
    open->idempotency().put(claim);
    try {
      std::string outcome = run_work(work);
      open->idempotency().put(completed(claim, outcome));
      return {IdempotencyResult::executed, std::move(outcome)};
    } catch (...) {
      restore(open, before);  // never throws, so the caller sees the work's own exception
      throw;
    }
  }

 private:
  // Step 2, in one unit of work: the claim is still ours, the work runs in it, and the completion
  // commits with the work's writes. An exception leaves with everything rolled back.
  IdempotentOutcome work_and_complete(const Work& work) {
    UnitOfWork unit(context_.store(), Access::write);
    const auto held = unit->idempotency().find(key_.scope, key_.key);
    if (!ours(held)) return {IdempotencyResult::conflict, {}};  // our lease ran out and another took the key
    std::string outcome;
    {
      detail::AmbientScope ambient(context_, unit);
      outcome = run_work(work);
    }
    unit->idempotency().put(completed(*held, outcome));
    unit.commit();
    return {IdempotencyResult::executed, std::move(outcome)};
  }

  // Step 3, after step 2 threw: remove our claim so that a retry can run now rather than after the
  // lease. Best effort: if this fails too, the claim waits for its lease, which is safe, and the
  // failure is dropped so that it cannot hide the exception the caller must see.
  void release() noexcept {
    try {
      context_.retrying([&] {
        UnitOfWork unit(context_.store(), Access::write);
        if (ours(unit->idempotency().find(key_.scope, key_.key))) unit->idempotency().remove(key_.scope, key_.key);
        unit.commit();
      });
    } catch (...) {  // NOLINT(bugprone-empty-catch): dropped on purpose, see above
    }
  }

  // The one-phase path's release: put back what the key held before (or nothing), in the caller's unit
  // of work. Best effort, for the same reason as release().
  void restore(UnitOfWork& open, const std::optional<IdempotencyRecord>& before) noexcept {
    try {
      if (before) {
        open->idempotency().put(*before);
      } else {
        open->idempotency().remove(key_.scope, key_.key);
      }
    } catch (...) {  // NOLINT(bugprone-empty-catch): dropped on purpose, see release()
    }
  }

  [[nodiscard]] bool ours(const std::optional<IdempotencyRecord>& held) const {
    return held && held->state == IdempotencyRecord::State::in_flight && held->owner == owner_;
  }

  [[nodiscard]] IdempotencyRecord claim_record(Timestamp now) const {
    return IdempotencyRecord{.scope = key_.scope,
                             .key = key_.key,
                             .fingerprint = fingerprint_,
                             .state = IdempotencyRecord::State::in_flight,
                             .outcome = {},
                             .owner = owner_,
                             .created_at = now,
                             .lease_until = now + options_.lease,
                             .expires_at = now + options_.window};
  }

  [[nodiscard]] IdempotencyRecord completed(IdempotencyRecord claim, std::string outcome) const {
    BILLING_ASSERT(claim.state == IdempotencyRecord::State::in_flight);
    claim.state = IdempotencyRecord::State::completed;
    claim.outcome = std::move(outcome);
    claim.owner.clear();
    claim.expires_at = context_.clock().now() + options_.window;
    return claim;
  }

  detail::Context& context_;
  const IdempotencyOptions& options_;
  const IdempotencyKey& key_;
  const Hash fingerprint_;
  const std::string owner_;
};

}  // namespace

std::string_view to_string(IdempotencyResult result) noexcept {
  switch (result) {
    case IdempotencyResult::executed: return "executed";
    case IdempotencyResult::replayed: return "replayed";
    case IdempotencyResult::mismatch: return "mismatch";
    case IdempotencyResult::conflict: return "conflict";
  }
  return "?";
}

void Idempotency::configure(IdempotencyOptions options) {
  using std::chrono::microseconds;
  if (options.window <= microseconds::zero() || options.window > IdempotencyOptions::k_max_window) {
    throw InvalidArgument("window", fmt::format("must be more than zero and at most {}; zero would forget every key "
                                                "at once, so that each retry ran again",
                                                days(IdempotencyOptions::k_max_window)));
  }
  if (options.lease <= microseconds::zero() || options.lease > options.window) {
    throw InvalidArgument("lease", "must be more than zero and at most the window");
  }
  options_ = options;
}

IdempotentOutcome Idempotency::run(const IdempotencyKey& key, std::string_view request, const Work& work) {
  validate(key);
  validate_request(request);
  KeyedRun keyed(context_, options_, key, request);
  if (UnitOfWork* ambient = context_.write_ambient()) return keyed.in_ambient(*ambient, work);
  if (auto decided = keyed.claim()) return *decided;
  return keyed.work_or_release(work);
}

std::size_t Idempotency::purge_expired() {
  std::size_t removed = 0;
  for (;;) {
    const std::size_t page = context_.write(
        [&](UnitOfWork& work) { return work->idempotency().purge_expired(context_.clock().now(), k_purge_page); });
    removed += page;
    if (page < k_purge_page) return removed;
  }
}

std::optional<IdempotencyRecord> Idempotency::find(const IdempotencyKey& key) {
  validate(key);
  return context_.read([&](UnitOfWork& work) { return work->idempotency().find(key.scope, key.key); });
}

}  // namespace billing
