// The SQLite job queue (table `jobs`, see migrations/v5_jobs.inc) and the repository over it. Internal
// to the adapter.
#pragma once

#include <string>
#include <vector>

#include "billing/storage/job_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

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
  /// Up to `limit` due jobs of `kind` (of every kind when null), in (due_at, id) order.
  std::vector<Job> due_of(Timestamp now, const std::string* kind, std::size_t limit);

  Session& session_;
};

/// The SQL of the repository's reads (claim, counts, listings), for the adapter's own tests: each must be
/// served by an index (EXPLAIN QUERY PLAN), never by a scan of the table or a sort.
[[nodiscard]] std::vector<std::string> job_reads_for_testing();

}  // namespace billing::detail::sqlite
