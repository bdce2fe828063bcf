// The PostgreSQL ledger rows (tables `journal` and `postings`, see migrations/v1_accounts_and_ledger.inc)
// and the repository over them. Internal to the adapter.
//
// The chain has one writer at a time: in a write transaction every method takes the ledger's writer lock
// first (Session::lock_ledger(), once per transaction), so the head, the balances and the set of entry ids
// it reads stay as read until the transaction ends. A read transaction reads its snapshot.
//
// Each entry is one journal row and one postings row per leg, written by one statement (append()). Every
// refusal append() makes, it makes without raising in the database, so a caller that catches the
// InvariantViolation goes on with a usable transaction (a failed statement would abort it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "billing/storage/ledger_repository.hpp"
#include "session.hpp"

namespace billing::detail::postgres {

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
  /// The connection for a read, after the ledger lock in a write transaction.
  Connection& reader();
  /// The chain head as this transaction sees it, read once (after the lock): neither a snapshot nor a held
  /// writer lock lets it change underneath, so append() checks the sequence without a query.
  const ChainHead& cached_head();
  /// After append()'s statement stored nothing: throws the InvariantViolation that says why, checking in
  /// the order the SQLite adapter does (the accounts in posting order, then the id, then the links).
  [[noreturn]] void refuse(Connection& connection, const Entry& entry, bool taken, bool resolved, bool reversed);
  std::optional<EntryId> entry_id_where(std::string_view sql, const EntryId& id);

  Session& session_;
  std::optional<ChainHead> head_;
};

}  // namespace billing::detail::postgres
