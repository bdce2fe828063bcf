// The ledger area's storage: the repository interface the ledger's rules use, and the chain head row.
// An adapter implements it in src/storage/<adapter>/ledger.cpp.
// One instance belongs to one Transaction and to the thread that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "billing/entry.hpp"

namespace billing {

/// The end of the hash chain: the last entry's sequence and hash (0 and zeros when empty).
struct ChainHead {
  std::uint64_t sequence = 0;
  Hash hash{};
  Timestamp recorded_at;
};

/// Ledger entries. Append-only: there is no operation that changes or removes one.
class LedgerRepository {
 public:
  virtual ~LedgerRepository() = default;

  /// Appends `entry`, with its postings and balances_after. Requires entry.sequence == head().sequence + 1
  /// and an unused id (the ledger checks both first); throws InvariantViolation otherwise. Taken by value
  /// so that a store that keeps the entry can take it without a copy.
  virtual void append(Entry entry) = 0;
  /// The entry with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Entry> find(const EntryId& id) = 0;
  [[nodiscard]] virtual ChainHead head() = 0;
  /// The id of the entry that posted or voided hold `pending_id`, or nullopt while it is unresolved.
  [[nodiscard]] virtual std::optional<EntryId> resolution_of(const EntryId& pending_id) = 0;
  /// The id of the entry that reversed `id`, or nullopt.
  [[nodiscard]] virtual std::optional<EntryId> reversal_of(const EntryId& id) = 0;
  /// Up to `limit` entries with sequence > `after_sequence`, in sequence order.
  [[nodiscard]] virtual std::vector<Entry> scan(std::uint64_t after_sequence, std::size_t limit) = 0;
  /// Up to `limit` entries with a posting on `account` and sequence > `after_sequence`, in sequence
  /// order, only those recorded in [from, to) when given.
  [[nodiscard]] virtual std::vector<Entry> for_account(const AccountId& account, std::uint64_t after_sequence,
                                                       std::optional<Timestamp> from, std::optional<Timestamp> to,
                                                       std::size_t limit) = 0;
  /// The account's totals just after its last posting with sequence <= `sequence`; zeros when none.
  [[nodiscard]] virtual Balances balances_at(const AccountId& account, std::uint64_t sequence) = 0;
  /// The last sequence recorded at or before `when`; 0 when none.
  [[nodiscard]] virtual std::uint64_t sequence_at(Timestamp when) = 0;
  /// Up to `limit` unresolved holds whose expires_at <= `when`, in sequence order.
  [[nodiscard]] virtual std::vector<EntryId> expired_holds(Timestamp when, std::size_t limit) = 0;
  /// How many unresolved holds have expires_at <= `when` (the ones expired_holds() would list without a
  /// limit), for health reports.
  [[nodiscard]] virtual std::uint64_t count_expired_holds(Timestamp when) = 0;
};

}  // namespace billing
