// The connections of one SQLite store: one per concurrent transaction, handed out and taken back under a
// mutex that is held only for that. Internal to the adapter; safe to share between threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "billing/storage/sqlite.hpp"
#include "connection.hpp"

namespace billing::detail::sqlite {

class ConnectionPool {
 public:
  ConnectionPool(std::string path, const SqliteOptions& options) : path_(std::move(path)), options_(options) {}

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// A new connection to the file, configured by the options.
  [[nodiscard]] std::unique_ptr<Connection> open() const {
    return std::make_unique<Connection>(path_, options_.durability == Durability::full, options_.busy_timeout);
  }

  /// An idle connection, or a new one when every connection is busy.
  [[nodiscard]] std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
    }
    return open();  // outside the lock: opening touches the file system
  }

  /// Takes back a connection that holds no transaction; anything else (or no room) closes it, and
  /// closing rolls back whatever it still held.
  void release(std::unique_ptr<Connection> connection) noexcept {
    if (connection == nullptr || connection->in_transaction()) return;
    try {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(connection));
    } catch (...) {  // NOLINT(bugprone-empty-catch): dropping the connection is the fallback
    }
  }

 private:
  std::string path_;
  SqliteOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace billing::detail::sqlite
