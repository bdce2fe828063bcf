// The in-memory job queue, and the repository over it. Internal to the adapter.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "billing/storage/job_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

/// The jobs by id, and the orders the repository's reads need, kept in step with the rows by
/// JobTable::replace (the only writer).
struct JobTable {
  std::map<std::string, Job> rows;                                     // by id
  std::set<std::pair<Timestamp, std::string>> due;                     // (due_at, id) of queued and claimed jobs
  std::map<std::pair<std::string, std::string>, std::string> dedup;    // (kind, key) -> id, jobs not completed
  std::set<std::pair<std::string, std::string>> dead;                  // (kind, id) of dead-lettered jobs
  std::set<std::string> dead_ids;                                      // id of dead-lettered jobs
  std::set<std::pair<Timestamp, std::string>> completed;               // (updated_at, id) of completed jobs

  /// Replaces the row of `id` (absent: none) with `after` (absent: removes it), and its index entries.
  void replace(const std::string& id, const std::optional<Job>& after);
};

class Jobs final : public JobRepository {
 public:
  Jobs(Session& session, JobTable& table) noexcept : session_(session), table_(table) {}

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
  /// Replaces the row of `id` with `after`, registering the way back with the session.
  void write(const std::string& id, const std::optional<Job>& after);

  Session& session_;
  JobTable& table_;
};

}  // namespace billing::detail::memory
