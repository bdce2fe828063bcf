// detail::Metrics: the counters one Books keeps from the moment it was opened, for the health report
// (billing/health.hpp). Internal: the areas count through Context::metrics(), Health reads them.
// Every counter is a relaxed atomic, so any thread may count and read at any time; a reading is a
// snapshot of each counter, not of all of them at one instant.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "billing/storage/store.hpp"

namespace billing::detail {

/// What the areas count. Effects (an entry appended, an event stored, a job failed) count once the unit
/// of work that holds them commits; outcomes a caller was given (a rejection, a duplicate) count when
/// they are returned, committed or not (docs/health.md, "Counters").
enum class Counter : std::uint8_t {
  entries_posted,      ///< ledger entries appended (transfers, holds, their posts and voids, reversals)
  events_recorded,     ///< usage events stored
  event_duplicates,    ///< usage events refused as duplicates of a stored id
  jobs_failed,         ///< Jobs::fail() calls that kept the job for a retry
  jobs_dead_lettered,  ///< jobs moved to the dead letters (the last attempt failed, or a lease ran out)
};
inline constexpr std::size_t k_counters = 5;

class Metrics {
 public:
  /// Room for every PostResult code (ledger.hpp); Health checks that the enum fits.
  static constexpr std::size_t k_max_codes = 32;

  /// Adds `n` now.
  void add(Counter counter, std::uint64_t n = 1) noexcept {
    if (n != 0) slot(counter).fetch_add(n, std::memory_order_relaxed);
  }
  /// Adds `n` once `work` commits; nothing if it rolls back.
  void add_on_commit(UnitOfWork& work, Counter counter, std::uint64_t n = 1) {
    if (n == 0) return;
    std::atomic<std::uint64_t>* target = &slot(counter);
    work.after_commit([target, n]() noexcept { target->fetch_add(n, std::memory_order_relaxed); });
  }
  /// Adds `n` rejections with the code whose underlying value is `code` (a PostResult), now.
  void add_rejection(std::size_t code, std::uint64_t n = 1) noexcept {
    if (code < k_max_codes && n != 0) rejections_[code].fetch_add(n, std::memory_order_relaxed);
  }

  [[nodiscard]] std::uint64_t get(Counter counter) const noexcept {
    return counters_[static_cast<std::size_t>(counter)].load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t rejections(std::size_t code) const noexcept {
    return code < k_max_codes ? rejections_[code].load(std::memory_order_relaxed) : 0;
  }

 private:
  std::atomic<std::uint64_t>& slot(Counter counter) noexcept { return counters_[static_cast<std::size_t>(counter)]; }

  std::array<std::atomic<std::uint64_t>, k_counters> counters_{};
  std::array<std::atomic<std::uint64_t>, k_max_codes> rejections_{};
};

}  // namespace billing::detail
