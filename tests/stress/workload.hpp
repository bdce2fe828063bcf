// The transfers the stress tests and the writer program post: a deterministic plan shared by threads
// (thread_transfers_test.cpp) and processes (billing_stress_writer), so both check the same ledger shape.
//
// Four in five transfers touch one hot wallet: a credit-normal account whose debits may not pass its
// credits by more than a limit. Spends outweigh deposits, so the wallet sits at its limit and many
// spends are refused (exceeds_limit); every other transfer is between unconstrained accounts and is
// always accepted. Plain values and free functions; safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "billing/books.hpp"

namespace billing::stress {

inline constexpr std::string_view k_hot_wallet = "hot-wallet";
/// The hot wallet's credit line: its debits may pass its credits by this much, no more.
inline constexpr std::int64_t k_hot_limit_minor = 50'00;
/// The deposit open_accounts() makes before any worker starts (one entry, id "fund-hot").
inline constexpr std::int64_t k_hot_funding_minor = 20'00;

/// What a planned transfer does, to tell expected refusals from surprises.
enum class Flow : std::uint8_t {
  hot_spend,    ///< debits the hot wallet: ok or exceeds_limit
  hot_deposit,  ///< credits the hot wallet: always ok
  plain,        ///< between unconstrained USD accounts: always ok
  euro,         ///< between unconstrained EUR accounts: always ok
};

struct PlannedTransfer {
  Flow flow{};
  TransferRequest request;
};

/// Transfer `n` (0-based) of worker `worker`, with the entry id "<id_prefix><worker>-<n>".
[[nodiscard]] PlannedTransfer plan_transfer(std::string_view id_prefix, int worker, int n);

/// Opens every account plan_transfer() uses for `workers` workers and funds the hot wallet (one entry).
/// Throws std::runtime_error when an account or the funding is refused.
void open_accounts(Books& books, int workers);

/// The accounts the kill test's writer moves money between (unconstrained, USD), and its batch `first`..
/// `first + size - 1` with entry ids "k-<n>".
void open_kill_accounts(Books& books);
[[nodiscard]] std::vector<EntryRequest> kill_batch(std::uint64_t first, std::size_t size);
/// The n of an entry id "k-<n>", or 0 when `id` is not one.
[[nodiscard]] std::uint64_t kill_sequence_of(std::string_view id);

/// The job queue's kill test (jobs_kill_test.cpp): the kind of its jobs, the lease its workers claim them
/// for, and the accounts each job's effect moves one cent between.
inline constexpr std::string_view k_job_kind = "stress.work";
inline constexpr std::chrono::milliseconds k_job_lease{300};
inline constexpr std::string_view k_job_from = "job-from";
inline constexpr std::string_view k_job_to = "job-to";
void open_job_accounts(Books& books);
/// A claimed job's effect and its completion in one unit of work: a one-cent transfer whose metadata
/// "job" is the job's id, committed only when complete() takes the claim's token. Returns complete()'s
/// result; on any other, nothing was written.
CompleteResult run_job(Books& books, const Job& job);

}  // namespace billing::stress
