// The SQLite adapter: a pool of connections (pool.hpp), one per concurrent transaction, and one
// repository per area (accounts.cpp, ledger.cpp, idempotency.cpp), each with its own SQL.
//
// Why the pieces look as they do:
//  - A connection serves one transaction at a time, so it runs without SQLite's mutex, and its statement
//    cache never needs a lock; the pool's mutex is taken only to hand connections out and back.
//  - Writers BEGIN IMMEDIATE: they queue for the write lock up front (under the busy timeout) instead of
//    failing halfway through when a read lock cannot be upgraded.
#include <fmt/format.h>

#include "accounts.hpp"
#include "billing/error.hpp"
#include "billing/storage/sqlite.hpp"
#include "idempotency.hpp"
#include "invoices.hpp"
#include "jobs.hpp"
#include "ledger.hpp"
#include "migrations.hpp"
#include "orders.hpp"
#include "payments.hpp"
#include "plans.hpp"
#include "pool.hpp"
#include "session.hpp"
#include "subscriptions.hpp"
#include "testing.hpp"
#include "usage.hpp"

namespace billing {
namespace {

using namespace detail::sqlite;

constexpr std::string_view k_begin_write = "BEGIN IMMEDIATE";
constexpr std::string_view k_begin_read = "BEGIN";
constexpr std::string_view k_commit = "COMMIT";
constexpr std::string_view k_rollback = "ROLLBACK";

class SqliteTransaction final : public Transaction {
 public:
  /// Takes over `connection`, on which BEGIN already ran.
  SqliteTransaction(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection,
                    Access access) noexcept
      : pool_(std::move(pool)), connection_(std::move(connection)), session_(*connection_, access) {}

  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  ~SqliteTransaction() override {
    if (!session_.finished()) roll_back();
    pool_->release(std::move(connection_));
  }

  void commit() override {
    Connection& connection = session_.read();
    session_.finish();
    if (session_.broken()) {
      roll_back();
      throw Misuse("transaction", "a write failed halfway, so this transaction could only roll back; it did");
    }
    try {
      connection.run(k_commit, "commit");
    } catch (...) {
      if (connection.in_transaction()) roll_back();  // a failed COMMIT can leave the transaction open
      throw;
    }
  }

  [[nodiscard]] Access access() const noexcept override { return session_.access(); }
  [[nodiscard]] AccountRepository& accounts() override { return accounts_; }
  [[nodiscard]] LedgerRepository& ledger() override { return ledger_; }
  [[nodiscard]] IdempotencyRepository& idempotency() override { return idempotency_; }
  [[nodiscard]] OrderRepository& orders() override { return orders_; }
  [[nodiscard]] JobRepository& jobs() override { return jobs_; }
  [[nodiscard]] PaymentRepository& payments() override { return payments_; }
  [[nodiscard]] UsageRepository& usage() override { return usage_; }
  [[nodiscard]] PlanRepository& plans() override { return plans_; }
  [[nodiscard]] SubscriptionRepository& subscriptions() override { return subscriptions_; }
  [[nodiscard]] InvoiceRepository& invoices() override { return invoices_; }

  [[nodiscard]] Connection& connection() { return session_.read(); }

 private:
  void roll_back() noexcept {
    try {
      connection_->run(k_rollback, "roll back");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the pool will not take a connection still in a transaction
    }
  }

  std::shared_ptr<ConnectionPool> pool_;
  std::unique_ptr<Connection> connection_;
  Session session_;
  Accounts accounts_{session_};
  Ledger ledger_{session_};
  Idempotency idempotency_{session_};
  Orders orders_{session_};
  Jobs jobs_{session_};
  Payments payments_{session_};
  Usage usage_{session_};
  Plans plans_{session_};
  Subscriptions subscriptions_{session_};
  Invoices invoices_{session_};
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

  std::unique_ptr<Transaction> begin(Access access) override {
    std::unique_ptr<Connection> connection = pool_->acquire();
    try {
      if (access == Access::write) {
        connection->run(k_begin_write, "begin a write transaction");
      } else {
        connection->run(k_begin_read, "begin a read transaction");
      }
    } catch (...) {
      pool_->release(std::move(connection));  // nothing began; the connection is as good as before
      throw;
    }
    return std::make_unique<SqliteTransaction>(pool_, std::move(connection), access);
  }

 private:
  // Shared with every transaction, so a transaction that outlives the store can still hand back its
  // connection.
  std::shared_ptr<ConnectionPool> pool_;
};

// SQLite reads the path as a C string, so a NUL byte would silently open the file named by the part before it.
void check_path(const std::string& path) {
  if (const auto nul = path.find('\0'); nul != std::string::npos) {
    throw InvalidArgument("path", fmt::format("holds a NUL byte at offset {}, which no file name can; the file "
                                              "opened would be another one",
                                              nul));
  }
}

void check_options(const SqliteOptions& options) {
  if (options.busy_timeout < std::chrono::milliseconds::zero() ||
      options.busy_timeout > SqliteOptions::k_max_busy_timeout) {
    throw InvalidArgument("busy_timeout",
                          fmt::format("must be 0 to {} ms; got {} ms", SqliteOptions::k_max_busy_timeout.count(),
                                      options.busy_timeout.count()));
  }
  if (options.durability != Durability::full && options.durability != Durability::normal) {
    throw InvalidArgument("durability", fmt::format("{} is not a Durability", static_cast<int>(options.durability)));
  }
}

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, const SqliteOptions& options) {
  if (sqlite3_libversion_number() < k_min_sqlite_version) {
    throw StorageError(
        "", fmt::format("open_sqlite needs SQLite 3.37 or newer; this process has {}", sqlite3_libversion()));
  }
  check_path(path);
  check_options(options);
  auto pool = std::make_shared<ConnectionPool>(path, options);
  try {
    // Before anything that writes (the switch to WAL): another program's file must stay as it was.
    check_owned_or_empty(path);
    std::unique_ptr<Connection> first = pool->open();
    first->enable_wal();
    migrate(*first);
    pool->release(std::move(first));
  } catch (const StorageError& e) {
    throw StorageError(e.field(), fmt::format("open_sqlite('{}'): {}", path, e.what()));
  }
  return std::make_unique<SqliteStore>(std::move(pool));
}

namespace detail {

std::string sqlite_pragma_for_testing(Transaction& transaction, std::string_view name) {
  auto* sqlite = dynamic_cast<SqliteTransaction*>(&transaction);
  if (sqlite == nullptr) throw Misuse("transaction", "is not an SQLite transaction");
  StatementLease query = sqlite->connection().statement(fmt::format("PRAGMA {}", name));
  return query->step("read a pragma") ? std::string(query->text(0)) : std::string();
}

}  // namespace detail

}  // namespace billing
