// Idempotency keys in two steps: a short unit of work claims the key (so that a concurrent request sees
// it in flight), then the work's own unit of work checks the claim is still ours, runs the work and
// stores its outcome with the writes. A failure releases the claim; a crash leaves it to its lease.
#include "billing/idempotency.hpp"

#include <random>

#include "billing/error.hpp"
#include "context.hpp"

namespace billing {
namespace {

constexpr std::size_t k_max_key = 255;
constexpr std::size_t k_purge_page = 1000;

void validate(const IdempotencyKey& key) {
  if (key.key.empty() || key.key.size() > k_max_key) {
    throw InvalidArgument("key", fmt::format("must be 1 to {} bytes, not {}", k_max_key, key.key.size()));
  }
  if (key.scope.size() > k_max_key) {
    throw InvalidArgument("scope", fmt::format("must be at most {} bytes, not {}", k_max_key, key.scope.size()));
  }
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

IdempotentOutcome Idempotency::run(const IdempotencyKey& key, std::string_view request,
                                   const std::function<std::string()>& work) {
  validate(key);
  const Hash fingerprint = detail::sha256({request});
  const auto step = [&](std::string_view name) {
    if (options_.fault_injection) options_.fault_injection(name);
  };
  const auto claim_record = [&](Timestamp now, const std::string& owner) {
    return IdempotencyRecord{.scope = key.scope,
                             .key = key.key,
                             .fingerprint = fingerprint,
                             .state = IdempotencyRecord::State::in_flight,
                             .outcome = {},
                             .owner = owner,
                             .created_at = now,
                             .lease_until = now + options_.lease,
                             .expires_at = now + options_.window};
  };
  const auto complete = [&](IdempotencyRecord record, std::string outcome) {
    record.state = IdempotencyRecord::State::completed;
    record.outcome = std::move(outcome);
    record.owner.clear();
    record.expires_at = context_.clock().now() + options_.window;
    return record;
  };

  if (UnitOfWork* ambient = context_.ambient()) {
    UnitOfWork& open = *ambient;
    // One phase, inside the caller's transaction: nobody else can see the key before it commits.
    const auto before = open->idempotency().find(key.scope, key.key);
    if (auto decided = verdict(before, fingerprint, context_.clock().now())) return *decided;
    const IdempotencyRecord claim = claim_record(context_.clock().now(), new_owner_token());
    open->idempotency().put(claim);
    step("claimed");
    try {
      std::string outcome = work();
      step("written");
      open->idempotency().put(complete(claim, outcome));
      step("committing");
      return {IdempotencyResult::executed, std::move(outcome)};
    } catch (...) {
      if (before) {
        open->idempotency().put(*before);
      } else {
        open->idempotency().remove(key.scope, key.key);
      }
      throw;
    }
  }

  // Step 1: claim the key in a short unit of work of its own.
  const std::string owner = new_owner_token();
  {
    UnitOfWork claim(context_.store(), Access::write);
    const Timestamp now = context_.clock().now();
    if (auto decided = verdict(claim->idempotency().find(key.scope, key.key), fingerprint, now)) return *decided;
    claim->idempotency().put(claim_record(now, owner));
    claim.commit();
  }

  // Step 2: the work, its writes and the outcome, in one unit of work.
  try {
    step("claimed");
    UnitOfWork unit(context_.store(), Access::write);
    const auto held = unit->idempotency().find(key.scope, key.key);
    if (!held || held->state != IdempotencyRecord::State::in_flight || held->owner != owner) {
      return {IdempotencyResult::conflict, {}};  // our lease ran out and another request took the key
    }
    std::string outcome;
    {
      detail::AmbientScope ambient(context_, unit);
      outcome = work();
    }
    step("written");
    unit->idempotency().put(complete(*held, outcome));
    step("committing");
    unit.commit();
    return {IdempotencyResult::executed, std::move(outcome)};
  } catch (...) {
    // Release the claim so that a retry can run now rather than after the lease.
    UnitOfWork release(context_.store(), Access::write);
    const auto held = release->idempotency().find(key.scope, key.key);
    if (held && held->state == IdempotencyRecord::State::in_flight && held->owner == owner) {
      release->idempotency().remove(key.scope, key.key);
    }
    release.commit();
    throw;
  }
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
