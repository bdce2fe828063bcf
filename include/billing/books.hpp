// Books: one open set of books, the handle a host keeps. It assembles the areas (accounts, ledger,
// idempotency) on one storage, clock and id source, and opens units of work that span them; it holds
// no rule of its own, and no area reaches another through it.
//
// A Books is safe to share between threads. A transaction() belongs to the thread that opened it:
// every call that thread makes on these books joins it until it is dropped. Between commit() and the
// end of the transaction, a write on that thread throws Misuse (it would otherwise commit on its own)
// and a read runs on its own.
//
//   billing::Books books(billing::open_sqlite("books.db"));
//   auto cash = books.accounts().create({.currency = Currency("USD"), .name = "Cash"});
//   {
//     auto work = books.transaction();
//     (void)books.ledger().transfer({.debit = a, .credit = b, .amount = Money::parse("5.00 USD")});
//     (void)books.ledger().transfer({.debit = b, .credit = c, .amount = Money::parse("5.00 USD")});
//     work->commit();                                     // both transfers, or neither
//   }
#pragma once

#include <memory>

#include "billing/accounts.hpp"
#include "billing/billing_run.hpp"
#include "billing/collections.hpp"
#include "billing/health.hpp"
#include "billing/idempotency.hpp"
#include "billing/invoices.hpp"
#include "billing/jobs.hpp"
#include "billing/ledger.hpp"
#include "billing/orders.hpp"
#include "billing/payments.hpp"
#include "billing/plans.hpp"
#include "billing/storage/store.hpp"
#include "billing/subscriptions.hpp"
#include "billing/usage.hpp"

namespace billing {

namespace detail {
class Context;
}

/// A unit of work that the calls of the thread that opened it join. Commits on commit(); rolls back
/// in its destructor otherwise. It ends in its destructor either way: until then, after commit(), the
/// thread's writes throw Misuse and its reads run on their own.
class BooksTransaction {
 public:
  BooksTransaction(const BooksTransaction&) = delete;
  BooksTransaction& operator=(const BooksTransaction&) = delete;
  ~BooksTransaction();

  /// Commits every change made on this thread since the transaction opened. Throws Misuse when
  /// already committed, and StorageError when the engine fails. After a StorageError these books read
  /// as before the transaction, but the write may still come back: when the commit's fsync is what
  /// failed, SQLite has already written the commit to its -wal, and if the process crashes before its
  /// next write, recovery finds it there (docs/reliability.md, "What a failed sync means"). So treat
  /// the error as "not committed unless the process dies now", and retry with the same entry id or
  /// idempotency key, which returns exists or replayed instead of writing twice.
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
  /// The health report for a host's endpoint or dashboard: health().report() (billing/health.hpp).
  [[nodiscard]] Health& health() noexcept { return health_; }
  [[nodiscard]] Orders& orders() noexcept { return orders_; }
  [[nodiscard]] Jobs& jobs() noexcept { return jobs_; }
  [[nodiscard]] Payments& payments() noexcept { return payments_; }
  [[nodiscard]] Usage& usage() noexcept { return usage_; }
  [[nodiscard]] Plans& plans() noexcept { return plans_; }
  [[nodiscard]] Quotas& quotas() noexcept { return quotas_; }
  [[nodiscard]] ApiKeys& api_keys() noexcept { return api_keys_; }
  [[nodiscard]] Subscriptions& subscriptions() noexcept { return subscriptions_; }
  [[nodiscard]] Invoices& invoices() noexcept { return invoices_; }
  /// The billing run: billing().run(as_of) bills every due subscription once.
  [[nodiscard]] BillingRun& billing() noexcept { return billing_; }
  /// Invoices' payments and dunning: collections().run(gateway, lookup) charges the invoices the billing run queued.
  [[nodiscard]] Collections& collections() noexcept { return collections_; }

  /// Opens a write unit of work for this thread. Throws Misuse when this thread already has one that has
  /// not ended (open, or committed and not yet destroyed).
  [[nodiscard]] std::unique_ptr<BooksTransaction> transaction();

  [[nodiscard]] const Clock& clock() const noexcept;
  [[nodiscard]] IdSource& ids() noexcept;

 private:
  std::unique_ptr<detail::Context> context_;
  Accounts accounts_;
  Ledger ledger_;
  Idempotency idempotency_;
  Health health_;
  Orders orders_;
  Jobs jobs_;
  Payments payments_;
  Usage usage_;
  Plans plans_;
  Quotas quotas_;
  ApiKeys api_keys_;
  Subscriptions subscriptions_;
  Invoices invoices_;
  BillingRun billing_;
  Collections collections_;
};

}  // namespace billing
