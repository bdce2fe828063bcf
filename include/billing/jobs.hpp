// Jobs: a durable job queue in the store, with leases, retries with back-off and a dead-letter list
// (the seeds' queue and its dead-letter queue, embedded). docs/jobs.md has the states, the back-off
// formula, the lease and token rules and the SQLite schema.
//
// A job commits in the same unit of work as the writes that create it: an enqueue on a thread that has a
// transaction open (Books::transaction(), or another area's own unit of work) joins it, and a rollback
// leaves no job (an outbox). Every other call joins an open transaction the same way. Reach it through
// Books::jobs(); safe to share between threads: claims are atomic across threads and processes.
//
// Another area's service that writes inside its own unit of work (a payment that schedules its retry, a
// billing run that queues its invoices) passes that unit to the overloads that take a UnitOfWork&: the
// job then commits or rolls back with the area's own writes.
//
//   (void)books.jobs().enqueue({.kind = "email.send", .payload = R"({"to":"ann@example.com"})"});
//   while (auto job = books.jobs().claim({.kinds = {"email.send"}, .worker = "w1"})) {
//     try {
//       send(job->payload);
//       (void)books.jobs().complete(*job);
//     } catch (const std::exception& e) {
//       (void)books.jobs().fail(*job, e.what());   // back-off, then the dead-letter list
//     }
//   }
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "billing/job.hpp"
#include "billing/page.hpp"

namespace billing {

namespace detail {
class Context;
}
class UnitOfWork;

class Jobs {
 public:
  explicit Jobs(detail::Context& context) noexcept : context_(context) {}

  /// Replaces the back-off options. Throws InvalidArgument (field "base_delay" or "max_delay") unless
  /// 0 < base_delay <= max_delay <= k_max_job_delay; the options are unchanged then. Not thread-safe
  /// against concurrent fail() calls; set once at start-up.
  void configure(JobOptions options);
  [[nodiscard]] const JobOptions& options() const noexcept { return options_; }

  /// Stores a new queued job, ready at request.run_at (now when absent), with an id from the books'
  /// IdSource. When a job of the same kind that has not completed (queued, claimed or dead-lettered)
  /// holds request.dedup_key, stores nothing and returns duplicate with that job. Throws InvalidArgument
  /// naming the field ("kind", "payload", "run_at", "dedup_key", "max_attempts") for a request beyond
  /// the limits of job.hpp; nothing is stored then.
  EnqueueOutcome enqueue(const JobRequest& request);
  /// The same, inside `work` (a write unit of work the caller commits).
  EnqueueOutcome enqueue(UnitOfWork& work, const JobRequest& request);

  /// Enqueues up to k_max_enqueue_batch jobs in one unit of work: one outcome per request, in order. A
  /// later request with the dedup key of an earlier one gets duplicate. Throws InvalidArgument (field
  /// "requests", or "[i].kind" and so on) before anything is stored.
  std::vector<EnqueueOutcome> enqueue_batch(std::span<const JobRequest> requests);

  /// Claims the next due job (due_at <= now, in (due_at, id) order; of request.kinds only, unless
  /// empty): it becomes claimed by request.worker until now + request.lease, under a new token, and its
  /// attempts grow by one. A job whose lease ran out is due again, and is claimed the same way (its
  /// lapsed claim counted an attempt); one that has no attempt left is dead-lettered instead ("the lease
  /// ran out on the last attempt") and the claim goes on to the next. Returns nullopt when none is due.
  /// Throws InvalidArgument (field "kinds", "kinds[i]", "lease" or "worker") for a request beyond the
  /// limits; nothing changes then.
  [[nodiscard]] std::optional<Job> claim(const ClaimRequest& request);
  [[nodiscard]] std::optional<Job> claim(UnitOfWork& work, const ClaimRequest& request);

  /// Claims up to `limit` (1 to k_max_claim_batch) due jobs at once, in the order claim() takes them, in
  /// one unit of work. Throws InvalidArgument (field "limit") beyond it, and as claim() does.
  [[nodiscard]] std::vector<Job> claim_batch(const ClaimRequest& request, std::size_t limit);

  /// Completes the job claimed under `token`. Returns not_found or stale_token (see CompleteResult) and
  /// changes nothing otherwise. A claim whose lease ran out may still complete while no other claim has
  /// taken the job over. Throws InvalidArgument (field "token") for a token longer than
  /// k_max_job_token_bytes, which no claim hands out.
  CompleteOutcome complete(const JobId& id, std::string_view token);
  CompleteOutcome complete(const Job& claimed) { return complete(claimed.id, claimed.token); }
  CompleteOutcome complete(UnitOfWork& work, const JobId& id, std::string_view token);

  /// Records a failed attempt of the job claimed under `token`, with `error` (up to
  /// k_max_job_error_bytes of UTF-8) as its last_error. With attempts left and `retry`, the job is queued
  /// again at now + job_retry_delay(id, attempts, options()) (retry_scheduled); otherwise it is
  /// dead-lettered (dead_lettered). Returns not_found or stale_token as complete() does. Throws
  /// InvalidArgument (field "error") beyond the limit; nothing changes then.
  FailOutcome fail(const JobId& id, std::string_view token, std::string_view error, bool retry = true);
  FailOutcome fail(const Job& claimed, std::string_view error, bool retry = true) {
    return fail(claimed.id, claimed.token, error, retry);
  }
  FailOutcome fail(UnitOfWork& work, const JobId& id, std::string_view token, std::string_view error,
                   bool retry = true);

  /// Puts a dead-lettered job back in the queue, ready now, with its attempts reset to zero (its
  /// last_error stays until the next failure). Returns not_found or not_dead_lettered and changes
  /// nothing otherwise.
  RedriveOutcome redrive(const JobId& id);
  RedriveOutcome redrive(UnitOfWork& work, const JobId& id);

  /// The job with `id`, or nullopt.
  [[nodiscard]] std::optional<Job> get(const JobId& id);
  [[nodiscard]] std::optional<Job> get(UnitOfWork& work, const JobId& id);

  /// Dead-lettered jobs in id order, a page at a time. Throws InvalidArgument (field "limit", "kind" or
  /// "cursor") for a limit outside 1..1,000, a kind that no job could have, or a cursor that is not a job
  /// id.
  [[nodiscard]] Page<Job> dead_letters(const DeadLetterQuery& query = {});

  /// The queue's figures now, by the books' clock. Counts every job that has not completed, so it costs
  /// time in proportion to them (each count walks an index).
  [[nodiscard]] JobStats stats();

  /// Deletes completed jobs that completed before `before`, a thousand per unit of work. Returns how
  /// many it deleted. Their dedup keys were free already.
  std::size_t purge_completed(Timestamp before);

 private:
  detail::Context& context_;
  JobOptions options_;
};

}  // namespace billing
