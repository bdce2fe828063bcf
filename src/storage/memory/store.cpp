// The in-memory adapter: one table set per store, one file per area beside this one. One writer at a
// time (an exclusive lock held for the transaction's life), readers share. A thread that already holds
// a transaction on this store and begins another would wait for itself, so that is Misuse at once.
#include <algorithm>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <variant>

#include "accounts.hpp"
#include "billing/storage/memory.hpp"
#include "idempotency.hpp"
#include "invoices.hpp"
#include "jobs.hpp"
#include "ledger.hpp"
#include "orders.hpp"
#include "payments.hpp"
#include "plans.hpp"
#include "subscriptions.hpp"
#include "usage.hpp"

namespace billing {
namespace {

using namespace detail::memory;

struct Tables {
  AccountTable accounts;
  LedgerTables ledger;
  IdempotencyTable idempotency;
  OrderTable orders;
  JobTable jobs;
  PaymentTable payments;
  UsageTable usage;
  PlanTable plans;
  SubscriptionTable subscriptions;
  InvoiceTable invoices;
};

class MemoryStore;

// The stores whose lock this thread holds, so that a nested begin() fails instead of deadlocking.
thread_local std::vector<const MemoryStore*> t_held_stores;

class MemoryTransaction final : public Transaction {
 public:
  MemoryTransaction(const MemoryStore& store, Tables& tables, std::shared_mutex& mutex, Access access)
      : store_(store), session_(access) {
    if (access == Access::write) {
      lock_.emplace<std::unique_lock<std::shared_mutex>>(mutex);
    } else {
      lock_.emplace<std::shared_lock<std::shared_mutex>>(mutex);
    }
    t_held_stores.push_back(&store_);
    accounts_.emplace(session_, tables.accounts);
    ledger_.emplace(session_, tables.ledger, tables.accounts.rows);
    idempotency_.emplace(session_, tables.idempotency);
    orders_.emplace(session_, tables.orders);
    jobs_.emplace(session_, tables.jobs);
    payments_.emplace(session_, tables.payments);
    usage_.emplace(session_, tables.usage);
    plans_.emplace(session_, tables.plans);
    subscriptions_.emplace(session_, tables.subscriptions, tables.accounts, tables.plans);
    invoices_.emplace(session_, tables.invoices, tables.accounts, tables.subscriptions);
  }

  ~MemoryTransaction() override {
    session_.roll_back();
    release();
  }

  void commit() override {
    session_.commit();
    release();
  }

  Access access() const noexcept override { return session_.access(); }
  AccountRepository& accounts() override { return *accounts_; }
  LedgerRepository& ledger() override { return *ledger_; }
  IdempotencyRepository& idempotency() override { return *idempotency_; }
  OrderRepository& orders() override { return *orders_; }
  JobRepository& jobs() override { return *jobs_; }
  PaymentRepository& payments() override { return *payments_; }
  UsageRepository& usage() override { return *usage_; }
  PlanRepository& plans() override { return *plans_; }
  SubscriptionRepository& subscriptions() override { return *subscriptions_; }
  InvoiceRepository& invoices() override { return *invoices_; }

 private:
  void release() noexcept {
    if (std::holds_alternative<std::monostate>(lock_)) return;
    lock_.emplace<std::monostate>();
    std::erase(t_held_stores, &store_);
  }

  const MemoryStore& store_;
  Session session_;
  std::variant<std::monostate, std::unique_lock<std::shared_mutex>, std::shared_lock<std::shared_mutex>> lock_;
  std::optional<Accounts> accounts_;
  std::optional<Ledger> ledger_;
  std::optional<Idempotency> idempotency_;
  std::optional<Orders> orders_;
  std::optional<Jobs> jobs_;
  std::optional<Payments> payments_;
  std::optional<Usage> usage_;
  std::optional<Plans> plans_;
  std::optional<Subscriptions> subscriptions_;
  std::optional<Invoices> invoices_;
};

class MemoryStore final : public Store {
 public:
  std::unique_ptr<Transaction> begin(Access access) override {
    if (std::find(t_held_stores.begin(), t_held_stores.end(), this) != t_held_stores.end()) {
      throw Misuse("transaction",
                   "this thread already has a unit of work open on this in-memory store; a second one would wait "
                   "for the first forever (commit or drop it first, or join it through Books::transaction)");
    }
    return std::make_unique<MemoryTransaction>(*this, tables_, mutex_, access);
  }

 private:
  std::shared_mutex mutex_;
  Tables tables_;
};

}  // namespace

std::unique_ptr<Store> open_memory() { return std::make_unique<MemoryStore>(); }

}  // namespace billing
