// The job queue's storage: the repository interface the queue's rules (jobs.hpp) use. An adapter
// implements it in src/storage/<adapter>/jobs.cpp. One instance belongs to one Transaction and to the
// thread that uses it.
//
// A job is *due* at its due_at(): run_at while queued, the lease's end while claimed; completed and
// dead-lettered jobs are never due. The adapter keeps due jobs ordered by (due_at, id), so that the next
// ones are found without a scan, and keeps each (kind, dedup key) on at most one job that has not
// completed. It decides nothing: what a claim, a failure or a redrive changes is the queue's to say.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "billing/job.hpp"

namespace billing {

/// What JobRepository::counts() finds at an instant `now`.
struct JobCounts {
  std::uint64_t due = 0;              ///< due_at <= now (queued or claimed)
  std::uint64_t queued_later = 0;     ///< queued with run_at > now
  std::uint64_t claimed_live = 0;     ///< claimed with the lease's end > now
  std::uint64_t dead_lettered = 0;
  std::optional<Timestamp> oldest_due{};  ///< the smallest due_at <= now, when there is one

  friend bool operator==(const JobCounts&, const JobCounts&) = default;
};

/// Jobs. Each id has at most one row.
class JobRepository {
 public:
  virtual ~JobRepository() = default;

  /// Stores a new job. Returns false and stores nothing when its id exists. Throws InvariantViolation
  /// (field "dedup_key") when a job of its kind that has not completed holds its dedup key, and (naming
  /// the field) for a row that breaks the queue's invariants (integrity.hpp: check_job).
  virtual bool insert(const Job& job) = 0;

  /// The job with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Job> find(const JobId& id) = 0;

  /// The job of `kind` that has not completed and holds `dedup_key`, or nullopt.
  [[nodiscard]] virtual std::optional<Job> find_by_dedup_key(std::string_view kind, std::string_view dedup_key) = 0;

  /// Replaces the stored row of job.id with `job`: its status, attempts, run_at, lease, worker, token,
  /// last_error and updated_at. Throws InvariantViolation (field "job_id") when no job has the id, or
  /// when the stored one has completed (a completed job never changes), or when `job` differs from it in
  /// kind, payload, dedup key, max_attempts or created_at; and as insert() does for a broken row. Leaves
  /// the row unchanged then.
  virtual void update(const Job& job) = 0;

  /// Up to `limit` jobs due at `now` (due_at <= now), in (due_at, id) order; of the given kinds only,
  /// unless `kinds` is empty.
  [[nodiscard]] virtual std::vector<Job> due(Timestamp now, std::span<const std::string> kinds,
                                             std::size_t limit) = 0;

  /// Up to `limit` dead-lettered jobs with an id after `after` (all when empty), in id order; of `kind`
  /// only, when given.
  [[nodiscard]] virtual std::vector<Job> dead_letters(const std::optional<std::string>& kind,
                                                      const std::string& after, std::size_t limit) = 0;

  /// The queue's counts at `now`.
  [[nodiscard]] virtual JobCounts counts(Timestamp now) = 0;

  /// Removes up to `limit` completed jobs whose updated_at < `before`. Returns how many it removed.
  virtual std::size_t purge_completed(Timestamp before, std::size_t limit) = 0;
};

}  // namespace billing
