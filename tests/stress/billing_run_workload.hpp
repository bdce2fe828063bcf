// The books the billing run's stress tests bill (billing_run_kill_test.cpp, billing_run_process_test.cpp), what a
// run as of k_billing_as_of must leave in them, and the checks that it did. 300 monthly subscriptions on 60
// customers' accounts, started at several hours of days 1 to 28 of January to March 2026 (no day a month lacks,
// so no period is clamped), are each 3 to 6 periods behind at k_billing_as_of. The billing_stress_writer runs
// the billing run on a ManualClock stopped at k_billing_as_of, and the tests read the books on one too: every
// payment job the run enqueues is then ready when the checks claim it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "billing/books.hpp"

namespace billing::stress {

inline constexpr std::string_view k_billing_as_of = "2026-07-10T00:00:00Z";
inline constexpr int k_billing_subscriptions = 300;
inline constexpr int k_billing_customers = 60;

/// What the run must bill of one subscription: the start of each period due by k_billing_as_of, in order, and
/// the start of the period that must be current afterwards (the end of the last one billed).
struct DueSubscription {
  SubscriptionId id;
  std::vector<Timestamp> due_starts{};
  Timestamp next_start{};
};

/// The arguments of billing_stress_writer's billing-run mode: the run as of k_billing_as_of on `path`, in calls of
/// `limit` periods, after the file `gate` appears when one is given.
[[nodiscard]] std::vector<std::string> billing_run_args(const std::string& path, std::size_t limit,
                                                        const std::string& gate = "");

/// What a billing-run writer said on its way: "ready", then "ran <billed> <created> <jobs>" after each call,
/// then "done" with the sums.
struct HeardRun {
  bool ready = false;
  bool done = false;
  std::uint64_t calls = 0;    ///< "ran" lines
  std::uint64_t billed = 0;   ///< periods billed, summed over the "ran" lines
  std::uint64_t created = 0;  ///< invoices created, the same way
  std::uint64_t jobs = 0;     ///< payment jobs enqueued, the same way
};
/// Takes in one whole line; CHECKs that a "done" line repeats the sums of the "ran" lines before it.
void hear(HeardRun& heard, const std::string& line);

/// Opens the customers' accounts, the plans and the subscriptions. Throws std::runtime_error when one is refused.
void set_up_billing(Books& books);

/// Every subscription set_up_billing() makes, with its due periods worked out from its start, not by the library.
[[nodiscard]] std::vector<DueSubscription> due_subscriptions();
/// The periods due over all subscriptions: the invoices a finished run leaves.
[[nodiscard]] std::uint64_t due_period_count(const std::vector<DueSubscription>& due);

/// What a run has written so far, each counted on its own; a period is billed whole or not at all, so after
/// any kill the four are equal.
struct BilledCounts {
  std::uint64_t invoices = 0;      ///< invoices stored
  std::uint64_t advanced = 0;      ///< periods the subscriptions advanced by (their period_index, summed)
  std::uint64_t entries = 0;       ///< ledger entries, as verify() walked them (it must pass)
  std::uint64_t payment_jobs = 0;  ///< jobs that have not completed (only the run enqueues any)

  friend bool operator==(const BilledCounts&, const BilledCounts&) = default;
};
/// Counts what the books hold; CHECKs that verify() passes. `books` must run on a clock at k_billing_as_of.
[[nodiscard]] BilledCounts count_billed(Books& books);

/// Checks that the run billed each due period of `due` exactly once, and nothing else:
///  - every due (subscription, period) has one invoice, OPEN, numbered, of its plan's fee, and no other exists;
///  - the numbers are 1..N without gaps;
///  - every invoice has one ledger entry, its "<invoice id>:finalize", the only one carrying its invoice_id,
///    and the ledger holds no other (verify() passes and walks N entries);
///  - every subscription advanced to the period current at k_billing_as_of;
///  - one invoice.payment job per invoice, claimed here to count them: it changes the queue, so call it last.
/// `books` must run on a clock at k_billing_as_of. Returns N.
std::uint64_t check_billed_once(Books& books, const std::vector<DueSubscription>& due);

}  // namespace billing::stress
