#include "jobs.hpp"

#include <algorithm>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {
namespace {

// The stored columns of a job's row, in the order every statement here names them. (due_at, which the
// indexes keep jobs in, is a generated column: run_at while queued, lease_expires_at while claimed.)
#define BILLING_JOB_COLUMNS(X)                                                                               \
  X(id)                                                                                                      \
  X(kind)                                                                                                    \
  X(payload) X(status) X(attempts) X(max_attempts) X(run_at) X(lease_expires_at) X(worker) X(token) X(last_error) \
      X(dedup_key) X(created_at) X(updated_at)
enum class Column : int { BILLING_JOB_COLUMNS(BILLING_SQL_ENUM) };
const std::string k_columns{column_list(BILLING_JOB_COLUMNS(BILLING_SQL_NAME))};
#undef BILLING_JOB_COLUMNS

// Parameters are numbered as the columns, from 1; ?15 and on are a statement's own.
int param(Column column) noexcept { return col(column) + 1; }

const std::string k_insert = "INSERT INTO jobs (" + k_columns +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
                             "ON CONFLICT (id) DO NOTHING";
const std::string k_find = "SELECT " + k_columns + " FROM jobs WHERE id = ?1";
// The partial unique index jobs_dedup serves it (dedup_key = ?2 implies dedup_key IS NOT NULL).
const std::string k_find_by_dedup_key =
    "SELECT " + k_columns + " FROM jobs WHERE kind = ?1 AND dedup_key = ?2 AND status <> 2";
// Only the mutable columns are set. The row must still have the identity `job` names, and a status from
// which ?15 (a bit per status) allows the new one; when not, no row changes and update() says why.
const std::string k_update =
    "UPDATE jobs SET status = ?4, attempts = ?5, run_at = ?7, lease_expires_at = ?8, worker = ?9, token = ?10, "
    "last_error = ?11, updated_at = ?14 WHERE id = ?1 AND kind = ?2 AND payload = ?3 AND max_attempts = ?6 AND "
    "dedup_key IS ?12 AND created_at = ?13 AND ((1 << status) & ?15) <> 0";
// jobs_due and jobs_due_by_kind serve these: due_at <= ?1 implies the indexes' due_at IS NOT NULL.
const std::string k_due = "SELECT " + k_columns + " FROM jobs WHERE due_at <= ?1 ORDER BY due_at, id LIMIT ?2";
const std::string k_due_of_kind =
    "SELECT " + k_columns + " FROM jobs WHERE kind = ?3 AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2";
const std::string k_dead_letters =
    "SELECT " + k_columns + " FROM jobs WHERE status = 3 AND id > ?1 ORDER BY id LIMIT ?2";
const std::string k_dead_letters_of_kind =
    "SELECT " + k_columns + " FROM jobs WHERE status = 3 AND kind = ?3 AND id > ?1 ORDER BY id LIMIT ?2";
// Each count walks an index that covers it (jobs_due holds status; jobs_dead is the dead letters).
constexpr std::string_view k_count_due = "SELECT count(*), min(due_at) FROM jobs WHERE due_at <= ?1";
constexpr std::string_view k_count_later =
    "SELECT coalesce(sum(status = 0), 0), coalesce(sum(status = 1), 0) FROM jobs WHERE due_at > ?1";
constexpr std::string_view k_count_dead = "SELECT count(*) FROM jobs WHERE status = 3";
constexpr std::string_view k_purge_completed =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 2 AND updated_at < ?1 ORDER BY updated_at "
    "LIMIT ?2)";

std::uint32_t load_attempts(std::int64_t value, std::string_view what) {
  if (value < 0 || value > k_max_job_attempts) throw_corrupt(what, fmt::format("{} is out of range", value));
  return static_cast<std::uint32_t>(value);
}

Job read_job(const Statement& row) {
  const int lease = col(Column::lease_expires_at);
  const int dedup = col(Column::dedup_key);
  return Job{
      .id = load_id<JobId>(row.text(col(Column::id)), "job id"),
      .kind = std::string(row.text(col(Column::kind))),
      .payload = std::string(row.text(col(Column::payload))),
      .status = load_enum<JobStatus>(row.int64(col(Column::status)), 3, "job status"),
      .attempts = load_attempts(row.int64(col(Column::attempts)), "job attempts"),
      .max_attempts = load_attempts(row.int64(col(Column::max_attempts)), "job max_attempts"),
      .run_at = load_time(row.int64(col(Column::run_at)), "job run_at"),
      .lease_expires_at = row.is_null(lease) ? std::nullopt
                                             : std::optional<Timestamp>(load_time(row.int64(lease), "job lease")),
      .worker = std::string(row.text(col(Column::worker))),
      .token = std::string(row.text(col(Column::token))),
      .last_error = std::string(row.text(col(Column::last_error))),
      .dedup_key = row.is_null(dedup) ? std::nullopt : std::optional<std::string>(row.text(dedup)),
      .created_at = load_time(row.int64(col(Column::created_at)), "job created_at"),
      .updated_at = load_time(row.int64(col(Column::updated_at)), "job updated_at"),
  };
}

void bind_job(Statement& statement, const Job& job) {
  statement.bind(param(Column::id), job.id.str());
  statement.bind(param(Column::kind), job.kind);
  statement.bind(param(Column::payload), job.payload);
  statement.bind(param(Column::status), static_cast<std::int64_t>(job.status));
  statement.bind(param(Column::attempts), std::int64_t{job.attempts});
  statement.bind(param(Column::max_attempts), std::int64_t{job.max_attempts});
  statement.bind(param(Column::run_at), job.run_at.unix_micros());
  if (job.lease_expires_at) {
    statement.bind(param(Column::lease_expires_at), job.lease_expires_at->unix_micros());
  } else {
    statement.bind_null(param(Column::lease_expires_at));
  }
  statement.bind(param(Column::worker), job.worker);
  statement.bind(param(Column::token), job.token);
  statement.bind(param(Column::last_error), job.last_error);
  if (job.dedup_key) {
    statement.bind(param(Column::dedup_key), *job.dedup_key);
  } else {
    statement.bind_null(param(Column::dedup_key));
  }
  statement.bind(param(Column::created_at), job.created_at.unix_micros());
  statement.bind(param(Column::updated_at), job.updated_at.unix_micros());
}

// The statuses from which k_job_transitions allows `to`, a bit each.
std::int64_t statuses_leading_to(JobStatus to) noexcept {
  std::int64_t mask = 0;
  for (const JobTransition& t : k_job_transitions) {
    if (t.to == to) mask |= std::int64_t{1} << static_cast<int>(t.from);
  }
  return mask;
}

std::vector<Job> read_jobs(Statement& query, std::string_view operation) {
  std::vector<Job> out;
  while (query.step(operation)) out.push_back(read_job(query));
  return out;
}

bool due_first(const Job& a, const Job& b) { return std::pair(a.due_at(), a.id) < std::pair(b.due_at(), b.id); }

}  // namespace

std::vector<std::string> job_reads_for_testing() {
  return {k_find, k_update, k_find_by_dedup_key, k_due,         k_due_of_kind,          k_dead_letters,
          k_dead_letters_of_kind, std::string(k_count_due), std::string(k_count_later), std::string(k_count_dead),
          std::string(k_purge_completed)};
}

bool Jobs::insert(const Job& job) {
  Connection& connection = session_.write();
  integrity::check_job(job);
  StatementLease statement = connection.statement(k_insert);
  bind_job(*statement, job);
  try {
    statement->run("insert a job");
  } catch (const InvariantViolation&) {
    // The one key a new job may collide on besides its id is its dedup key: say so in the memory
    // adapter's words.
    if (job.dedup_key && job.status != JobStatus::completed && find_by_dedup_key(job.kind, *job.dedup_key)) {
      integrity::duplicate_dedup_key(job.kind);
    }
    throw;
  }
  return connection.changes() == 1;
}

std::optional<Job> Jobs::find(const JobId& id) {
  StatementLease query = session_.read().statement(k_find);
  query->bind(1, id.str());
  if (!query->step("find a job")) return std::nullopt;
  return read_job(*query);
}

std::optional<Job> Jobs::find_by_dedup_key(std::string_view kind, std::string_view dedup_key) {
  StatementLease query = session_.read().statement(k_find_by_dedup_key);
  query->bind(1, kind);
  query->bind(2, dedup_key);
  if (!query->step("find a job by its dedup key")) return std::nullopt;
  return read_job(*query);
}

void Jobs::update(const Job& job) {
  Connection& connection = session_.write();
  integrity::check_job(job);
  {
    StatementLease statement = connection.statement(k_update);
    bind_job(*statement, job);
    statement->bind(15, statuses_leading_to(job.status));
    statement->run("update a job");
  }
  if (connection.changes() == 1) return;
  // Nothing changed: find out why, in the words the memory adapter uses.
  const std::optional<Job> stored = find(job.id);
  if (!stored) integrity::missing_job(job.id);
  integrity::check_job_update(*stored, job);
  BILLING_ASSERT(false && "a job update matched no row, yet the stored row allows it");
}

std::vector<Job> Jobs::due_of(Timestamp now, const std::string* kind, std::size_t limit) {
  StatementLease query = session_.read().statement(kind != nullptr ? k_due_of_kind : k_due);
  query->bind(1, now.unix_micros());
  query->bind(2, clamp_to_int64(limit));
  if (kind != nullptr) query->bind(3, *kind);
  return read_jobs(*query, "find due jobs");
}

std::vector<Job> Jobs::due(Timestamp now, std::span<const std::string> kinds, std::size_t limit) {
  if (kinds.empty()) return due_of(now, nullptr, limit);
  if (kinds.size() == 1) return due_of(now, kinds.data(), limit);
  // One indexed query per kind, merged: the first `limit` of the union are among each kind's first `limit`.
  std::vector<std::string> distinct(kinds.begin(), kinds.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<Job> out;
  for (const std::string& kind : distinct) {
    std::vector<Job> of_kind = due_of(now, &kind, limit);
    out.insert(out.end(), std::make_move_iterator(of_kind.begin()), std::make_move_iterator(of_kind.end()));
  }
  std::sort(out.begin(), out.end(), due_first);
  if (out.size() > limit) out.erase(out.begin() + static_cast<std::ptrdiff_t>(limit), out.end());
  return out;
}

std::vector<Job> Jobs::dead_letters(const std::optional<std::string>& kind, const std::string& after,
                                    std::size_t limit) {
  StatementLease query = session_.read().statement(kind ? k_dead_letters_of_kind : k_dead_letters);
  query->bind(1, after);
  query->bind(2, clamp_to_int64(limit));
  if (kind) query->bind(3, *kind);
  return read_jobs(*query, "list dead-lettered jobs");
}

JobCounts Jobs::counts(Timestamp now) {
  Connection& connection = session_.read();
  JobCounts counts;
  {
    StatementLease query = connection.statement(k_count_due);
    query->bind(1, now.unix_micros());
    if (query->step("count due jobs")) {
      counts.due = static_cast<std::uint64_t>(query->int64(0));
      if (!query->is_null(1)) counts.oldest_due = load_time(query->int64(1), "job due_at");
    }
  }
  {
    StatementLease query = connection.statement(k_count_later);
    query->bind(1, now.unix_micros());
    if (query->step("count jobs not yet due")) {
      counts.queued_later = static_cast<std::uint64_t>(query->int64(0));
      counts.claimed_live = static_cast<std::uint64_t>(query->int64(1));
    }
  }
  StatementLease query = connection.statement(k_count_dead);
  if (query->step("count dead-lettered jobs")) counts.dead_lettered = static_cast<std::uint64_t>(query->int64(0));
  return counts;
}

std::size_t Jobs::purge_completed(Timestamp before, std::size_t limit) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_purge_completed);
  statement->bind(1, before.unix_micros());
  statement->bind(2, clamp_to_int64(limit));
  statement->run("purge completed jobs");
  return static_cast<std::size_t>(connection.changes());
}

}  // namespace billing::detail::sqlite
