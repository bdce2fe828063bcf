// The storage contract: what the domain needs from any storage engine to group its writes, and nothing
// more. Each area's repository (what it stores and loads) lives in its own header beside this one:
// account_repository.hpp, ledger_repository.hpp, idempotency_repository.hpp, and one per later area.
//
// A Store opens transactions; a Transaction gives one narrow repository per area. Every change made
// through one transaction lands together on commit() or not at all. Adapters (memory.hpp, sqlite.hpp)
// store and load, and enforce integrity a second time; they never decide a business rule.
// A Store is safe to share between threads; a Transaction belongs to the thread that began it.
// tests/contract/ checks every adapter against this contract with one shared suite.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace billing {

class AccountRepository;
class LedgerRepository;
class IdempotencyRepository;
class OrderRepository;
class JobRepository;
class PaymentRepository;
class UsageRepository;
class PlanRepository;
class SubscriptionRepository;
class InvoiceRepository;

/// When a commit returns, has it reached the disk? Each adapter says what its two levels mean
/// (sqlite.hpp, postgres.hpp); the memory adapter keeps nothing past the process.
enum class Durability {
  full,    ///< an acknowledged commit survives a power cut (the default)
  normal,  ///< survives a process crash; the last commits may be lost on power loss
};

/// Read-only or read-write.
enum class Access : std::uint8_t { read, write };

/// An adapter's open transaction: one repository per area, all in the same transaction. Domain code
/// holds it through UnitOfWork. Adding an area adds one accessor here and nothing else.
class Transaction {
 public:
  virtual ~Transaction() = default;  ///< rolls back unless commit() ran; never throws
  /// Makes every change durable (as the store's durability option says) and visible. Throws
  /// StorageError when the engine fails; the store then reads as before the transaction, except that
  /// an adapter whose failed fsync came after the commit reached its log (SQLite) may recover the
  /// write after a crash (docs/reliability.md, "What a failed sync means").
  virtual void commit() = 0;
  [[nodiscard]] virtual Access access() const noexcept = 0;
  [[nodiscard]] virtual AccountRepository& accounts() = 0;
  [[nodiscard]] virtual LedgerRepository& ledger() = 0;
  [[nodiscard]] virtual IdempotencyRepository& idempotency() = 0;
  [[nodiscard]] virtual OrderRepository& orders() = 0;
  [[nodiscard]] virtual JobRepository& jobs() = 0;
  [[nodiscard]] virtual PaymentRepository& payments() = 0;
  [[nodiscard]] virtual UsageRepository& usage() = 0;
  [[nodiscard]] virtual PlanRepository& plans() = 0;
  [[nodiscard]] virtual SubscriptionRepository& subscriptions() = 0;
  [[nodiscard]] virtual InvoiceRepository& invoices() = 0;
};

/// A storage engine.
class Store {
 public:
  virtual ~Store() = default;
  /// Begins a transaction. A write transaction waits for other writers (up to the adapter's busy
  /// timeout, then StorageError); read transactions see a consistent snapshot. Throws Misuse when the
  /// calling thread holds a transaction that the new one would wait for (see each adapter's header).
  [[nodiscard]] virtual std::unique_ptr<Transaction> begin(Access access) = 0;
  /// How many times the library runs a unit of work again after the store rolled it back for a race it
  /// could not order (a deadlock, a serialization failure). 0 for engines that order every race
  /// themselves (memory, SQLite: one writer at a time).
  [[nodiscard]] virtual int conflict_retries() const noexcept { return 0; }
};

/// A unit of work: begins a transaction in its constructor, commits on commit(), rolls back in its
/// destructor otherwise. It is a handle on the transaction: `->` reaches the repositories. Calling
/// commit() twice, or using it after commit, throws Misuse.
///
///   UnitOfWork work(store, Access::write);
///   work->accounts().set_status(id, AccountStatus::closed);
///   work.commit();
class UnitOfWork {
 public:
  UnitOfWork(Store& store, Access access);
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  UnitOfWork(UnitOfWork&&) noexcept = default;
  UnitOfWork& operator=(UnitOfWork&&) noexcept = default;
  ~UnitOfWork();

  /// Commits; then runs the after_commit() actions, in the order they were given.
  void commit();
  /// Runs `action` once commit() has succeeded; drops it if the unit rolls back (or commit() throws).
  /// For what may only be told once the writes are durable, such as a counter (detail::Metrics). The
  /// action must not throw. Throws Misuse after commit().
  void after_commit(std::function<void()> action);
  [[nodiscard]] bool committed() const noexcept { return transaction_ == nullptr; }
  [[nodiscard]] Access access() const { return open().access(); }

  /// The open transaction. Throws Misuse after commit().
  [[nodiscard]] Transaction& operator*() const { return open(); }
  [[nodiscard]] Transaction* operator->() const { return &open(); }

 private:
  [[nodiscard]] Transaction& open() const;
  std::unique_ptr<Transaction> transaction_;
  std::vector<std::function<void()>> after_commit_;
};

}  // namespace billing
