#include "jobs.hpp"

#include <algorithm>

#include "../integrity.hpp"

namespace billing::detail::memory {
namespace {

bool holds_dedup_key(const Job& job) { return job.dedup_key.has_value() && job.status != JobStatus::completed; }

}  // namespace

void JobTable::replace(const std::string& id, const std::optional<Job>& after) {
  if (const auto it = rows.find(id); it != rows.end()) {
    const Job& before = it->second;
    if (const auto due_at = before.due_at()) due.erase({*due_at, id});
    if (holds_dedup_key(before)) dedup.erase({before.kind, *before.dedup_key});
    if (before.status == JobStatus::dead_lettered) {
      dead.erase({before.kind, id});
      dead_ids.erase(id);
    }
    if (before.status == JobStatus::completed) completed.erase({before.updated_at, id});
    rows.erase(it);
  }
  if (!after) return;
  const Job& job = *after;
  if (const auto due_at = job.due_at()) due.emplace(*due_at, id);
  if (holds_dedup_key(job)) dedup.emplace(std::pair{job.kind, *job.dedup_key}, id);
  if (job.status == JobStatus::dead_lettered) {
    dead.emplace(job.kind, id);
    dead_ids.insert(id);
  }
  if (job.status == JobStatus::completed) completed.emplace(job.updated_at, id);
  rows.emplace(id, job);
}

void Jobs::write(const std::string& id, const std::optional<Job>& after) {
  std::optional<Job> before;
  if (const auto it = table_.rows.find(id); it != table_.rows.end()) before = it->second;
  table_.replace(id, after);
  session_.on_rollback([this, id, before = std::move(before)] { table_.replace(id, before); });
}

bool Jobs::insert(const Job& job) {
  session_.require_write();
  integrity::check_job(job);
  if (table_.rows.contains(job.id.str())) return false;
  if (holds_dedup_key(job) && table_.dedup.contains({job.kind, *job.dedup_key})) {
    integrity::duplicate_dedup_key(job.kind);
  }
  write(job.id.str(), job);
  return true;
}

std::optional<Job> Jobs::find(const JobId& id) {
  session_.require_open();
  const auto it = table_.rows.find(id.str());
  if (it == table_.rows.end()) return std::nullopt;
  return it->second;
}

std::optional<Job> Jobs::find_by_dedup_key(std::string_view kind, std::string_view dedup_key) {
  session_.require_open();
  const auto it = table_.dedup.find({std::string(kind), std::string(dedup_key)});
  if (it == table_.dedup.end()) return std::nullopt;
  return table_.rows.at(it->second);
}

void Jobs::update(const Job& job) {
  session_.require_write();
  const auto it = table_.rows.find(job.id.str());
  if (it == table_.rows.end()) integrity::missing_job(job.id);
  integrity::check_job_update(it->second, job);
  integrity::check_job(job);
  write(job.id.str(), job);
}

std::vector<Job> Jobs::due(Timestamp now, std::span<const std::string> kinds, std::size_t limit) {
  session_.require_open();
  std::vector<Job> out;
  for (const auto& [due_at, id] : table_.due) {
    if (out.size() >= limit || now < due_at) break;
    const Job& job = table_.rows.at(id);
    if (kinds.empty() || std::find(kinds.begin(), kinds.end(), job.kind) != kinds.end()) out.push_back(job);
  }
  return out;
}

std::vector<Job> Jobs::dead_letters(const std::optional<std::string>& kind, const std::string& after,
                                    std::size_t limit) {
  session_.require_open();
  std::vector<Job> out;
  if (kind) {
    for (auto it = table_.dead.upper_bound({*kind, after}); it != table_.dead.end() && out.size() < limit; ++it) {
      if (it->first != *kind) break;
      out.push_back(table_.rows.at(it->second));
    }
  } else {
    for (auto it = table_.dead_ids.upper_bound(after); it != table_.dead_ids.end() && out.size() < limit; ++it) {
      out.push_back(table_.rows.at(*it));
    }
  }
  return out;
}

JobCounts Jobs::counts(Timestamp now) {
  session_.require_open();
  JobCounts counts;
  for (const auto& [due_at, id] : table_.due) {
    if (!(now < due_at)) {
      if (counts.due++ == 0) counts.oldest_due = due_at;
    } else if (table_.rows.at(id).status == JobStatus::queued) {
      ++counts.queued_later;
    } else {
      ++counts.claimed_live;
    }
  }
  counts.dead_lettered = table_.dead_ids.size();
  return counts;
}

std::size_t Jobs::purge_completed(Timestamp before, std::size_t limit) {
  session_.require_write();
  std::vector<std::string> old;
  for (const auto& [updated_at, id] : table_.completed) {
    if (old.size() >= limit || !(updated_at < before)) break;
    old.push_back(id);
  }
  for (const std::string& id : old) write(id, std::nullopt);
  return old.size();
}

}  // namespace billing::detail::memory
