// What the fault suites share: the books every write starts from, the public writes they run with a
// failure at each step (scenarios()), and a snapshot of everything a write could change, read straight
// from the store, to prove that a failed write left nothing behind.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/books.hpp"
#include "billing/storage/idempotency_repository.hpp"
#include "billing/storage/job_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/order_repository.hpp"
#include "billing/storage/sqlite.hpp"

namespace billing::faults {

/// Like SequentialIds ("gen-000000000001", ...), but it can be wound back, so that a write retried
/// after a fault draws the ids the run without faults drew, and the two end in the same state.
class RewindableIds final : public IdSource {
 public:
  [[nodiscard]] std::string next() override;
  [[nodiscard]] std::uint64_t position() const noexcept { return next_.load(); }
  void rewind(std::uint64_t position) noexcept { next_.store(position); }

 private:
  std::atomic<std::uint64_t> next_{1};
};

/// Where the base books leave the clock and the ids, so that books opened later on a copy of them go on
/// from there.
struct BaseMark {
  Timestamp clock;
  std::uint64_t ids = 1;
};

/// Books over a store, with a manual clock and rewindable ids.
struct World {
  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<RewindableIds> ids;
  std::unique_ptr<Books> books;

  explicit World(std::shared_ptr<Store> store);
  /// Sets the clock and the ids to `mark`.
  void resume(const BaseMark& mark);
};

/// The clock when the base books begin.
[[nodiscard]] Timestamp base_start();

/// Everything a write may change: accounts (status and totals), the chain's head, every entry, the end
/// of each account's list of entries (what for_account gives after the last 64 sequences, where a
/// write appends), the idempotency keys the scenarios use (a claim's random owner token reads
/// "(an owner)"), and the orders they use with their histories. With the path of an SQLite file, also what the adapter keeps beside the journal: how
/// far postings are merged into account_postings, and a digest of that table's rows.
struct Snapshot {
  std::vector<Account> accounts;
  std::uint64_t head_sequence = 0;
  Hash head_hash{};
  std::vector<Entry> entries;
  std::vector<std::vector<std::uint64_t>> by_account;  ///< per account, the recent sequences for_account lists
  std::vector<std::optional<IdempotencyRecord>> keys;
  std::vector<std::optional<Order>> orders;  ///< the orders the scenarios use, deleted ones included
  std::vector<std::vector<OrderChange>> order_history;  ///< and their histories
  std::vector<std::optional<Job>> jobs;  ///< the jobs gen-1 .. gen-32 (a claim's random token reads "(a token)")
  std::string sqlite_index;  ///< "merged through N; M postings, amounts sum S"; empty without a path

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
  /// "5 accounts, head 14, 14 entries, 1 of 2 keys; merged through 0, ...": for a failure message.
  [[nodiscard]] std::string summary() const;
};
[[nodiscard]] Snapshot snapshot(Store& store, const std::string& sqlite_path = "");

/// The entries of the base books: 10, or k_merge_base_entries for a scenario that crosses SQLite's merge.
inline constexpr std::uint64_t k_small_base_entries = 10;
/// Two short of entry 4,096, where the SQLite adapter merges recent postings into its account index.
inline constexpr std::uint64_t k_merge_base_entries = 4094;

/// Opens the accounts and posts the entries every scenario starts from: four USD accounts, posted
/// transfers, seven holds (one with a timeout), a completed idempotency key, two orders (one PENDING,
/// one PROCESSING) and five jobs (completed, dead-lettered, claimed, claimed with a lapsing lease on its
/// last attempt, and ready), then one-cent
/// transfers up to `entries` entries. Returns the mark.
BaseMark build_base(World& world, std::uint64_t entries = k_small_base_entries);

/// A store holding the base books, and its mark. The in-memory one is built afresh; the SQLite one is a
/// copy of a file built once per process, durability and size.
struct Base {
  std::shared_ptr<Store> store;
  BaseMark mark;
  std::string path;  ///< the SQLite file; empty in memory

  [[nodiscard]] Snapshot snapshot() const;
};
[[nodiscard]] Base memory_base(std::uint64_t entries = k_small_base_entries);
[[nodiscard]] Base sqlite_base(Durability durability, std::uint64_t entries = k_small_base_entries);
/// A new path in the suite's scratch directory, removed when the process exits.
[[nodiscard]] std::string scratch_path(std::string_view name);

/// Every how many steps the SQLite I/O suite fails a write on the large base (crossing the merge, some
/// 125 file writes, each a merge and a retry): every step (1), except under the sanitizers, whose
/// slowdown would make that minutes, where it is 8 (the first, the last and every 8th step). The
/// environment variable BILLING_FAULT_STRIDE overrides it.
[[nodiscard]] int large_base_stride();

/// One public write, on the base books.
struct Scenario {
  std::string_view name;
  std::string_view expected;                          ///< its outcome without faults
  std::string (*write)(World& world);                 ///< runs it and returns its outcome as text, such as "ok,ok"
  std::uint64_t base_entries = k_small_base_entries;  ///< the base it starts from
};
[[nodiscard]] const std::vector<Scenario>& scenarios();

}  // namespace billing::faults
