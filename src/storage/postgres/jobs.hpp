// The PostgreSQL job queue (table `jobs`, see migrations/v4_jobs.inc) and the repository over it. Internal
// to the adapter.
//
// Workers in several processes claim at once: in a write transaction due() locks the rows it returns
// FOR UPDATE SKIP LOCKED, so each claimer takes due jobs that no other holds, without waiting, and the
// claim's update() of each is then certain to find it as it was read. find() in a write transaction locks
// the job it returns (complete, fail and redrive read, then update), and find_by_dedup_key() and insert()
// lock the (kind, dedup key) first, so two enqueues of one key take turns.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/job_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

class Jobs final : public JobRepository {
 public:
  explicit Jobs(Session& session) noexcept : session_(session) {}

  bool insert(const Job& job) override;
  std::optional<Job> find(const JobId& id) override;
  std::optional<Job> find_by_dedup_key(std::string_view kind, std::string_view dedup_key) override;
  void update(const Job& job) override;
  std::vector<Job> due(Timestamp now, std::span<const std::string> kinds, std::size_t limit) override;
  std::vector<Job> dead_letters(const std::optional<std::string>& kind, const std::string& after,
                                std::size_t limit) override;
  JobCounts counts(Timestamp now) override;
  std::size_t purge_completed(Timestamp before, std::size_t limit) override;

 private:
  /// In a write transaction, locks (kind, dedup_key) until the transaction ends, unless it holds it already.
  void lock_dedup_key(std::string_view kind, std::string_view dedup_key);

  Session& session_;
  std::string locked_dedup_key_;  // the last (kind, dedup key) this transaction locked, "kind\x1fkey"
};

/// The SQL of the repository's reads (claim, counts, listings), for the adapter's own tests (EXPLAIN).
[[nodiscard]] std::vector<std::string> job_reads_for_testing();

}  // namespace billing::detail::postgres
