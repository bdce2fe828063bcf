// The in-memory ledger: entries in sequence order, and the indexes a relational store would keep as
// columns (by id, by account, holds by expiry, resolutions and reversals). Internal to the adapter.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "billing/storage/ledger_repository.hpp"
#include "session.hpp"

namespace billing::detail::memory {

struct PostingRef {
  std::uint64_t sequence;
  std::size_t leg;
};

struct LedgerTables {
  std::deque<Entry> entries;  // entries[i].sequence == i + 1; a deque never moves what it holds
  std::unordered_map<std::string, std::uint64_t> sequence_by_id;
  std::unordered_map<std::string, std::string> resolution_by_hold;
  std::unordered_map<std::string, std::string> reversal_by_entry;
  std::unordered_map<std::string, std::vector<PostingRef>> postings_by_account;
  std::set<std::pair<std::int64_t, std::uint64_t>> holds_by_expiry;  // (expires_at, sequence), unresolved
};

class Ledger final : public LedgerRepository {
 public:
  /// `accounts` is the account table of the same store: an entry's accounts must exist.
  Ledger(Session& session, LedgerTables& tables, const std::map<std::string, Account, std::less<>>& accounts) noexcept
      : session_(session), tables_(tables), accounts_(accounts) {}

  void append(Entry entry) override;
  std::optional<Entry> find(const EntryId& id) override;
  ChainHead head() override;
  std::optional<EntryId> resolution_of(const EntryId& pending_id) override;
  std::optional<EntryId> reversal_of(const EntryId& id) override;
  std::vector<Entry> scan(std::uint64_t after_sequence, std::size_t limit) override;
  std::vector<Entry> for_account(const AccountId& account, std::uint64_t after_sequence, std::optional<Timestamp> from,
                                 std::optional<Timestamp> to, std::size_t limit) override;
  Balances balances_at(const AccountId& account, std::uint64_t sequence) override;
  std::uint64_t sequence_at(Timestamp when) override;
  std::vector<EntryId> expired_holds(Timestamp when, std::size_t limit) override;
  std::uint64_t count_expired_holds(Timestamp when) override;

 private:
  void check(const Entry& entry) const;
  void index_links(const Entry& entry);
  /// Removes the newest entry and everything index_links() and append() recorded for it.
  void drop_last() noexcept;
  std::optional<EntryId> link(const std::unordered_map<std::string, std::string>& links, const EntryId& id) const;

  Session& session_;
  LedgerTables& tables_;
  const std::map<std::string, Account, std::less<>>& accounts_;
  std::optional<std::size_t> first_appended_;  // entries before this transaction's first append
};

}  // namespace billing::detail::memory
