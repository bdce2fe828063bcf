// Books: one open set of books, the handle a host keeps: storage, clock and id source, with each area
// (accounts, ledger) and units of work that span them.
//
// A Books is safe to share between threads. A transaction() belongs to the thread that opened it:
// every call that thread makes on these books joins it until it commits or is dropped.
//
//   billing::Books books(billing::open_sqlite("books.db"));
//   auto cash = books.accounts().create({.currency = Currency("USD"), .name = "Cash"});
//   {
//     auto work = books.transaction();
//     (void)books.ledger().transfer({.debit = a, .credit = b, .amount = Money::parse("5.00 USD")});
//     (void)books.ledger().transfer({.debit = b, .credit = c, .amount = Money::parse("5.00 USD")});
//     work.commit();                                      // both transfers, or neither
//   }
#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "billing/accounts.hpp"
#include "billing/idempotency.hpp"
#include "billing/ledger.hpp"
#include "billing/storage/store.hpp"

namespace billing {

/// A unit of work that the calls of the thread that opened it join. Commits on commit(); rolls back
/// and ends in its destructor otherwise.
class BooksTransaction {
 public:
  BooksTransaction(const BooksTransaction&) = delete;
  BooksTransaction& operator=(const BooksTransaction&) = delete;
  ~BooksTransaction();

  /// Commits every change made on this thread since the transaction opened. Throws Misuse when
  /// already committed, StorageError when the engine fails (then nothing is committed).
  void commit();

 private:
  friend class Books;
  BooksTransaction(detail::Context& context, Access access);
  detail::Context& context_;
  UnitOfWork work_;
};

class Books {
 public:
  /// Books on `store`, reading time from `clock` (the system clock when null) and making ids with
  /// `ids` (UUIDv7 from the clock when null).
  explicit Books(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock = nullptr,
                 std::shared_ptr<IdSource> ids = nullptr);
  ~Books();
  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  [[nodiscard]] Accounts& accounts() noexcept { return accounts_; }
  [[nodiscard]] Ledger& ledger() noexcept { return ledger_; }
  [[nodiscard]] Idempotency& idempotency() noexcept { return idempotency_; }

  /// Opens a write unit of work for this thread. Throws Misuse when this thread already has one open.
  [[nodiscard]] std::unique_ptr<BooksTransaction> transaction();

  [[nodiscard]] const Clock& clock() const noexcept;
  [[nodiscard]] IdSource& ids() noexcept;

 private:
  std::unique_ptr<detail::Context> context_;
  Accounts accounts_;
  Ledger ledger_;
  Idempotency idempotency_;
};

namespace detail {

/// What every area of one Books shares: storage, clock, ids, and each thread's open unit of work.
class Context {
 public:
  Context(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, std::shared_ptr<IdSource> ids);

  [[nodiscard]] Store& store() noexcept { return *store_; }
  [[nodiscard]] const Clock& clock() const noexcept { return *clock_; }
  [[nodiscard]] IdSource& ids() noexcept { return *ids_; }

  /// This thread's open unit of work, or null.
  [[nodiscard]] UnitOfWork* ambient();
  void set_ambient(UnitOfWork* work);

  /// Runs `work(UnitOfWork&)` in this thread's open unit of work, or in a new one that commits when
  /// `work` returns (and rolls back when it throws).
  template <class F>
  auto write(F&& work) {
    if (UnitOfWork* open = ambient()) return work(*open);
    UnitOfWork unit(*store_, Access::write);
    auto result = work(unit);
    unit.commit();
    return result;
  }

  /// Runs `work(UnitOfWork&)` in this thread's open unit of work, or in a new read-only one.
  template <class F>
  auto read(F&& work) {
    if (UnitOfWork* open = ambient()) return work(*open);
    UnitOfWork unit(*store_, Access::read);
    return work(unit);
  }

 private:
  std::shared_ptr<Store> store_;
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<IdSource> ids_;
  std::mutex mutex_;
  std::unordered_map<std::thread::id, UnitOfWork*> ambient_;
};

}  // namespace detail
}  // namespace billing
