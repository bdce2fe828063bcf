// A thin RAII layer over the SQLite C API for the adapter: one Connection per thread at a time, each with
// a cache of prepared statements keyed by their SQL text, and the one place where SQLite result codes
// become billing exceptions. Internal to src/storage/sqlite; nothing here is part of the public API.
//
// Not thread-safe: a Connection (and every Statement it owns) is used by one thread at a time, which is
// what lets it run in SQLite's multi-thread mode without a mutex per call.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace billing::detail::sqlite {

/// Throws the billing exception for the SQLite result `rc` of `operation` on `db`: InvariantViolation
/// for a constraint (CHECK, UNIQUE, FOREIGN KEY, a trigger's RAISE), StorageError for everything else,
/// with a message that names the operation and carries sqlite3_errmsg.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view operation);

/// One prepared statement. Binds borrow their text and blobs (SQLITE_STATIC): the caller keeps them
/// alive and unchanged until reset().
class Statement {
 public:
  /// Prepares `sql` (one statement) on `db`. Throws StorageError when it does not compile.
  Statement(sqlite3* db, std::string sql, bool persistent);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  [[nodiscard]] const std::string& sql() const noexcept { return sql_; }

  // Parameters are 1-based, as in the SQL text (?1, ?2 ...).
  void bind(int index, std::int64_t value) { check_bind(sqlite3_bind_int64(stmt_, index, value)); }
  void bind(int index, std::string_view text) {
    // A null pointer would bind SQL NULL; an empty string_view may carry one, and still means "".
    const char* data = text.data() != nullptr ? text.data() : "";
    check_bind(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  void bind_blob(int index, std::span<const std::uint8_t> bytes) {
    check_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
  }
  void bind_null(int index) { check_bind(sqlite3_bind_null(stmt_, index)); }

  /// Runs one step: true when a row is ready, false when the statement is done. Any other outcome
  /// throws (see throw_error), naming `operation`.
  bool step(std::string_view operation) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(db_, rc, operation);
  }
  /// Steps to the end, for statements that return no rows.
  void run(std::string_view operation) {
    while (step(operation)) {
    }
  }

  // Columns are 0-based. Text and blobs stay valid until the next step() or reset().
  [[nodiscard]] bool is_null(int column) const noexcept { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t int64(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }
  [[nodiscard]] std::string_view text(int column) const noexcept {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  [[nodiscard]] std::span<const std::uint8_t> blob(int column) const noexcept {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
    if (data == nullptr) return {};
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }

  /// Makes the statement ready to run again with new bindings; keeps the old ones.
  void rewind() noexcept { sqlite3_reset(stmt_); }
  /// Makes the statement ready for its next user: rewound, every parameter NULL, nothing borrowed.
  void reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  friend class Connection;
  friend class StatementLease;

  void check_bind(int rc) const {
    if (rc != SQLITE_OK) [[unlikely]]
      throw_error(db_, rc, "bind a parameter");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  bool in_use_ = false;
};

/// A statement borrowed from a Connection's cache for one use; resets it when the use ends, so the
/// next user starts clean and no borrowed text outlives the call that bound it.
class StatementLease {
 public:
  explicit StatementLease(Statement& cached) noexcept : statement_(&cached) { cached.in_use_ = true; }
  explicit StatementLease(std::unique_ptr<Statement> own) noexcept : statement_(own.get()), owned_(std::move(own)) {}
  ~StatementLease() {
    statement_->reset();
    statement_->in_use_ = false;
  }
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  Statement* operator->() const noexcept { return statement_; }
  Statement& operator*() const noexcept { return *statement_; }

 private:
  Statement* statement_;
  std::unique_ptr<Statement> owned_;  // set when the cached statement was already in use
};

/// One open database connection with its statement cache.
class Connection {
 public:
  /// Opens `path` (creating it), with extended result codes, the busy timeout, foreign keys on and
  /// PRAGMA synchronous = FULL or NORMAL. Throws StorageError when SQLite cannot open it.
  Connection(const std::string& path, bool durable_full, std::chrono::milliseconds busy_timeout);
  struct ReadOnly {};
  /// Opens an existing `path` read-only and immutable (no locks, no -wal or -shm: the main file as a
  /// checkpoint last left it), with extended result codes and nothing else, to look at a file before
  /// anything may change it. Throws StorageError when SQLite cannot.
  Connection(const std::string& path, ReadOnly);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] std::chrono::milliseconds busy_timeout() const noexcept { return busy_timeout_; }

  /// The cached statement for `sql`, prepared on first use. When that statement is already leased
  /// (a nested use of the same SQL), a fresh one that lives only as long as the lease.
  [[nodiscard]] StatementLease statement(std::string_view sql);

  /// Runs `sql` (one statement, cached) to the end.
  void run(std::string_view sql, std::string_view operation) { statement(sql)->run(operation); }

  /// Runs a script of several statements (schema changes); not cached.
  void run_script(const char* sql, std::string_view operation);

  /// Switches the file to WAL, retrying while another connection holds the lock that the switch needs,
  /// until the busy timeout. Throws StorageError when the file is not a database or stays locked.
  void enable_wal();

  /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  [[nodiscard]] std::int64_t changes() const noexcept { return sqlite3_changes(db_); }
  /// Whether a transaction is open on this connection.
  [[nodiscard]] bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

  /// A buffer for encoding values (metadata) to bind, reused so the hot path keeps its capacity.
  [[nodiscard]] std::string& scratch() noexcept { return scratch_; }

 private:
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };

  // sqlite3_open_v2 with `flags`, extended result codes and the busy timeout; closes and throws on failure.
  void open(const std::string& path, int flags);

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_timeout_;
  // Keys view the SQL text owned by their Statement, which lives as long as the entry.
  std::unordered_map<std::string_view, std::unique_ptr<Statement>, TextHash, std::equal_to<>> cache_;
  std::string scratch_;
};

}  // namespace billing::detail::sqlite
