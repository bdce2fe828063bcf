// The job queue's rules: what enqueue, claim, complete, fail and redrive change in a job, each checked
// before the store is touched and written through JobRepository in one unit of work (the caller's, when
// it has one open). docs/jobs.md names the states and the rules; the adapters only store.
#include "billing/jobs.hpp"

#include <random>

#include <fmt/format.h>

#include "billing/error.hpp"
#include "billing/storage/job_repository.hpp"
#include "billing/storage/store.hpp"
#include "context.hpp"
#include "text.hpp"

namespace billing {
namespace {

constexpr std::size_t k_purge_page = 1000;
constexpr std::string_view k_lease_lapsed = "the lease ran out on the last attempt";
// run_at lies in [k_run_at_min, k_run_at_end): the Unix epoch to 2200-01-01T00:00:00Z, as effective_at.
constexpr Timestamp k_run_at_min = Timestamp::from_unix_micros(0);
constexpr Timestamp k_run_at_end = Timestamp::from_unix_micros(7'258'118'400'000'000);

bool is_letter(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_kind_char(char c) noexcept {
  return is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
}

// A field of the `index`-th request of a batch ("[3].kind"), or the field itself.
std::string field_of(std::optional<std::size_t> index, std::string_view name) {
  return index ? fmt::format("[{}].{}", *index, name) : std::string(name);
}

void validate_kind(std::string_view kind, const std::string& field) {
  if (kind.empty() || kind.size() > k_max_job_kind_bytes) {
    throw InvalidArgument(field, fmt::format("must be 1 to {} characters, not {}", k_max_job_kind_bytes, kind.size()));
  }
  if (!is_letter(kind.front())) throw InvalidArgument(field, "must start with a letter (A-Z or a-z)");
  for (std::size_t i = 0; i < kind.size(); ++i) {
    if (!is_kind_char(kind[i])) {
      throw InvalidArgument(field, fmt::format("byte {} is not one of A-Z a-z 0-9 _ . : -", i));
    }
  }
}

void validate(const JobRequest& request, std::optional<std::size_t> index = std::nullopt) {
  validate_kind(request.kind, field_of(index, "kind"));
  detail::validate_utf8(request.payload, field_of(index, "payload"), k_max_job_payload_bytes);
  if (request.run_at && (*request.run_at < k_run_at_min || !(*request.run_at < k_run_at_end))) {
    throw InvalidArgument(field_of(index, "run_at"),
                          "must be from 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z");
  }
  if (request.dedup_key) {
    if (request.dedup_key->empty()) {
      throw InvalidArgument(field_of(index, "dedup_key"),
                            fmt::format("must be 1 to {} bytes; leave it out for no key", k_max_job_dedup_key_bytes));
    }
    detail::validate_line(*request.dedup_key, field_of(index, "dedup_key"), k_max_job_dedup_key_bytes);
  }
  if (request.max_attempts < 1 || request.max_attempts > k_max_job_attempts) {
    throw InvalidArgument(field_of(index, "max_attempts"),
                          fmt::format("must be 1 to {}, not {}", k_max_job_attempts, request.max_attempts));
  }
}

void validate(const ClaimRequest& request) {
  if (request.kinds.size() > k_max_claim_kinds) {
    throw InvalidArgument("kinds", fmt::format("names {} kinds, more than the {} a claim may", request.kinds.size(),
                                               k_max_claim_kinds));
  }
  for (std::size_t i = 0; i < request.kinds.size(); ++i) validate_kind(request.kinds[i], fmt::format("kinds[{}]", i));
  if (request.lease <= std::chrono::microseconds::zero() || request.lease > k_max_job_lease) {
    throw InvalidArgument("lease", "must be more than zero and at most 24 hours");
  }
  detail::validate_line(request.worker, "worker", k_max_job_worker_bytes);
}

void validate_token(std::string_view token) {
  if (token.size() > k_max_job_token_bytes) {
    throw InvalidArgument("token", fmt::format("is {} bytes; no claim hands out one longer than {}", token.size(),
                                               k_max_job_token_bytes));
  }
}

void validate_failure(std::string_view token, std::string_view error) {
  validate_token(token);
  detail::validate_utf8(error, "error", k_max_job_error_bytes);
}

// A claim's token: the attempt it belongs to, then random bits (not the books' IdSource: two processes with
// deterministic ids would hand out the same tokens, and a dead worker's token could match its successor's).
std::string new_token(std::uint32_t attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{}-{:016x}{:016x}", attempt, random(), random());
}

// ------------------------------------------------------------------------------------------ transitions

Job queued_job(const JobRequest& request, JobId id, Timestamp now) {
  return Job{.id = std::move(id),
             .kind = request.kind,
             .payload = request.payload,
             .status = JobStatus::queued,
             .attempts = 0,
             .max_attempts = request.max_attempts,
             .run_at = request.run_at.value_or(now),
             .lease_expires_at = std::nullopt,
             .worker = {},
             .token = {},
             .last_error = {},
             .dedup_key = request.dedup_key,
             .created_at = now,
             .updated_at = now};
}

// A due job (queued, or claimed with its lease run out) taken by a new claim.
void take(Job& job, const ClaimRequest& request, Timestamp now) {
  const std::optional<Timestamp> due = job.due_at();
  BILLING_ASSERT(due && !(now < *due) && job.attempts < job.max_attempts);
  BILLING_ASSERT(job_transition_allowed(job.status, JobStatus::claimed));
  job.status = JobStatus::claimed;
  job.attempts += 1;
  job.run_at = *due;
  job.lease_expires_at = now + request.lease;
  job.worker = request.worker;
  job.token = new_token(job.attempts);
  job.updated_at = now;
}

// Ends a claim (the lease and token go) with `status`.
void release(Job& job, JobStatus status, Timestamp now) {
  BILLING_ASSERT(job_transition_allowed(job.status, status));
  job.status = status;
  job.lease_expires_at = std::nullopt;
  job.token.clear();
  job.updated_at = now;
}

void dead_letter(Job& job, std::string_view why, Timestamp now) {
  job.last_error = std::string(why);
  release(job, JobStatus::dead_lettered, now);
}

// The stored job if it is held under `token`; how the call ends otherwise.
template <class Outcome, class Result>
std::optional<Outcome> refuse_unless_held(const std::optional<Job>& job, std::string_view token, Result not_found,
                                          Result stale) {
  if (!job) return Outcome{not_found, std::nullopt};
  if (job->status != JobStatus::claimed || token.empty() || job->token != token) return Outcome{stale, job};
  return std::nullopt;
}

EnqueueOutcome enqueue_in(JobRepository& jobs, IdSource& ids, const JobRequest& request, Timestamp now) {
  if (request.dedup_key) {
    if (auto held = jobs.find_by_dedup_key(request.kind, *request.dedup_key)) {
      return {EnqueueResult::duplicate, std::move(held)};
    }
  }
  Job job = queued_job(request, next_id<JobId>(ids), now);
  if (!jobs.insert(job)) {
    throw InvariantViolation("job_id", fmt::format("the id source made '{}', which another job has; give each "
                                                   "process sharing a store ids of its own",
                                                   job.id.str()));
  }
  return {EnqueueResult::ok, std::move(job)};
}

// Claims up to `limit` due jobs, dead-lettering on the way those whose lapsed claim was their last attempt
// (counted for the health report once `work` commits).
std::vector<Job> claim_in(UnitOfWork& work, detail::Metrics& metrics, const ClaimRequest& request, std::size_t limit,
                          Timestamp now) {
  JobRepository& jobs = work->jobs();
  std::uint64_t lapsed = 0;
  std::vector<Job> claimed;
  while (claimed.size() < limit) {
    std::vector<Job> due = jobs.due(now, request.kinds, limit - claimed.size());
    if (due.empty()) break;
    for (Job& job : due) {  // each leaves the due set (a lease ends after now), so the loop ends
      if (job.attempts >= job.max_attempts) {
        BILLING_ASSERT(job.status == JobStatus::claimed);  // a queued job always has an attempt left
        dead_letter(job, k_lease_lapsed, now);
        jobs.update(job);
        ++lapsed;
        continue;
      }
      take(job, request, now);
      jobs.update(job);
      claimed.push_back(std::move(job));
    }
  }
  metrics.add_on_commit(work, detail::Counter::jobs_dead_lettered, lapsed);
  return claimed;
}

CompleteOutcome complete_in(JobRepository& jobs, const JobId& id, std::string_view token, Timestamp now) {
  std::optional<Job> job = jobs.find(id);
  if (auto refused =
          refuse_unless_held<CompleteOutcome>(job, token, CompleteResult::not_found, CompleteResult::stale_token)) {
    return *refused;
  }
  release(*job, JobStatus::completed, now);
  jobs.update(*job);
  return {CompleteResult::ok, std::move(job)};
}

struct Failure {
  const JobId& id;
  std::string_view token;
  std::string_view error;
  bool retry;
};

FailOutcome fail_in(UnitOfWork& work, detail::Metrics& metrics, const Failure& failure, const JobOptions& options,
                    Timestamp now) {
  JobRepository& jobs = work->jobs();
  std::optional<Job> job = jobs.find(failure.id);
  if (auto refused =
          refuse_unless_held<FailOutcome>(job, failure.token, FailResult::not_found, FailResult::stale_token)) {
    return *refused;
  }
  job->last_error = std::string(failure.error);
  FailResult result = FailResult::dead_lettered;
  if (failure.retry && job->attempts < job->max_attempts) {
    release(*job, JobStatus::queued, now);
    job->run_at = now + job_retry_delay(job->id, job->attempts, options);
    result = FailResult::retry_scheduled;
  } else {
    release(*job, JobStatus::dead_lettered, now);
    metrics.add_on_commit(work, detail::Counter::jobs_dead_lettered);
  }
  jobs.update(*job);
  metrics.add_on_commit(work, detail::Counter::jobs_failed);
  return {result, std::move(job)};
}

RedriveOutcome redrive_in(JobRepository& jobs, const JobId& id, Timestamp now) {
  std::optional<Job> job = jobs.find(id);
  if (!job) return {RedriveResult::not_found, std::nullopt};
  if (job->status != JobStatus::dead_lettered) return {RedriveResult::not_dead_lettered, std::move(job)};
  release(*job, JobStatus::queued, now);
  job->attempts = 0;
  job->run_at = now;
  jobs.update(*job);
  return {RedriveResult::ok, std::move(job)};
}

std::optional<Job> claim_one(UnitOfWork& work, detail::Metrics& metrics, const ClaimRequest& request, Timestamp now) {
  std::vector<Job> claimed = claim_in(work, metrics, request, 1, now);
  if (claimed.empty()) return std::nullopt;
  return std::move(claimed.front());
}

}  // namespace

void Jobs::configure(JobOptions options) {
  detail::check_job_options(options);
  options_ = options;
}

EnqueueOutcome Jobs::enqueue(const JobRequest& request) {
  validate(request);
  return context_.write([&](UnitOfWork& work) { return enqueue_in(work->jobs(), context_.ids(), request, context_.clock().now()); });
}

EnqueueOutcome Jobs::enqueue(UnitOfWork& work, const JobRequest& request) {
  validate(request);
  return enqueue_in(work->jobs(), context_.ids(), request, context_.clock().now());
}

std::vector<EnqueueOutcome> Jobs::enqueue_batch(std::span<const JobRequest> requests) {
  if (requests.size() > k_max_enqueue_batch) {
    throw InvalidArgument("requests", fmt::format("holds {} jobs, more than the {} one batch may", requests.size(),
                                                  k_max_enqueue_batch));
  }
  for (std::size_t i = 0; i < requests.size(); ++i) validate(requests[i], i);
  return context_.write([&](UnitOfWork& work) {
    std::vector<EnqueueOutcome> outcomes;
    outcomes.reserve(requests.size());
    const Timestamp now = context_.clock().now();
    for (const JobRequest& request : requests) outcomes.push_back(enqueue_in(work->jobs(), context_.ids(), request, now));
    return outcomes;
  });
}

std::optional<Job> Jobs::claim(const ClaimRequest& request) {
  validate(request);
  return context_.write(
      [&](UnitOfWork& work) { return claim_one(work, context_.metrics(), request, context_.clock().now()); });
}

std::optional<Job> Jobs::claim(UnitOfWork& work, const ClaimRequest& request) {
  validate(request);
  return claim_one(work, context_.metrics(), request, context_.clock().now());
}

std::vector<Job> Jobs::claim_batch(const ClaimRequest& request, std::size_t limit) {
  if (limit < 1 || limit > k_max_claim_batch) {
    throw InvalidArgument("limit", fmt::format("{} is outside 1..{}", limit, k_max_claim_batch));
  }
  validate(request);
  return context_.write(
      [&](UnitOfWork& work) { return claim_in(work, context_.metrics(), request, limit, context_.clock().now()); });
}

CompleteOutcome Jobs::complete(const JobId& id, std::string_view token) {
  validate_token(token);
  return context_.write(
      [&](UnitOfWork& work) { return complete_in(work->jobs(), id, token, context_.clock().now()); });
}

CompleteOutcome Jobs::complete(UnitOfWork& work, const JobId& id, std::string_view token) {
  validate_token(token);
  return complete_in(work->jobs(), id, token, context_.clock().now());
}

FailOutcome Jobs::fail(const JobId& id, std::string_view token, std::string_view error, bool retry) {
  validate_failure(token, error);
  return context_.write([&](UnitOfWork& work) {
    return fail_in(work, context_.metrics(), {.id = id, .token = token, .error = error, .retry = retry}, options_,
                   context_.clock().now());
  });
}

FailOutcome Jobs::fail(UnitOfWork& work, const JobId& id, std::string_view token, std::string_view error,
                       bool retry) {
  validate_failure(token, error);
  return fail_in(work, context_.metrics(), {.id = id, .token = token, .error = error, .retry = retry}, options_,
                 context_.clock().now());
}

RedriveOutcome Jobs::redrive(const JobId& id) {
  return context_.write([&](UnitOfWork& work) { return redrive_in(work->jobs(), id, context_.clock().now()); });
}

RedriveOutcome Jobs::redrive(UnitOfWork& work, const JobId& id) {
  return redrive_in(work->jobs(), id, context_.clock().now());
}

std::optional<Job> Jobs::get(const JobId& id) {
  return context_.read([&](UnitOfWork& work) { return work->jobs().find(id); });
}

std::optional<Job> Jobs::get(UnitOfWork& work, const JobId& id) { return work->jobs().find(id); }

Page<Job> Jobs::dead_letters(const DeadLetterQuery& query) {
  detail::check_page_limit(query.limit);
  if (query.kind) validate_kind(*query.kind, "kind");
  if (!query.cursor.empty()) detail::validate_id(query.cursor, "cursor");
  return context_.read([&](UnitOfWork& work) {
    return detail::make_page(work->jobs().dead_letters(query.kind, query.cursor, query.limit + 1), query.limit,
                             [](const Job& job) { return job.id.str(); });
  });
}

JobStats Jobs::stats() {
  const Timestamp now = context_.clock().now();
  const JobCounts counts = context_.read([&](UnitOfWork& work) { return work->jobs().counts(now); });
  return JobStats{.ready = counts.due,
                  .scheduled = counts.queued_later,
                  .in_flight = counts.claimed_live,
                  .dead_lettered = counts.dead_lettered,
                  .oldest_ready_age = counts.oldest_due ? now - *counts.oldest_due : std::chrono::microseconds(0)};
}

std::size_t Jobs::purge_completed(Timestamp before) {
  std::size_t removed = 0;
  for (;;) {
    const std::size_t page =
        context_.write([&](UnitOfWork& work) { return work->jobs().purge_completed(before, k_purge_page); });
    removed += page;
    if (page < k_purge_page) return removed;
  }
}

}  // namespace billing
