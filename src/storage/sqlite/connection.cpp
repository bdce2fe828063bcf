#include "connection.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "billing/error.hpp"

namespace billing::detail::sqlite {

void throw_error(sqlite3* db, int rc, std::string_view operation) {
  // sqlite3_errmsg describes the last failure on `db`, which is this one; without a handle only the
  // generic text for the code is left.
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      // Our CHECKs, keys and triggers repeat the core invariants: breaking one is a bug or tampering.
      throw InvariantViolation("", fmt::format("{}: the database refused it: {}", operation, detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw StorageError("", fmt::format("{}: the database is locked (another connection held it longer than the "
                                         "busy timeout): {}",
                                         operation, detail));
    case SQLITE_NOTADB:
      throw StorageError("", fmt::format("{}: the file is not an SQLite database ({})", operation, detail));
    case SQLITE_CORRUPT:
      throw StorageError("", fmt::format("{}: the database file is corrupt ({})", operation, detail));
    default: throw StorageError("", fmt::format("{} failed: {} (SQLite result code {})", operation, detail, rc));
  }
}

// ------------------------------------------------------------------------------------------ Statement

Statement::Statement(sqlite3* db, std::string sql, bool persistent) : db_(db), sql_(std::move(sql)) {
  const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0U;
  const int rc = sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), flags, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    throw_error(db_, rc, fmt::format("prepare '{}'", sql_));
  }
  if (stmt_ == nullptr) throw StorageError("", fmt::format("prepare '{}': no statement in the text", sql_));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

// ------------------------------------------------------------------------------------------ Connection

namespace {

// "file:///abs/path?immutable=1", with the characters a URI gives a meaning to percent-encoded.
std::string immutable_uri(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  std::string uri = "file://";
  for (const char c : absolute.string()) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02x}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

Connection::Connection(const std::string& path, bool durable_full, std::chrono::milliseconds busy_timeout)
    : busy_timeout_(busy_timeout) {
  // NOMUTEX: a connection is used by one thread at a time (the pool hands it out), so SQLite's
  // per-call mutex would be pure cost.
  open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  try {
    // All are per connection, so every connection sets them; none touches the file. temp_store: each
    // INSERT whose trigger may abort it keeps a statement journal so that it can be undone alone, and
    // the merge of recent postings sorts; in temporary files those cost a write per page touched (4.5x
    // the file's own writes, by strace), in memory they cost nothing the file needs.
    run_script(durable_full ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
                            : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
               "configure the connection");
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

Connection::Connection(const std::string& path, ReadOnly) : busy_timeout_(0) {
  // A plain read-only connection to a WAL file creates its -wal and -shm files, and cannot remove them
  // again. immutable=1 reads the main file alone, without locks: what a checkpoint last wrote there.
  open(immutable_uri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
}

void Connection::open(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    throw StorageError("", fmt::format("cannot open the SQLite database '{}': {}", path, detail));
  }
  sqlite3_extended_result_codes(db_, 1);
  const auto timeout_ms =
      std::clamp<std::chrono::milliseconds::rep>(busy_timeout_.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db_, static_cast<int>(timeout_ms));
}

Connection::~Connection() {
  cache_.clear();  // finalizes every statement before the handle goes
  sqlite3_close_v2(db_);
}

StatementLease Connection::statement(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto prepared = std::make_unique<Statement>(db_, std::string(sql), true);
    const std::string_view key = prepared->sql();
    it = cache_.emplace(key, std::move(prepared)).first;
  }
  Statement& cached = *it->second;
  if (cached.in_use_) [[unlikely]] {
    return StatementLease(std::make_unique<Statement>(db_, std::string(sql), false));
  }
  return StatementLease(cached);
}

void Connection::run_script(const char* sql, std::string_view operation) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is still in sqlite3_errmsg
  if (rc != SQLITE_OK) throw_error(db_, rc, operation);
}

void Connection::enable_wal() {
  // Changing the journal mode needs an exclusive lock for a moment and does not always go through the
  // busy handler, so two processes opening a new file together can see SQLITE_BUSY here: retry.
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout_;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    Statement pragma(db_, "PRAGMA journal_mode = WAL", false);
    const int rc = sqlite3_step(pragma.stmt_);
    if (rc == SQLITE_ROW) {
      const std::string_view mode = pragma.text(0);
      if (mode != "wal") {
        throw StorageError("", fmt::format("switch to WAL: SQLite kept journal mode '{}' (an in-memory or "
                                           "read-only database cannot hold a billing store)",
                                           mode));
      }
      return;
    }
    const int primary = rc & 0xff;
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
      continue;
    }
    throw_error(db_, rc, "switch to WAL");
  }
}

}  // namespace billing::detail::sqlite
