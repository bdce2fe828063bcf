// A thin RAII layer over libpq for the adapter: one Connection per transaction at a time, each with a
// cache of prepared statements keyed by their SQL text, and the one place where SQLSTATEs become
// billing exceptions. Internal to src/storage/postgres; nothing here is part of the public API.
//
// The Statement mirrors the SQLite adapter's (bind, step, run, int64, text, blob), so an area's file reads
// the same on both engines. How values cross:
//  - integers as decimal text, which the server reads into whatever integer type the SQL casts to;
//  - text and bytea in binary format: the bytes as they are, with their length, so nothing is escaped
//    and an embedded NUL cannot cut a value short (the server refuses NUL in text: InvalidArgument);
//  - results as text; bytea arrives as "\x" hex and is decoded per cell.
// SQL names every parameter's type with a cast ($1::text, $2::bigint, $3::bytea).
//
// Not thread-safe: a Connection (and every Statement it owns) is used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace billing::detail::postgres {

/// Throws the billing exception for a failed `result` of `operation` on `conn`:
///  - detail::Conflict for a serialization failure or a deadlock (SQLSTATE 40001, 40P01), which the
///    unit-of-work runner retries;
///  - InvariantViolation for an integrity constraint (class 23) or a trigger's refusal (P0001);
///  - InvalidArgument for text the server cannot hold (22021, 22P05: NUL or invalid UTF-8);
///  - StorageError for everything else, naming the operation and carrying the server's message.
[[noreturn]] void throw_error(PGconn* conn, const PGresult* result, std::string_view operation);

class Connection;

/// Frees a libpq result.
struct ResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

/// One prepared statement. Binds borrow their text and bytes: the caller keeps them alive and
/// unchanged until the statement has run.
class Statement {
 public:
  Statement(Connection& connection, std::string name, std::string sql, int parameters);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  [[nodiscard]] const std::string& sql() const noexcept { return sql_; }

  // Parameters are 1-based, as in the SQL text ($1, $2 ...).
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text) { bind_bytes(index, text.data(), text.size()); }
  void bind_blob(int index, std::span<const std::uint8_t> bytes) {
    bind_bytes(index, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void bind_null(int index);

  /// The first call runs the statement; each call makes the next row current. True when a row is
  /// ready, false when there are no more. A failure throws (see throw_error), naming `operation`.
  bool step(std::string_view operation);
  /// Runs the statement, for statements whose rows are not read; returns the rows it changed.
  std::int64_t run(std::string_view operation);

  // Columns are 0-based. Text and blobs stay valid until the next run or reset().
  [[nodiscard]] bool is_null(int column) const noexcept;
  /// The integer in `column`; StorageError when it is not one that fits in 64 bits.
  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] std::string_view text(int column) const noexcept;
  /// The bytea in `column`, decoded from the server's hex form.
  [[nodiscard]] std::span<const std::uint8_t> blob(int column) const;

  /// Rows changed by the last run (INSERT, UPDATE, DELETE).
  [[nodiscard]] std::int64_t changes() const noexcept { return changes_; }

  /// Makes the statement ready to run again with new bindings; keeps the old ones.
  void rewind() noexcept;
  /// Makes the statement ready for its next user: rewound, every parameter NULL, nothing borrowed.
  void reset() noexcept;

 private:
  friend class Connection;
  friend class StatementLease;

  void bind_bytes(int index, const char* data, std::size_t size);
  void check_index(int index) const;
  void execute(std::string_view operation);

  Connection& connection_;
  std::string name_;
  std::string sql_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<std::string> integers_;  // the decimal text of integer parameters, owned here
  Result result_;
  int row_ = -1;
  int rows_ = 0;
  std::int64_t changes_ = 0;
  mutable std::vector<std::uint8_t> blob_;  // the last blob() decoded
  bool in_use_ = false;
};

/// A statement borrowed from a Connection's cache for one use; resets it when the use ends.
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

/// One connection to the server with its statement cache.
class Connection {
 public:
  /// Connects with `conninfo` and runs `setup` (SET statements: search_path, synchronous_commit, ...).
  /// Throws StorageError when the server cannot be reached; its message never holds the password.
  Connection(const std::string& conninfo, const std::string& setup);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] PGconn* handle() const noexcept { return conn_; }

  /// The cached statement for `sql`, prepared on first use. When that statement is already leased
  /// (a nested use of the same SQL), a fresh one that lives only as long as the lease.
  [[nodiscard]] StatementLease statement(std::string_view sql);

  /// Runs `sql` (one statement, cached, no parameters); returns the rows it changed.
  std::int64_t run(std::string_view sql, std::string_view operation) { return statement(sql)->run(operation); }

  /// Runs a script of several statements (schema changes, BEGIN, COMMIT) with the simple protocol.
  void run_script(const std::string& sql, std::string_view operation);

  /// Rows changed by the last statement run on this connection.
  [[nodiscard]] std::int64_t changes() const noexcept { return changes_; }
  void set_changes(std::int64_t changes) noexcept { changes_ = changes; }

  /// Whether the connection is up and outside any transaction: fit to go back to the pool.
  [[nodiscard]] bool idle() const noexcept;
  /// Whether the connection is still up (a lost server or a broken socket leaves it down).
  [[nodiscard]] bool up() const noexcept { return PQstatus(conn_) == CONNECTION_OK; }

  /// A buffer for encoding values (metadata) to bind, reused so the hot path keeps its capacity.
  [[nodiscard]] std::string& scratch() noexcept { return scratch_; }

 private:
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
  };

  [[nodiscard]] std::unique_ptr<Statement> prepare(std::string_view sql, bool cached);

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string_view, std::unique_ptr<Statement>, TextHash, std::equal_to<>> cache_;
  std::uint64_t prepared_ = 0;  // names statements s1, s2, ...
  std::int64_t changes_ = 0;
  std::string scratch_;
};

}  // namespace billing::detail::postgres
