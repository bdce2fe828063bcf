// What the PostgreSQL repositories of one transaction share: its connection (on which BEGIN ran), its
// access, whether it may still commit, and the locks a writer takes. Internal to the adapter; used by
// one thread at a time.
//
// Write transactions run at READ COMMITTED, so each statement sees what committed before it, and
// every read that a write depends on locks first:
//  - the ledger (journal, postings, and the balances on account rows) has one writer at a time:
//    lock_ledger() takes the row lock of the chain head, before the first read of a balance or the head;
//  - a row that a write will change is read with FOR UPDATE;
//  - a row that may not exist yet (an idempotency key, a quota, a usage event) is locked by its key
//    with lock_key(), an advisory lock held until the transaction ends, so two writers of one new key
//    take turns instead of both inserting.
// Read transactions run at REPEATABLE READ, READ ONLY: one snapshot for the whole transaction.
#pragma once

#include <string>
#include <string_view>

#include "billing/error.hpp"
#include "billing/storage/store.hpp"
#include "connection.hpp"

namespace billing::detail::postgres {

class Session {
 public:
  Session(Connection& connection, Access access, std::string_view schema) noexcept
      : connection_(connection), access_(access), schema_(schema) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  [[nodiscard]] Access access() const noexcept { return access_; }
  /// Whether this is a write transaction: its reads of rows it may change lock them (FOR UPDATE).
  [[nodiscard]] bool writing() const noexcept { return access_ == Access::write; }

  /// The connection, for reads. Throws Misuse after commit.
  [[nodiscard]] Connection& read() const {
    if (finished_) throw Misuse("transaction", "is already committed");
    return connection_;
  }
  /// The connection, for writes. Throws Misuse after commit and in a read transaction.
  [[nodiscard]] Connection& write() const {
    Connection& connection = read();
    if (access_ != Access::write) throw Misuse("transaction", "is read-only");
    return connection;
  }

  /// In a write transaction, takes the ledger's writer lock (the chain head's row, FOR UPDATE) unless
  /// this transaction holds it already; it is held until the transaction ends. A read transaction
  /// needs no lock: its snapshot holds a whole chain.
  void lock_ledger() {
    if (!writing() || ledger_locked_) return;
    read().run("SELECT 1 FROM ledger_head FOR UPDATE", "lock the ledger's chain head");
    ledger_locked_ = true;
  }

  /// In a write transaction, waits for and then holds (until the transaction ends) the lock on `key` of
  /// `area`, for a row that may not exist yet. Keys are hashed to 64 bits: two keys that collide only
  /// wait for each other.
  void lock_key(std::string_view area, std::string_view key) {
    if (!writing()) return;
    std::string& name = lock_name_;
    name.assign(schema_).append("\x1f").append(area).append("\x1f").append(key);
    StatementLease lock = read().statement("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))");
    lock->bind(1, name);
    lock->run("lock a key");
  }

  /// Marks a write that stopped after changing some rows: the transaction may no longer commit.
  void mark_broken() noexcept { broken_ = true; }
  [[nodiscard]] bool broken() const noexcept { return broken_; }

  /// Ends the session: every later read() or write() is Misuse.
  void finish() noexcept { finished_ = true; }
  [[nodiscard]] bool finished() const noexcept { return finished_; }

 private:
  Connection& connection_;
  Access access_;
  std::string_view schema_;
  std::string lock_name_;
  bool finished_ = false;
  bool broken_ = false;
  bool ledger_locked_ = false;
};

}  // namespace billing::detail::postgres
