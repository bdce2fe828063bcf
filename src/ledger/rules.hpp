// The ledger's rules, in one place: what an entry must satisfy to be accepted, and what it does to its
// accounts' running totals. The Planner checks a batch of operations against storage without writing,
// then writes the accepted entries and totals together; verify() re-derives totals with apply_leg().
#pragma once

#include <chrono>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "billing/ledger.hpp"
#include "billing/storage/account_repository.hpp"
#include "billing/storage/ledger_repository.hpp"
#include "billing/storage/store.hpp"

namespace billing::detail {

/// One thing a batch asks the ledger to do.
struct Operation {
  EntryKind kind = EntryKind::posted;
  /// posted and pending: the caller's request, borrowed (it outlives the batch), so a batch copies nothing.
  const EntryRequest* borrowed = nullptr;
  /// post_pending, void_pending and reversal: the id and description the ledger was given.
  EntryRequest own{};
  std::optional<std::chrono::microseconds> timeout{};  ///< pending
  std::optional<EntryId> target{};                     ///< the hold (post/void) or the entry (reversal)
  std::optional<Money> amount{};                       ///< a partial post

  /// Postings for posted and pending; the id for all.
  [[nodiscard]] const EntryRequest& request() const noexcept { return borrowed != nullptr ? *borrowed : own; }
};

/// Throws InvalidArgument naming the field when `operation` is malformed, whatever the stored state.
/// `index` is the operation's place in a batch of several, for the field name ("[3].postings").
void validate(const Operation& operation, std::optional<std::size_t> index);

/// What leg `posting` of an entry of `kind` does to its account's totals; `hold_leg` is the matching
/// leg of the hold for post_pending and void_pending. Returns false, leaving `totals` unchanged, when a
/// total would overflow.
[[nodiscard]] bool apply_leg(Balances& totals, EntryKind kind, const Posting& posting, const Posting* hold_leg);

/// Checks operations one after another against what is stored plus what the earlier operations of the
/// same batch staged, without writing. write() then stores every staged entry and touched account.
class Planner {
 public:
  Planner(UnitOfWork& work, const Clock& clock, IdSource& ids);

  /// The outcome of `operation`. On ok its entry and totals are staged; otherwise nothing is.
  [[nodiscard]] PostOutcome plan(const Operation& operation);

  /// Appends the staged entries and saves the touched accounts' totals, in the unit of work.
  void write();

 private:
  [[nodiscard]] std::optional<Entry> find_entry(const EntryId& id);
  /// How hold `hold_id` was resolved (post_pending or void_pending), or nullopt while it is open.
  [[nodiscard]] std::optional<EntryKind> resolution_kind(const EntryId& hold_id);
  [[nodiscard]] bool is_reversed(const EntryId& id);
  [[nodiscard]] Account* account(const AccountId& id);
  [[nodiscard]] std::optional<PostOutcome> resolve_target(const Operation& operation, Entry& draft,
                                                          std::optional<Entry>& hold);
  [[nodiscard]] std::optional<PostOutcome> check_accounts(const Operation& operation, const Entry& draft);
  [[nodiscard]] std::optional<PostOutcome> apply(Entry& draft, const std::optional<Entry>& hold);
  void stage(Entry entry);

  /// An account as this batch sees it: loaded once, its totals as staged so far.
  struct Slot {
    std::optional<Account> account;
    bool touched = false;  ///< an accepted entry changed its totals: write() saves it
  };
  /// One account's totals while an entry is checked, before they are staged.
  struct Pending {
    Slot* slot;
    Balances after;
  };

  UnitOfWork& work_;
  const Clock& clock_;
  IdSource& ids_;
  ChainHead head_;
  [[nodiscard]] Slot* slot(const AccountId& id);

  std::unordered_map<std::string, Slot> accounts_;  // loaded once; totals as staged
  std::vector<Slot*> touched_;                      // in the order first touched
  std::vector<Pending> pending_;                    // reused by apply()
  std::unordered_map<std::string, std::size_t> staged_by_id_;
  std::unordered_map<std::string, EntryKind> staged_resolutions_;  // hold id -> post or void
  std::unordered_set<std::string> staged_reversals_;
  std::vector<Entry> staged_;
};

}  // namespace billing::detail
