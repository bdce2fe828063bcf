// Health: one report on a set of books for a host's health endpoint or dashboard. It says whether the store
// answers and whether the newest entries of the ledger's hash chain check out; the job queue's depths and the
// age of its oldest ready job; the expired holds not yet voided and the overdue invoices; and counters kept
// since the books were opened (entries posted, rejections by code, usage events and duplicates, failed jobs).
// Thresholds that the host sets grade each figure HEALTHY, DEGRADED or UNHEALTHY, and the report takes the
// worst grade. It prints as a table for people and as JSON that an HTTP host returns as it is.
// docs/health.md describes each figure, the defaults and the JSON shape.
//
// Reach it through Books::health(). It is safe to share between threads: report() and configure() may run on
// any thread at any time, alongside every other call. report() only reads, and it never throws for a store
// that fails: the failure makes the report UNHEALTHY, and the reason says what failed.
//
//   books.health().configure({.dead_letters = {.degraded = 0, .unhealthy = 100}});
//   const HealthReport report = books.health().report();
//   const int http_status = report.status == HealthStatus::unhealthy ? 503 : 200;
//   respond(http_status, "application/json", report.to_json());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/job.hpp"
#include "billing/ledger.hpp"
#include "billing/time.hpp"

namespace billing {

namespace detail {
class Context;
}

/// A grade, from best to worst. A report's status is the worst grade of its checks.
enum class HealthStatus : std::uint8_t {
  healthy,    ///< every figure within its bounds
  degraded,   ///< a figure beyond its degraded bound: it needs a look, the books still work
  unhealthy,  ///< the store failed or its chain does not check out, or a figure beyond its unhealthy bound
};

/// "healthy", "degraded" or "unhealthy": the spelling the JSON uses.
[[nodiscard]] std::string_view to_string(HealthStatus status) noexcept;

/// Where a count turns DEGRADED and where UNHEALTHY. A figure strictly above a bound reaches its grade, so 0
/// means "any at all"; nullopt means never. When both are set, degraded is at most unhealthy.
struct CountBounds {
  std::optional<std::uint64_t> degraded{};
  std::optional<std::uint64_t> unhealthy{};

  friend bool operator==(const CountBounds&, const CountBounds&) = default;
};

/// As CountBounds, for an age: each bound from zero to k_max_health_age, or nullopt for never.
struct AgeBounds {
  std::optional<std::chrono::microseconds> degraded{};
  std::optional<std::chrono::microseconds> unhealthy{};

  friend bool operator==(const AgeBounds&, const AgeBounds&) = default;
};

/// The longest age a bound, or invoice_overdue_after, may name.
inline constexpr std::chrono::microseconds k_max_health_age = std::chrono::hours(24 * 366);
/// How many of the newest ledger entries the quick integrity check re-hashes.
inline constexpr std::size_t k_health_chain_entries = 16;

/// The bounds of each graded figure (docs/health.md, "Thresholds", says why these defaults).
struct HealthThresholds {
  CountBounds ready_jobs{.degraded = 10'000, .unhealthy = 100'000};  ///< jobs claimable now
  CountBounds dead_letters{.degraded = 0, .unhealthy = 1'000};       ///< jobs waiting for redrive()
  AgeBounds oldest_ready_age{.degraded = std::chrono::minutes(5), .unhealthy = std::chrono::hours(1)};
  CountBounds expired_holds{.degraded = 1'000, .unhealthy = std::nullopt};  ///< holds past expiry, not voided
  CountBounds overdue_invoices{};  ///< reported, graded only when the host sets bounds
  /// An OPEN invoice is overdue once it was finalised longer ago than this: more than zero, at most
  /// k_max_health_age.
  std::chrono::microseconds invoice_overdue_after = std::chrono::hours(24 * 30);

  friend bool operator==(const HealthThresholds&, const HealthThresholds&) = default;
};

/// One graded figure. Checks come in this order, always all of them: "storage", "integrity", "ready_jobs",
/// "dead_letters", "oldest_ready_age", "expired_holds", "overdue_invoices".
struct HealthCheck {
  std::string name{};
  HealthStatus status = HealthStatus::healthy;
  /// Why the check is not healthy, for people ("3 dead letters, above the degraded bound of 0"); empty when
  /// healthy. A check that could not be measured because the store failed is unhealthy, with a reason that
  /// starts "not measured: ".
  std::string reason{};

  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

/// What these books counted since they were opened (in this process; each Books counts on its own). Entries,
/// events and failed jobs count once the unit of work that holds them commits; rejections and duplicates
/// count when the call returns them, since the caller was told either way (docs/health.md, "Counters").
struct HealthCounters {
  std::uint64_t entries_posted = 0;      ///< ledger entries appended: posts, holds, their posts and voids, reversals
  std::uint64_t events_recorded = 0;     ///< usage events stored
  std::uint64_t event_duplicates = 0;    ///< usage events refused as the duplicate of a stored id
  std::uint64_t jobs_failed = 0;         ///< failed attempts reported through Jobs::fail()
  std::uint64_t jobs_dead_lettered = 0;  ///< jobs moved to the dead letters (by fail(), or a last lease run out)
  /// Ledger entries refused, by code: every PostResult but ok and exists (a replay, not a refusal), in the
  /// enum's order, zeros included.
  std::vector<std::pair<PostResult, std::uint64_t>> rejections{};

  /// The sum of `rejections`.
  [[nodiscard]] std::uint64_t rejections_total() const noexcept;

  friend bool operator==(const HealthCounters&, const HealthCounters&) = default;
};

/// The report. A figure read from the store is nullopt when the store failed before it was read.
struct HealthReport {
  HealthStatus status = HealthStatus::healthy;      ///< the worst of checks
  Timestamp checked_at{};                           ///< by the books' clock
  Timestamp counting_since{};                       ///< when the books were opened: where the counters start
  bool storage_reachable = false;                   ///< a read unit of work began and read the chain's head
  std::optional<bool> integrity_ok{};               ///< the newest entries re-hash and link to the stored head
  std::optional<std::uint64_t> ledger_entries{};    ///< the chain's length (its head's sequence)
  std::optional<std::uint64_t> entries_verified{};  ///< how many of the newest the check re-hashed
  std::optional<JobStats> jobs{};                   ///< the queue's figures, as Jobs::stats() gives them
  std::optional<std::uint64_t> expired_holds{};     ///< holds past expires_at, neither posted nor voided
  std::optional<std::uint64_t> overdue_invoices{};  ///< OPEN invoices finalised before checked_at - overdue_after
  std::chrono::microseconds invoice_overdue_after{};
  HealthCounters counters{};
  std::vector<HealthCheck> checks{};

  /// "name: reason" for each check that is not healthy, in the checks' order.
  [[nodiscard]] std::vector<std::string> reasons() const;
  /// The report as a table for people, one line per check and per counter, ending in a newline.
  [[nodiscard]] std::string to_table() const;
  /// The report as one JSON object with the same keys every time (docs/health.md, "JSON"): integers are
  /// exact, ages are integer microseconds (`_us`), times are RFC 3339 text, a figure not measured is null.
  /// Valid UTF-8 whatever a storage error's text held.
  [[nodiscard]] std::string to_json() const;

  friend bool operator==(const HealthReport&, const HealthReport&) = default;
};

class Health {
 public:
  /// Counters start now, by the books' clock.
  explicit Health(detail::Context& context);

  /// Replaces the thresholds. Throws InvalidArgument naming the bound at fault ("ready_jobs.unhealthy",
  /// "oldest_ready_age.degraded", "invoice_overdue_after"): an age below zero or above k_max_health_age, an
  /// unhealthy bound below the degraded one, an invoice_overdue_after of zero or less or above
  /// k_max_health_age. The thresholds are unchanged then.
  void configure(const HealthThresholds& thresholds);
  [[nodiscard]] HealthThresholds thresholds() const;

  /// Reads the store in one read unit of work (joining this thread's transaction when one is open) and
  /// grades what it found. Never throws for a failing store: a StorageError makes the storage check
  /// UNHEALTHY, any other error of the library (a stored row that breaks an invariant) the integrity check,
  /// and the figures not read by then are nullopt. Changes nothing. Costs a few indexed reads and
  /// k_health_chain_entries hashes, whatever the size of the books.
  [[nodiscard]] HealthReport report();

 private:
  detail::Context& context_;
  Timestamp counting_since_;
  mutable std::mutex mutex_;
  HealthThresholds thresholds_;
};

}  // namespace billing
