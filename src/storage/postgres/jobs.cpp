#include "jobs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "../integrity.hpp"
#include "../rows.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {
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

// Parameters are numbered as the columns, from 1; $15 is the update's own.
int param(Column column) noexcept { return col(column) + 1; }

// Every column's parameter, with its type.
constexpr std::string_view k_values =
    "$1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::text, $10::text, "
    "$11::text, $12::text, $13::bigint, $14::bigint";

// One statement: the row is inserted unless its id is taken (ON CONFLICT) or another job of its kind that
// has not completed holds its dedup key (held; insert() has locked the key, so no writer of the key races
// this one). It answers how many rows it inserted, whether the id was taken before, and whether the key
// was held, so that a refusal never lets the unique index fire (which would abort the transaction).
const std::string k_insert = fmt::format(
    "WITH held AS (SELECT 1 FROM jobs WHERE $12::text IS NOT NULL AND $4::bigint <> 2 AND kind = $2::text "
    "AND dedup_key = $12::text AND status <> 2), "
    "inserted AS (INSERT INTO jobs ({}) SELECT {} WHERE NOT EXISTS (SELECT 1 FROM held) "
    "ON CONFLICT (id) DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM inserted), EXISTS (SELECT 1 FROM jobs WHERE id = $1::text)::int, "
    "EXISTS (SELECT 1 FROM held)::int",
    k_columns, k_values);
const std::string k_find = "SELECT " + k_columns + " FROM jobs WHERE id = $1::text";
const std::string k_find_for_update = k_find + " FOR UPDATE";
// The partial unique index jobs_dedup serves it (dedup_key = $2 implies dedup_key IS NOT NULL).
const std::string k_find_by_dedup_key =
    "SELECT " + k_columns + " FROM jobs WHERE kind = $1::text AND dedup_key = $2::text AND status <> 2";
// Only the mutable columns are set. The row must still have the identity `job` names, and a status from
// which $15 (a bit per status) allows the new one; when not, no row changes and update() says why. Under
// concurrent writers the WHERE clause is checked again on the row as the other one left it.
const std::string k_update =
    "UPDATE jobs SET status = $4::bigint, attempts = $5::bigint, run_at = $7::bigint, lease_expires_at = $8::bigint, "
    "worker = $9::text, token = $10::text, last_error = $11::text, updated_at = $14::bigint "
    "WHERE id = $1::text AND kind = $2::text AND payload = $3::text AND max_attempts = $6::bigint "
    "AND dedup_key IS NOT DISTINCT FROM $12::text AND created_at = $13::bigint "
    "AND ((1::bigint << status::integer) & $15::bigint) <> 0";
// jobs_due and jobs_due_by_kind serve these: due_at <= $1 implies the indexes' due_at IS NOT NULL. $3 is a
// kind, or an array of kinds ("{"a","b"}").
const std::string k_due =
    "SELECT " + k_columns + " FROM jobs WHERE due_at <= $1::bigint ORDER BY due_at, id LIMIT $2::bigint";
const std::string k_due_of_kind = "SELECT " + k_columns +
                                  " FROM jobs WHERE kind = $3::text AND due_at <= $1::bigint ORDER BY due_at, id "
                                  "LIMIT $2::bigint";
const std::string k_due_of_kinds = "SELECT " + k_columns +
                                   " FROM jobs WHERE kind = ANY ($3::text::text[]) AND due_at <= $1::bigint "
                                   "ORDER BY due_at, id LIMIT $2::bigint";
// A claim's: the rows another transaction holds are passed over, not waited for, and do not count
// towards the limit; those returned stay locked until the claim commits.
constexpr std::string_view k_skip_locked = " FOR UPDATE SKIP LOCKED";
const std::string k_claim = k_due + std::string(k_skip_locked);
const std::string k_claim_of_kind = k_due_of_kind + std::string(k_skip_locked);
const std::string k_claim_of_kinds = k_due_of_kinds + std::string(k_skip_locked);
const std::string k_dead_letters =
    "SELECT " + k_columns + " FROM jobs WHERE status = 3 AND id > $1::text ORDER BY id LIMIT $2::bigint";
const std::string k_dead_letters_of_kind = "SELECT " + k_columns +
                                           " FROM jobs WHERE status = 3 AND kind = $3::text AND id > $1::text "
                                           "ORDER BY id LIMIT $2::bigint";
// Each count reads an index that covers it (jobs_due holds status; jobs_dead is the dead letters), in one
// round trip.
constexpr std::string_view k_counts =
    "SELECT due.n, due.oldest, later.queued, later.claimed, dead.n FROM "
    "(SELECT count(*) AS n, min(due_at) AS oldest FROM jobs WHERE due_at <= $1::bigint) due, "
    "(SELECT count(*) FILTER (WHERE status = 0) AS queued, count(*) FILTER (WHERE status = 1) AS claimed "
    "FROM jobs WHERE due_at > $1::bigint) later, "
    "(SELECT count(*) AS n FROM jobs WHERE status = 3) dead";
constexpr std::string_view k_purge_completed =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 2 AND updated_at < $1::bigint "
    "ORDER BY updated_at LIMIT $2::bigint)";

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

/// `kinds` as an array literal of text ("{"a","b\"c"}"), every element quoted, for a $n::text::text[].
std::string text_array(std::span<const std::string> kinds) {
  std::string out = "{";
  for (const std::string& kind : kinds) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char c : kind) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

std::vector<std::string> job_reads_for_testing() {
  return {k_find,
          k_find_for_update,
          k_update,
          k_find_by_dedup_key,
          k_due,
          k_due_of_kind,
          k_due_of_kinds,
          k_claim,
          k_claim_of_kind,
          k_claim_of_kinds,
          k_dead_letters,
          k_dead_letters_of_kind,
          std::string(k_counts),
          std::string(k_purge_completed)};
}

void Jobs::lock_dedup_key(std::string_view kind, std::string_view dedup_key) {
  if (!session_.writing()) return;
  std::string key;
  key.reserve(kind.size() + 1 + dedup_key.size());
  key.append(kind).append("\x1f").append(dedup_key);
  if (key == locked_dedup_key_) return;  // held since the last call: enqueue's find, then its insert
  session_.lock_key("jobs", key);
  locked_dedup_key_ = std::move(key);
}

bool Jobs::insert(const Job& job) {
  Connection& connection = session_.write();
  integrity::check_job(job);
  const bool holds_key = job.dedup_key && job.status != JobStatus::completed;
  if (holds_key) lock_dedup_key(job.kind, *job.dedup_key);
  StatementLease statement = connection.statement(k_insert);
  bind_job(*statement, job);
  if (!statement->step("insert a job")) return false;
  if (statement->int64(0) == 1) {
    connection.set_changes(1);
    return true;
  }
  connection.set_changes(0);
  // Not inserted. An id taken comes first, as on the other adapters; then the dedup key, in the memory
  // adapter's words. (Neither: another transaction inserted the id since this statement began.)
  if (statement->int64(1) == 0 && statement->int64(2) != 0) integrity::duplicate_dedup_key(job.kind);
  return false;
}

std::optional<Job> Jobs::find(const JobId& id) {
  StatementLease query = session_.read().statement(session_.writing() ? k_find_for_update : k_find);
  query->bind(1, id.str());
  if (!query->step("find a job")) return std::nullopt;
  return read_job(*query);
}

std::optional<Job> Jobs::find_by_dedup_key(std::string_view kind, std::string_view dedup_key) {
  Connection& connection = session_.read();
  // Enqueue reads, then inserts: a writer locks the key first, so another enqueue of it waits for this
  // one's commit and then finds its job.
  lock_dedup_key(kind, dedup_key);
  StatementLease query = connection.statement(k_find_by_dedup_key);
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
    if (statement->run("update a job") == 1) return;
  }
  // Nothing changed: find out why, in the words the memory adapter uses.
  const std::optional<Job> stored = find(job.id);
  if (!stored) integrity::missing_job(job.id);
  integrity::check_job_update(*stored, job);
  BILLING_ASSERT(false && "a job update matched no row, yet the stored row allows it");
}

std::vector<Job> Jobs::due(Timestamp now, std::span<const std::string> kinds, std::size_t limit) {
  const bool claiming = session_.writing();
  const std::string* sql = nullptr;
  std::string array;
  if (kinds.empty()) {
    sql = claiming ? &k_claim : &k_due;
  } else if (kinds.size() == 1) {
    sql = claiming ? &k_claim_of_kind : &k_due_of_kind;
  } else {
    sql = claiming ? &k_claim_of_kinds : &k_due_of_kinds;
    array = text_array(kinds);
  }
  StatementLease query = session_.read().statement(*sql);
  query->bind(1, now.unix_micros());
  query->bind(2, clamp_to_int64(limit));
  if (kinds.size() == 1) query->bind(3, kinds.front());
  if (kinds.size() > 1) query->bind(3, array);
  std::vector<Job> out = read_jobs(*query, "find due jobs");
  // A row that another writer changed while this one waited is returned as it is now, which READ
  // COMMITTED may place out of the ORDER BY's order: put it back.
  std::sort(out.begin(), out.end(), due_first);
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
  StatementLease query = session_.read().statement(k_counts);
  query->bind(1, now.unix_micros());
  JobCounts counts;
  if (query->step("count jobs")) {
    counts.due = static_cast<std::uint64_t>(query->int64(0));
    if (!query->is_null(1)) counts.oldest_due = load_time(query->int64(1), "job due_at");
    counts.queued_later = static_cast<std::uint64_t>(query->int64(2));
    counts.claimed_live = static_cast<std::uint64_t>(query->int64(3));
    counts.dead_lettered = static_cast<std::uint64_t>(query->int64(4));
  }
  return counts;
}

std::size_t Jobs::purge_completed(Timestamp before, std::size_t limit) {
  Connection& connection = session_.write();
  StatementLease statement = connection.statement(k_purge_completed);
  statement->bind(1, before.unix_micros());
  statement->bind(2, clamp_to_int64(limit));
  return static_cast<std::size_t>(statement->run("purge completed jobs"));
}

}  // namespace billing::detail::postgres
