// The connections of one PostgreSQL store: at most PostgresOptions::max_connections, each serving one
// transaction at a time, handed out and taken back under a mutex held only for that. A transaction that
// finds every connection busy waits for one. A connection that comes back broken (the server went away)
// or still inside a transaction is closed, so the next transaction connects afresh: the store works
// again once the server is back, without being reopened. Internal to the adapter; safe to share.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connection.hpp"

namespace billing::detail::postgres {

class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, std::string setup, std::size_t max_connections)
      : conninfo_(std::move(conninfo)), setup_(std::move(setup)), max_(max_connections) {}

  /// A new connection, configured by the store's setup, outside the pool's count.
  [[nodiscard]] std::unique_ptr<Connection> open() const { return std::make_unique<Connection>(conninfo_, setup_); }

  /// An idle connection, a new one while fewer than the maximum are open, or the next one handed back.
  [[nodiscard]] std::unique_ptr<Connection> acquire() {
    {
      std::unique_lock lock(mutex_);
      returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
      if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
      ++open_;
    }
    try {
      return open();  // outside the lock: connecting takes a round trip
    } catch (...) {
      forget();
      throw;
    }
  }

  /// Takes back a connection from acquire(); one that is down or inside a transaction is closed.
  void release(std::unique_ptr<Connection> connection) noexcept {
    if (connection == nullptr) return;
    if (!connection->idle()) {
      connection.reset();
      forget();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      try {
        idle_.push_back(std::move(connection));
      } catch (...) {  // NOLINT(bugprone-empty-catch): closing the connection is the fallback
        --open_;
      }
    }
    returned_.notify_one();
  }

 private:
  void forget() noexcept {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    returned_.notify_one();
  }

  std::string conninfo_;
  std::string setup_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // connections handed out or idle
};

}  // namespace billing::detail::postgres
