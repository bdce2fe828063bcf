// The health report: one read unit of work that measures the store (its chain's head and newest entries, the
// job queue's counts, expired holds, overdue invoices), the books' counters, and the grading of each figure
// against the host's thresholds. docs/health.md describes every figure; format.cpp prints the report.
#include "billing/health.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "../context.hpp"
#include "billing/error.hpp"
#include "billing/storage/invoice_repository.hpp"
#include "billing/storage/job_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "format.hpp"

namespace billing {
namespace {

// The rejection counters run from the first PostResult to batch_failed, the last (ledger.hpp), and each has a
// slot in Metrics.
static_assert(static_cast<std::size_t>(PostResult::batch_failed) < detail::Metrics::k_max_codes);

// ---------------------------------------------------------------------------------------------- thresholds

void check_order(const std::string& name, bool ordered) {
  if (!ordered) throw InvalidArgument(name + ".unhealthy", "is below the degraded bound");
}

void validate(const std::string& name, const CountBounds& bounds) {
  check_order(name, !bounds.degraded || !bounds.unhealthy || *bounds.degraded <= *bounds.unhealthy);
}

void validate_age(const std::string& field, const std::optional<std::chrono::microseconds>& age) {
  if (age && (age->count() < 0 || *age > k_max_health_age)) {
    throw InvalidArgument(field, "must be from zero to 366 days");
  }
}

void validate(const std::string& name, const AgeBounds& bounds) {
  validate_age(name + ".degraded", bounds.degraded);
  validate_age(name + ".unhealthy", bounds.unhealthy);
  check_order(name, !bounds.degraded || !bounds.unhealthy || *bounds.degraded <= *bounds.unhealthy);
}

void validate(const HealthThresholds& thresholds) {
  validate("ready_jobs", thresholds.ready_jobs);
  validate("dead_letters", thresholds.dead_letters);
  validate("oldest_ready_age", thresholds.oldest_ready_age);
  validate("expired_holds", thresholds.expired_holds);
  validate("overdue_invoices", thresholds.overdue_invoices);
  if (thresholds.invoice_overdue_after.count() <= 0 || thresholds.invoice_overdue_after > k_max_health_age) {
    throw InvalidArgument("invoice_overdue_after", "must be more than zero and at most 366 days");
  }
}

// ---------------------------------------------------------------------------------------------- measuring

// What the quick integrity check found: the newest entries, re-hashed and linked to the stored head.
struct ChainCheck {
  std::uint64_t verified = 0;
  std::string problem{};  // empty when they check out
};

// The problem with the `i`-th of the newest entries (stored from sequence after + 1), or nullopt.
std::optional<std::string> entry_problem(const std::vector<Entry>& entries, std::size_t i, std::uint64_t after) {
  const Entry& entry = entries[i];
  const std::uint64_t expected = after + i + 1;
  if (entry.sequence != expected) {
    return fmt::format("entry {} is stored where entry {} should be", entry.sequence, expected);
  }
  const bool first = entry.sequence == 1;
  if ((i > 0 && entry.previous_hash != entries[i - 1].hash) || (first && entry.previous_hash != Hash{})) {
    return fmt::format("the previous_hash of entry {} does not match the entry before it", entry.sequence);
  }
  if (detail::chain_hash(entry) != entry.hash) {
    return fmt::format("the hash of entry {} does not match its content", entry.sequence);
  }
  return std::nullopt;
}

ChainCheck check_chain_tail(LedgerRepository& ledger, const ChainHead& head) {
  ChainCheck check;
  if (head.sequence == 0) return check;
  const std::uint64_t count = std::min<std::uint64_t>(head.sequence, k_health_chain_entries);
  const std::uint64_t after = head.sequence - count;
  const std::vector<Entry> entries = ledger.scan(after, static_cast<std::size_t>(count));
  if (entries.size() != count) {
    check.problem = fmt::format("the head names entry {}, but only {} of the newest {} entries are stored",
                                head.sequence, entries.size(), count);
    return check;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (auto problem = entry_problem(entries, i, after)) {
      check.problem = std::move(*problem);
      return check;
    }
    ++check.verified;
  }
  if (entries.back().hash != head.hash) {
    check.problem = fmt::format("the stored head's hash is not the hash of entry {}", head.sequence);
  }
  return check;
}

// The queue's figures as Jobs::stats() makes them, from the counts read in this unit of work.
JobStats job_stats(const JobCounts& counts, Timestamp now) {
  return JobStats{.ready = counts.due,
                  .scheduled = counts.queued_later,
                  .in_flight = counts.claimed_live,
                  .dead_lettered = counts.dead_lettered,
                  .oldest_ready_age = counts.oldest_due ? now - *counts.oldest_due : std::chrono::microseconds(0)};
}

// Fills `report` figure by figure, so that a failure part-way keeps what was read before it; `integrity`
// gets the chain's problem, if any.
void measure(UnitOfWork& work, Timestamp now, std::chrono::microseconds overdue_after, HealthReport& report,
             std::string& integrity) {
  const ChainHead head = work->ledger().head();
  report.storage_reachable = true;
  report.ledger_entries = head.sequence;
  ChainCheck chain = check_chain_tail(work->ledger(), head);
  report.entries_verified = chain.verified;
  report.integrity_ok = chain.problem.empty();
  integrity = std::move(chain.problem);
  report.jobs = job_stats(work->jobs().counts(now), now);
  report.expired_holds = work->ledger().count_expired_holds(now);
  report.overdue_invoices = work->invoices().count_open_finalized_before(now - overdue_after);
}

HealthCounters counters(const detail::Metrics& metrics) {
  using detail::Counter;
  HealthCounters out{.entries_posted = metrics.get(Counter::entries_posted),
                     .events_recorded = metrics.get(Counter::events_recorded),
                     .event_duplicates = metrics.get(Counter::event_duplicates),
                     .jobs_failed = metrics.get(Counter::jobs_failed),
                     .jobs_dead_lettered = metrics.get(Counter::jobs_dead_lettered)};
  for (std::size_t code = 0; code <= static_cast<std::size_t>(PostResult::batch_failed); ++code) {
    const auto result = static_cast<PostResult>(code);
    if (result == PostResult::ok || result == PostResult::exists) continue;
    out.rejections.emplace_back(result, metrics.rejections(code));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- grading

HealthCheck healthy(std::string name) { return {.name = std::move(name), .status = HealthStatus::healthy}; }

HealthCheck unmeasured(std::string name, std::string_view failure) {
  return {
      .name = std::move(name), .status = HealthStatus::unhealthy, .reason = fmt::format("not measured: {}", failure)};
}

// The grade of `value` against `bounds`: the worst bound it is strictly above.
template <class T>
std::optional<std::pair<HealthStatus, T>> exceeded(const T& value, const std::optional<T>& degraded,
                                                   const std::optional<T>& unhealthy) {
  if (unhealthy && value > *unhealthy) return std::pair{HealthStatus::unhealthy, *unhealthy};
  if (degraded && value > *degraded) return std::pair{HealthStatus::degraded, *degraded};
  return std::nullopt;
}

HealthCheck grade_count(std::string name, const std::optional<std::uint64_t>& value, const CountBounds& bounds,
                        std::string_view noun, std::string_view failure) {  // noun: singular, "dead letter"
  if (!value) return unmeasured(std::move(name), failure);
  const auto over = exceeded(*value, bounds.degraded, bounds.unhealthy);
  if (!over) return healthy(std::move(name));
  return {.name = std::move(name),
          .status = over->first,
          .reason = fmt::format("{} {}{}, above the {} bound of {}", *value, noun, *value == 1 ? "" : "s",
                                to_string(over->first), over->second)};
}

HealthCheck grade_age(const std::optional<JobStats>& jobs, const AgeBounds& bounds, std::string_view failure) {
  std::string name = "oldest_ready_age";
  if (!jobs) return unmeasured(std::move(name), failure);
  const auto over = exceeded(jobs->oldest_ready_age, bounds.degraded, bounds.unhealthy);
  if (!over) return healthy(std::move(name));
  return {.name = std::move(name),
          .status = over->first,
          .reason = fmt::format("the oldest ready job has waited {}, above the {} bound of {}",
                                detail::duration_text(jobs->oldest_ready_age), to_string(over->first),
                                detail::duration_text(over->second))};
}

// What went wrong while measuring: the storage's failure, or another error of the library (a stored row that
// breaks an invariant), each empty when there was none.
struct Failures {
  std::string storage{};
  std::string other{};

  [[nodiscard]] std::string_view first() const { return storage.empty() ? std::string_view(other) : storage; }
};

HealthCheck grade_storage(const Failures& failures) {
  if (failures.storage.empty()) return healthy("storage");
  return {.name = "storage",
          .status = HealthStatus::unhealthy,
          .reason = fmt::format("the store failed: {}", failures.storage)};
}

HealthCheck grade_integrity(const HealthReport& report, const std::string& problem, const Failures& failures) {
  if (!failures.other.empty()) {
    return {.name = "integrity",
            .status = HealthStatus::unhealthy,
            .reason = fmt::format("a stored row is broken: {}", failures.other)};
  }
  if (!report.integrity_ok) return unmeasured("integrity", failures.first());
  if (*report.integrity_ok) return healthy("integrity");
  return {.name = "integrity", .status = HealthStatus::unhealthy, .reason = problem};
}

void grade(HealthReport& report, const HealthThresholds& thresholds, const std::string& problem,
           const Failures& failures) {
  const std::string_view failure = failures.first();
  const auto jobs_figure = [&](std::uint64_t JobStats::*field) -> std::optional<std::uint64_t> {
    if (!report.jobs) return std::nullopt;
    return (*report.jobs).*field;
  };
  report.checks = {
      grade_storage(failures),
      grade_integrity(report, problem, failures),
      grade_count("ready_jobs", jobs_figure(&JobStats::ready), thresholds.ready_jobs, "ready job", failure),
      grade_count("dead_letters", jobs_figure(&JobStats::dead_lettered), thresholds.dead_letters, "dead letter",
                  failure),
      grade_age(report.jobs, thresholds.oldest_ready_age, failure),
      grade_count("expired_holds", report.expired_holds, thresholds.expired_holds, "expired hold", failure),
      grade_count("overdue_invoices", report.overdue_invoices, thresholds.overdue_invoices, "overdue invoice", failure),
  };
  report.status = HealthStatus::healthy;
  for (const HealthCheck& check : report.checks) report.status = std::max(report.status, check.status);
}

}  // namespace

std::string_view to_string(HealthStatus status) noexcept {
  switch (status) {
    case HealthStatus::healthy: return "healthy";
    case HealthStatus::degraded: return "degraded";
    case HealthStatus::unhealthy: return "unhealthy";
  }
  return "?";
}

std::uint64_t HealthCounters::rejections_total() const noexcept {
  std::uint64_t total = 0;
  for (const auto& [code, count] : rejections) total += count;
  return total;
}

std::vector<std::string> HealthReport::reasons() const {
  std::vector<std::string> out;
  for (const HealthCheck& check : checks) {
    if (check.status != HealthStatus::healthy) out.push_back(fmt::format("{}: {}", check.name, check.reason));
  }
  return out;
}

Health::Health(detail::Context& context) : context_(context), counting_since_(context.clock().now()) {}

void Health::configure(const HealthThresholds& thresholds) {
  validate(thresholds);
  const std::lock_guard lock(mutex_);
  thresholds_ = thresholds;
}

HealthThresholds Health::thresholds() const {
  const std::lock_guard lock(mutex_);
  return thresholds_;
}

HealthReport Health::report() {
  const HealthThresholds limits = thresholds();
  const Timestamp now = context_.clock().now();
  HealthReport report{.checked_at = now,
                      .counting_since = counting_since_,
                      .invoice_overdue_after = limits.invoice_overdue_after,
                      .counters = counters(context_.metrics())};
  std::string problem;
  Failures failures;
  try {
    context_.read([&](UnitOfWork& work) {
      measure(work, now, limits.invoice_overdue_after, report, problem);
      return 0;
    });
  } catch (const StorageError& e) {
    failures.storage = e.what();
  } catch (const InvariantViolation& e) {
    failures.other = e.what();
  }
  grade(report, limits, problem, failures);
  return report;
}

}  // namespace billing
