// What the SQLite repositories of one transaction share: its connection (on which BEGIN ran), its
// access, and whether it may still commit. Internal to the adapter; used by one thread at a time.
#pragma once

#include "billing/error.hpp"
#include "billing/storage/store.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {

class Session {
 public:
  Session(Connection& connection, Access access) noexcept : connection_(connection), access_(access) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  [[nodiscard]] Access access() const noexcept { return access_; }

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

  /// Marks a write that stopped after changing some rows: the transaction may no longer commit.
  void mark_broken() noexcept { broken_ = true; }
  [[nodiscard]] bool broken() const noexcept { return broken_; }

  /// Ends the session: every later read() or write() is Misuse.
  void finish() noexcept { finished_ = true; }
  [[nodiscard]] bool finished() const noexcept { return finished_; }

 private:
  Connection& connection_;
  Access access_;
  bool finished_ = false;
  bool broken_ = false;
};

}  // namespace billing::detail::sqlite
