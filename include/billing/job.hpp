// The job queue's values: a job, its status, what a new job and a claim ask for, the outcomes of the
// queue's operations and its figures. The service that moves jobs is Jobs (jobs.hpp); docs/jobs.md has the
// states table, the back-off formula and the lease rules. Plain values; safe to share once built.
//
//   const Job job = *books.jobs().claim({.kinds = {"email.send"}, .worker = "worker-1"});
//   send_email(job.payload);
//   (void)books.jobs().complete(job);     // CompleteResult::stale_token if another worker took it over
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/id.hpp"
#include "billing/time.hpp"

namespace billing {

struct JobTag {
  static constexpr std::string_view k_field = "job_id";
};
using JobId = Id<JobTag>;

/// Where a job is in its life (docs/jobs.md, "States"):
///   queued -> claimed                          claim(), once run_at has come
///   claimed -> completed                       complete() with the claim's token
///   claimed -> queued                          fail() with attempts left: back to the queue, run_at later
///   claimed -> dead_lettered                   fail() after the last attempt (or without retry)
///   claimed (lease run out) -> claimed         claim() by another worker, with a new token
///   claimed (lease run out) -> dead_lettered   claim() finds no attempt left
///   dead_lettered -> queued                    redrive()
/// completed is final.
enum class JobStatus : std::uint8_t {
  queued,         ///< waiting for its run_at (scheduled) or for a worker (ready)
  claimed,        ///< held by a worker until its lease runs out
  completed,      ///< done; final
  dead_lettered,  ///< failed its last attempt; waits for an operator's redrive()
};

[[nodiscard]] std::string_view to_string(JobStatus status) noexcept;

/// One change of status the queue may make.
struct JobTransition {
  JobStatus from;
  JobStatus to;
};

/// Every change of status the queue makes, as the table above says; the adapters refuse any other.
inline constexpr JobTransition k_job_transitions[] = {
    {JobStatus::queued, JobStatus::claimed},         {JobStatus::claimed, JobStatus::completed},
    {JobStatus::claimed, JobStatus::queued},         {JobStatus::claimed, JobStatus::dead_lettered},
    {JobStatus::claimed, JobStatus::claimed},        {JobStatus::dead_lettered, JobStatus::queued},
};

/// Whether k_job_transitions holds (from, to).
[[nodiscard]] constexpr bool job_transition_allowed(JobStatus from, JobStatus to) noexcept {
  for (const JobTransition& t : k_job_transitions) {
    if (t.from == from && t.to == to) return true;
  }
  return false;
}

/// A stored job.
struct Job {
  JobId id;
  std::string kind{};     ///< what the job is for ("payment.retry"); workers claim by kind
  std::string payload{};  ///< the work's input, opaque to the queue (UTF-8; JSON from Python)
  JobStatus status = JobStatus::queued;
  std::uint32_t attempts = 0;      ///< claims made so far; each claim counts one, whatever became of it
  std::uint32_t max_attempts = 3;  ///< attempts allowed before the job is dead-lettered
  Timestamp run_at{};              ///< queued: when it becomes ready; otherwise when its last attempt was due
  std::optional<Timestamp> lease_expires_at{};  ///< claimed: when the claim lapses; otherwise absent
  std::string worker{};                         ///< who holds (claimed) or last held the job; may be empty
  std::string token{};                          ///< claimed: the claim's token; otherwise empty
  std::string last_error{};                     ///< what the last fail() said, or why the job was dead-lettered
  std::optional<std::string> dedup_key{};
  Timestamp created_at{};
  Timestamp updated_at{};  ///< the last change of status; for a completed job, when it completed

  /// When a worker may claim it: run_at for a queued job, the lease's end for a claimed one; absent for a
  /// completed or dead-lettered job.
  [[nodiscard]] std::optional<Timestamp> due_at() const noexcept;

  friend bool operator==(const Job&, const Job&) = default;
};

/// A new job.
struct JobRequest {
  std::string kind{};     ///< 1 to k_max_job_kind_bytes of A-Z a-z 0-9 _ . : -, starting with a letter
  std::string payload{};  ///< up to k_max_job_payload_bytes of UTF-8
  std::optional<Timestamp> run_at{};     ///< now when absent; from 1970 up to, not including, 2200
  std::optional<std::string> dedup_key{};  ///< 1 to k_max_job_dedup_key_bytes of UTF-8, no control characters
  std::uint32_t max_attempts = 3;          ///< 1 to k_max_job_attempts
};

/// What a worker asks for when it claims.
struct ClaimRequest {
  std::vector<std::string> kinds{};  ///< only jobs of these kinds (up to k_max_claim_kinds); all when empty
  std::chrono::microseconds lease = std::chrono::seconds(30);  ///< more than zero, at most k_max_job_lease
  std::string worker{};  ///< up to k_max_job_worker_bytes of UTF-8, no control characters; may be empty
};

/// The outcome of enqueue, checked in this order.
enum class EnqueueResult : std::uint8_t {
  ok,         ///< stored
  duplicate,  ///< a job of this kind that has not completed holds the dedup key; it is returned unchanged
};

/// The outcome of complete, checked in this order.
enum class CompleteResult : std::uint8_t {
  ok,           ///< completed
  not_found,    ///< no job has this id
  stale_token,  ///< the job is not held under this token (any more): another claim took it over, or it
                ///< was completed, failed or dead-lettered since; nothing changed
};

/// The outcome of fail, checked in this order. retry_scheduled and dead_lettered both recorded the failure.
enum class FailResult : std::uint8_t {
  retry_scheduled,  ///< queued again, ready at run_at = now + the back-off
  dead_lettered,    ///< that was the last attempt (or retry was off): dead-lettered
  not_found,        ///< no job has this id
  stale_token,      ///< as CompleteResult::stale_token; nothing changed
};

/// The outcome of redrive, checked in this order.
enum class RedriveResult : std::uint8_t {
  ok,                 ///< queued again, ready now, with its attempts reset to zero
  not_found,          ///< no job has this id
  not_dead_lettered,  ///< the job is not dead-lettered; nothing changed
};

[[nodiscard]] std::string_view to_string(EnqueueResult result) noexcept;
[[nodiscard]] std::string_view to_string(CompleteResult result) noexcept;
[[nodiscard]] std::string_view to_string(FailResult result) noexcept;
[[nodiscard]] std::string_view to_string(RedriveResult result) noexcept;

/// A result and the job as it stands after the call (absent for not_found).
template <class Result>
struct [[nodiscard]] JobOutcome {
  Result result{};
  std::optional<Job> job{};
};
using EnqueueOutcome = JobOutcome<EnqueueResult>;
using CompleteOutcome = JobOutcome<CompleteResult>;
using FailOutcome = JobOutcome<FailResult>;
using RedriveOutcome = JobOutcome<RedriveResult>;

/// Whether a call did what it was asked: ok, or for fail either result that recorded the failure.
[[nodiscard]] constexpr bool succeeded(EnqueueResult result) noexcept { return result == EnqueueResult::ok; }
[[nodiscard]] constexpr bool succeeded(CompleteResult result) noexcept { return result == CompleteResult::ok; }
[[nodiscard]] constexpr bool succeeded(FailResult result) noexcept {
  return result == FailResult::retry_scheduled || result == FailResult::dead_lettered;
}
[[nodiscard]] constexpr bool succeeded(RedriveResult result) noexcept { return result == RedriveResult::ok; }

/// The queue's figures at one instant (by the books' clock).
struct JobStats {
  std::uint64_t ready = 0;          ///< claimable now: queued and due, or claimed with the lease run out
  std::uint64_t scheduled = 0;      ///< queued with run_at still to come
  std::uint64_t in_flight = 0;      ///< claimed, lease still running
  std::uint64_t dead_lettered = 0;  ///< waiting for redrive()
  /// How long the oldest ready job has been due (now - its due_at); zero when none is ready.
  std::chrono::microseconds oldest_ready_age{0};

  friend bool operator==(const JobStats&, const JobStats&) = default;
};

/// Which dead letters to list: of one kind or all, by id, after `cursor` (a next_cursor), up to `limit`.
struct DeadLetterQuery {
  std::optional<std::string> kind{};
  std::string cursor{};
  std::size_t limit = 100;  ///< 1 to 1,000
};

/// How failed attempts are retried: attempt n (counting from 1) that fails waits
///   cap(n) = min(max_delay, base_delay * 2^(n-1)), and then between cap(n)/2 and cap(n)
/// (job_retry_delay() gives the exact value, docs/jobs.md the formula).
struct JobOptions {
  std::chrono::microseconds base_delay = std::chrono::seconds(10);  ///< more than zero, at most max_delay
  std::chrono::microseconds max_delay = std::chrono::hours(1);      ///< at most k_max_job_delay
};

/// The limits of the queue's inputs, each checked before any work starts (InvalidArgument naming the
/// field beyond them); docs/python.md lists them with every other limit.
inline constexpr std::size_t k_max_job_kind_bytes = 64;
inline constexpr std::size_t k_max_job_payload_bytes = 64 * 1024;
inline constexpr std::size_t k_max_job_dedup_key_bytes = 255;
inline constexpr std::size_t k_max_job_worker_bytes = 128;
inline constexpr std::size_t k_max_job_error_bytes = 4096;
inline constexpr std::size_t k_max_job_token_bytes = 64;
inline constexpr std::uint32_t k_max_job_attempts = 100;
inline constexpr std::size_t k_max_claim_kinds = 32;
inline constexpr std::size_t k_max_claim_batch = 100;  ///< jobs one claim_batch() takes
inline constexpr std::size_t k_max_enqueue_batch = 1000;
inline constexpr std::chrono::microseconds k_max_job_lease = std::chrono::hours(24);
inline constexpr std::chrono::microseconds k_max_job_delay = std::chrono::hours(24 * 30);

namespace detail {
/// Throws InvalidArgument (field "max_delay" or "base_delay") unless
/// 0 < base_delay <= max_delay <= k_max_job_delay.
void check_job_options(const JobOptions& options);
}  // namespace detail

/// The wait after attempt `attempt` (1 = the first) of job `id` failed, under `options`: with
/// cap = min(max_delay, base_delay * 2^(attempt-1)) and half = cap / 2 (in whole microseconds),
///   delay = cap - half + (h mod (half + 1)),  so  cap - half <= delay <= cap,
/// where h is a 64-bit hash of the id's bytes and the attempt (FNV-1a, then SplitMix64's finaliser).
/// Deterministic, so a test can name the exact time; spread by the id, so jobs that failed together do
/// not come back together. Throws InvalidArgument (field "attempt") for attempt 0, and as
/// Jobs::configure() does for options beyond their bounds.
[[nodiscard]] std::chrono::microseconds job_retry_delay(const JobId& id, std::uint32_t attempt,
                                                        const JobOptions& options = {});

}  // namespace billing
