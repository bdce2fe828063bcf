// The PostgreSQL adapter: a pool of connections (pool.hpp), one per concurrent transaction, and one
// repository per area (accounts.cpp, ledger.cpp, ...), each with its own SQL.
//
// Why the pieces look as they do:
//  - Write transactions run at READ COMMITTED and lock what they read before they write (session.hpp),
//    so writers of different rows never wait for each other and writers of one row take turns without
//    a serialization failure; the ledger's writers take turns on the chain head.
//  - Read transactions run at REPEATABLE READ, READ ONLY: one snapshot, never a conflict.
//  - PostgreSQL aborts a transaction at its first failed statement, and COMMIT of an aborted transaction
//    answers ROLLBACK without an error: commit() checks, so a failure is never acknowledged as a commit.
#include <fmt/format.h>

#include <algorithm>

#include "accounts.hpp"
#include "billing/error.hpp"
#include "billing/storage/postgres.hpp"
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

using namespace detail::postgres;

const std::string k_begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED";
const std::string k_begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const std::string k_commit = "COMMIT";
const std::string k_rollback = "ROLLBACK";

class PostgresTransaction final : public Transaction {
 public:
  /// Takes over `connection`, on which BEGIN already ran.
  PostgresTransaction(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> connection, Access access,
                      std::string_view schema) noexcept
      : pool_(std::move(pool)), connection_(std::move(connection)), session_(*connection_, access, schema) {}

  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  ~PostgresTransaction() override {
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
    if (PQtransactionStatus(connection.handle()) == PQTRANS_INERROR) {
      roll_back();
      throw StorageError("transaction", "a statement of this transaction failed, so PostgreSQL aborted it; it was "
                                        "rolled back and nothing of it was stored");
    }
    Result result(PQexec(connection.handle(), k_commit.c_str()));
    if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      roll_back();
      throw_error(connection.handle(), result.get(), "commit");
    }
    if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      throw StorageError("transaction", "PostgreSQL rolled the transaction back instead of committing it");
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
    if (!connection_->up() || PQtransactionStatus(connection_->handle()) == PQTRANS_IDLE) return;
    Result result(PQexec(connection_->handle(), k_rollback.c_str()));
    // A failed ROLLBACK leaves the connection in a transaction or down; the pool closes it then.
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

class PostgresStore final : public Store {
 public:
  PostgresStore(std::shared_ptr<ConnectionPool> pool, std::string schema, int conflict_retries) noexcept
      : pool_(std::move(pool)), schema_(std::move(schema)), conflict_retries_(conflict_retries) {}

  std::unique_ptr<Transaction> begin(Access access) override {
    std::unique_ptr<Connection> connection = pool_->acquire();
    try {
      connection->run_script(access == Access::write ? k_begin_write : k_begin_read,
                             access == Access::write ? "begin a write transaction" : "begin a read transaction");
    } catch (...) {
      pool_->release(std::move(connection));  // closed if the server went away, kept otherwise
      throw;
    }
    return std::make_unique<PostgresTransaction>(pool_, std::move(connection), access, schema_);
  }

  [[nodiscard]] int conflict_retries() const noexcept override { return conflict_retries_; }

 private:
  // Shared with every transaction, so a transaction that outlives the store can still hand back its
  // connection.
  std::shared_ptr<ConnectionPool> pool_;
  std::string schema_;
  int conflict_retries_;
};

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  const auto lower = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!lower(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return lower(c) || digit(c); });
}

// A key=value string with a password key, or a URI with a user:password@ part.
bool may_hold_password(std::string_view conninfo) {
  if (conninfo.find("password") != std::string_view::npos) return true;
  const auto scheme = conninfo.find("://");
  if (scheme == std::string_view::npos) return false;
  const std::string_view rest = conninfo.substr(scheme + 3);
  const auto at = rest.find('@');
  return at != std::string_view::npos && rest.substr(0, at).find(':') != std::string_view::npos;
}

void check_conninfo(const std::string& conninfo) {
  if (const auto nul = conninfo.find('\0'); nul != std::string::npos) {
    throw InvalidArgument("conninfo", fmt::format("holds a NUL byte at offset {}; libpq would read only the part "
                                                  "before it",
                                                  nul));
  }
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    // libpq's reason quotes the part it could not read, which may be the password.
    if (may_hold_password(conninfo)) why = "libpq's reason is not shown, since it may quote the password";
    throw InvalidArgument("conninfo", fmt::format("is neither a libpq URI nor a key=value string: {}", why));
  }
  PQconninfoFree(parsed);
}

void check_options(const PostgresOptions& options) {
  if (!is_identifier(options.schema)) {
    // A name longer than any valid one is described, not quoted (docs/errors.md).
    const std::string shown = options.schema.size() <= 63 ? fmt::format("'{}'", options.schema)
                                                           : fmt::format("a name of {} bytes", options.schema.size());
    throw InvalidArgument("schema", fmt::format("{} is not a lowercase SQL identifier (a letter or '_', then "
                                                "letters, digits or '_', at most 63 bytes)",
                                                shown));
  }
  if (options.lock_timeout < std::chrono::milliseconds::zero() ||
      options.lock_timeout > PostgresOptions::k_max_lock_timeout) {
    throw InvalidArgument("lock_timeout",
                          fmt::format("must be 0 to {} ms; got {} ms", PostgresOptions::k_max_lock_timeout.count(),
                                      options.lock_timeout.count()));
  }
  if (options.max_connections < 1 || options.max_connections > PostgresOptions::k_max_connections) {
    throw InvalidArgument("max_connections", fmt::format("must be 1 to {}; got {}", PostgresOptions::k_max_connections,
                                                         options.max_connections));
  }
  if (options.conflict_retries < 0 || options.conflict_retries > PostgresOptions::k_max_conflict_retries) {
    throw InvalidArgument("conflict_retries", fmt::format("must be 0 to {}; got {}",
                                                          PostgresOptions::k_max_conflict_retries,
                                                          options.conflict_retries));
  }
  if (options.durability != Durability::full && options.durability != Durability::normal) {
    throw InvalidArgument("durability", fmt::format("{} is not a Durability", static_cast<int>(options.durability)));
  }
}

// What every connection of the store sets before its first transaction. lock_timeout 0 would mean "wait
// for ever" to PostgreSQL; ours means "fail at once", which is 1 ms there.
std::string connection_setup(const PostgresOptions& options) {
  const auto lock_ms = std::max<std::int64_t>(options.lock_timeout.count(), 1);
  return fmt::format(
      "SET search_path TO \"{}\"; SET synchronous_commit TO {}; SET lock_timeout TO {}; "
      "SET client_min_messages TO warning; SET TIME ZONE 'UTC'",
      options.schema, options.durability == Durability::full ? "on" : "off", lock_ms);
}

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& conninfo, const PostgresOptions& options) {
  check_conninfo(conninfo);
  check_options(options);
  auto pool = std::make_shared<ConnectionPool>(conninfo, connection_setup(options), options.max_connections);
  try {
    std::unique_ptr<Connection> first = pool->acquire();
    migrate(*first, options.schema);
    pool->release(std::move(first));
  } catch (const StorageError& e) {
    throw StorageError(e.field(), fmt::format("open_postgres (schema '{}'): {}", options.schema, e.what()));
  }
  return std::make_unique<PostgresStore>(std::move(pool), options.schema, options.conflict_retries);
}

namespace detail {

std::string postgres_setting_for_testing(Transaction& transaction, std::string_view name) {
  auto* postgres = dynamic_cast<PostgresTransaction*>(&transaction);
  if (postgres == nullptr) throw Misuse("transaction", "is not a PostgreSQL transaction");
  StatementLease query = postgres->connection().statement(fmt::format("SHOW {}", name));
  return query->step("read a setting") ? std::string(query->text(0)) : std::string();
}

}  // namespace detail

}  // namespace billing
