// The SQLite ledger rows (tables `journal`, `account_postings` and `ledger_state`, see migrations/v3_journal.inc)
// and the repository over them. Internal to the adapter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "billing/storage/ledger_repository.hpp"
#include "session.hpp"

namespace billing::detail::sqlite {

class Ledger final : public LedgerRepository {
 public:
  explicit Ledger(Session& session) noexcept : session_(session) {}

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
  /// The chain head as this transaction sees it, read once: neither a snapshot nor a held write lock
  /// lets it change underneath, so append() checks the sequence without a query.
  const ChainHead& cached_head();
  /// The last entry whose postings are in account_postings, read once.
  std::uint64_t merged_through();
  /// Throws InvariantViolation unless every posting's account is stored, in the posting's currency.
  void check_accounts(Connection& connection, const Entry& entry);
  void insert_entry_row(Connection& connection, const Entry& entry);
  std::optional<EntryId> entry_id_where(std::string_view sql, const EntryId& id);
  /// Indexes the postings of every entry above merged_through (see migrations/v3_journal.inc).
  void merge(Connection& connection);

  Session& session_;
  std::optional<ChainHead> head_;
  std::string postings_;  // the blob being written, kept for its capacity
  std::optional<std::uint64_t> merged_through_;
  std::unordered_map<std::string, std::string> currencies_;  // accounts this transaction saw, by id
};

}  // namespace billing::detail::sqlite
