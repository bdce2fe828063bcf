#include "integrity.hpp"

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::integrity {

void check_account(const Account& account) {
  if (account.limit && account.limit->currency() != account.currency) {
    throw InvariantViolation("limit",
                             fmt::format("the limit of account '{}' is in {}, the account in {}", account.id.str(),
                                         account.limit->currency().code(), account.currency.code()));
  }
}

void check_appendable(const Entry& entry, std::uint64_t head_sequence) {
  if (entry.sequence != head_sequence + 1) {
    throw InvariantViolation("sequence", fmt::format("entry {} does not follow {}", entry.sequence, head_sequence));
  }
  if (entry.balances_after.size() != entry.postings.size()) {
    throw InvariantViolation("balances_after",
                             fmt::format("entry '{}' has {} postings but {} balances_after", entry.id.str(),
                                         entry.postings.size(), entry.balances_after.size()));
  }
}

void check_posting_currency(const Posting& posting, std::string_view account_currency) {
  if (posting.amount.currency().code() != account_currency) {
    throw InvariantViolation(
        "currency", fmt::format("a posting in {} on account '{}', which is in {}", posting.amount.currency().code(),
                                posting.account.str(), account_currency));
  }
}

void duplicate_entry(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' already exists", id.str()));
}

void missing_account(const AccountId& id) {
  throw InvariantViolation("account_id", fmt::format("account '{}' does not exist", id.str()));
}

void already_linked(const EntryId& id) {
  throw InvariantViolation("entry_id", fmt::format("entry '{}' is already resolved or reversed", id.str()));
}

void check_new_order(const Order& order) {
  const auto refuse = [&](std::string_view field, std::string_view why) {
    throw InvariantViolation(std::string(field), fmt::format("new order '{}' {}", order.id.str(), why));
  };
  if (order.status != OrderStatus::pending || order.version != 1) refuse("status", "is not PENDING at version 1");
  if (order.deleted_at || order.updated_at != order.created_at) refuse("updated_at", "is deleted or updated already");
  try {
    if (order_total(order.lines) != order.total) refuse("total", "has a total that is not the sum of its lines");
  } catch (const InvariantViolation&) {
    throw;
  } catch (const Error& e) {
    refuse("lines", fmt::format("has lines that cannot be summed ({})", e.what()));
  }
}

void check_order_change(const OrderChange& change) {
  if (!order_transition_allowed(change.from, change.to) || change.version < 2) {
    throw InvariantViolation("status", fmt::format("order '{}' cannot move from {} to {} as version {}",
                                                   change.order_id.str(), to_string(change.from),
                                                   to_string(change.to), change.version));
  }
}

void order_not_at(const OrderId& id, std::uint64_t version) {
  throw InvariantViolation("version", fmt::format("no live order '{}' is at version {} in a status that allows "
                                                  "this change",
                                                  id.str(), version));
}

namespace {

[[noreturn]] void broken_job(const Job& job, std::string_view field, std::string_view why) {
  throw InvariantViolation(std::string(field), fmt::format("job '{}' {}", job.id.str(), why));
}

}  // namespace

void check_job(const Job& job) {
  if (job.max_attempts < 1 || job.max_attempts > k_max_job_attempts) {
    broken_job(job, "max_attempts", fmt::format("allows {} attempts, outside 1..{}", job.max_attempts,
                                                k_max_job_attempts));
  }
  if (job.attempts > job.max_attempts) {
    broken_job(job, "attempts", fmt::format("made {} of {} attempts", job.attempts, job.max_attempts));
  }
  const bool claimed = job.status == JobStatus::claimed;
  if (claimed != job.lease_expires_at.has_value() || claimed == job.token.empty()) {
    broken_job(job, "status", "has a lease and a token exactly when it is claimed; this row breaks that");
  }
  if (job.kind.empty() || job.kind.size() > k_max_job_kind_bytes) broken_job(job, "kind", "has a kind out of bounds");
  if (job.payload.size() > k_max_job_payload_bytes) broken_job(job, "payload", "has a payload beyond its limit");
  if (job.dedup_key && (job.dedup_key->empty() || job.dedup_key->size() > k_max_job_dedup_key_bytes)) {
    broken_job(job, "dedup_key", "has a dedup key out of bounds");
  }
  if (job.worker.size() > k_max_job_worker_bytes) broken_job(job, "worker", "has a worker name beyond its limit");
  if (job.last_error.size() > k_max_job_error_bytes) broken_job(job, "last_error", "has an error beyond its limit");
  if (job.token.size() > k_max_job_token_bytes) broken_job(job, "token", "has a token beyond its limit");
}

void check_job_update(const Job& stored, const Job& next) {
  if (stored.id != next.id || stored.kind != next.kind || stored.payload != next.payload ||
      stored.dedup_key != next.dedup_key || stored.max_attempts != next.max_attempts ||
      stored.created_at != next.created_at) {
    broken_job(stored, "job_id", "keeps its id, kind, payload, dedup key, max_attempts and created_at");
  }
  if (!job_transition_allowed(stored.status, next.status)) {
    broken_job(stored, "status", fmt::format("cannot move from {} to {}", to_string(stored.status),
                                             to_string(next.status)));
  }
}

void duplicate_dedup_key(std::string_view kind) {
  throw InvariantViolation("dedup_key",
                           fmt::format("a job of kind '{}' that has not completed holds this dedup key", kind));
}

void missing_job(const JobId& id) {
  throw InvariantViolation("job_id", fmt::format("job '{}' does not exist", id.str()));
}

}  // namespace billing::detail::integrity
