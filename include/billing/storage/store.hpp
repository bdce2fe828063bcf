// The storage contract: what the domain needs from any storage engine, and nothing more.
//
// A Store opens units of work; a unit of work gives one narrow repository per area. Every change made
// through one unit of work lands together on commit() or not at all. Adapters (memory.hpp, sqlite.hpp)
// store and load, and enforce integrity a second time; they never decide a business rule.
// A Store is safe to share between threads; a Transaction belongs to the thread that began it.
// tests/contract/ checks every adapter against this contract with one shared suite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/account.hpp"
#include "billing/entry.hpp"

namespace billing {

/// Account rows. Accounts change status and balances; they are never removed.
class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  /// Stores a new account. Returns false, storing nothing, when an account with its id exists.
  [[nodiscard]] virtual bool insert(const Account& account) = 0;
  /// The account with `id`, or nullopt.
  [[nodiscard]] virtual std::optional<Account> find(const AccountId& id) = 0;
  /// Replaces the status of an existing account. Throws InvariantViolation when there is none.
  virtual void set_status(const AccountId& id, AccountStatus status) = 0;
  /// Replaces the running totals of an existing account. Throws InvariantViolation when there is none.
  virtual void set_balances(const AccountId& id, const Balances& balances) = 0;
  /// Up to `limit` accounts whose id sorts after `after` (from the start when empty), in id order,
  /// only those with `status` when given.
  [[nodiscard]] virtual std::vector<Account> list(std::optional<AccountStatus> status, const std::string& after,
                                                  std::size_t limit) = 0;
};

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
};

/// A stored key: who holds it, what the request was, and (once done) its outcome.
struct IdempotencyRecord {
  enum class State : std::uint8_t { in_flight, completed };

  std::string scope{};
  std::string key{};
  Hash fingerprint{};  ///< SHA-256 of the canonical request
  State state = State::in_flight;
  std::string outcome{};  ///< set when completed
  std::string owner{};    ///< a token naming the claim that holds an in-flight key
  Timestamp created_at{};
  Timestamp lease_until{};  ///< in flight: after this the holder is presumed dead
  Timestamp expires_at{};   ///< after this the key is forgotten

  friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

/// Idempotency keys. Each (scope, key) has at most one record.
class IdempotencyRepository {
 public:
  virtual ~IdempotencyRepository() = default;

  /// The record of (scope, key), or nullopt.
  [[nodiscard]] virtual std::optional<IdempotencyRecord> find(std::string_view scope, std::string_view key) = 0;
  /// Stores `record`, replacing any record of its (scope, key).
  virtual void put(const IdempotencyRecord& record) = 0;
  /// Removes the record of (scope, key), if there is one.
  virtual void remove(std::string_view scope, std::string_view key) = 0;
  /// Removes up to `limit` records whose expires_at <= `now`. Returns how many it removed.
  virtual std::size_t purge_expired(Timestamp now, std::size_t limit) = 0;
};

/// Read-only or read-write.
enum class Access : std::uint8_t { read, write };

/// An adapter's open transaction. Domain code holds it through UnitOfWork.
class Transaction {
 public:
  virtual ~Transaction() = default;  ///< rolls back unless commit() ran; never throws
  /// Makes every change durable (as the store's durability option says) and visible. Throws
  /// StorageError when the engine fails, in which case nothing was committed.
  virtual void commit() = 0;
  [[nodiscard]] virtual Access access() const noexcept = 0;
  [[nodiscard]] virtual AccountRepository& accounts() = 0;
  [[nodiscard]] virtual LedgerRepository& ledger() = 0;
  [[nodiscard]] virtual IdempotencyRepository& idempotency() = 0;
};

/// A storage engine.
class Store {
 public:
  virtual ~Store() = default;
  /// Begins a transaction. A write transaction waits for other writers (up to the adapter's busy
  /// timeout, then StorageError); read transactions see a consistent snapshot.
  [[nodiscard]] virtual std::unique_ptr<Transaction> begin(Access access) = 0;
};

/// A unit of work: begins in its constructor, commits on commit(), rolls back in its destructor
/// otherwise. Calling commit() twice, or using it after commit, throws Misuse.
///
///   UnitOfWork work(store, Access::write);
///   work.accounts().set_status(id, AccountStatus::closed);
///   work.commit();
class UnitOfWork {
 public:
  UnitOfWork(Store& store, Access access);
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  UnitOfWork(UnitOfWork&&) noexcept = default;
  UnitOfWork& operator=(UnitOfWork&&) noexcept = default;
  ~UnitOfWork();

  void commit();
  [[nodiscard]] bool committed() const noexcept { return transaction_ == nullptr; }
  [[nodiscard]] Access access() const;
  [[nodiscard]] AccountRepository& accounts();
  [[nodiscard]] LedgerRepository& ledger();
  [[nodiscard]] IdempotencyRepository& idempotency();

 private:
  Transaction& open();
  std::unique_ptr<Transaction> transaction_;
};

}  // namespace billing
