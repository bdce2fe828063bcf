// What the in-memory repositories of one transaction share: its access, whether it is still open, and
// the undo log that a transaction which does not commit runs backwards. Internal to the adapter.
#pragma once

#include <functional>
#include <vector>

#include "billing/error.hpp"
#include "billing/storage/store.hpp"

namespace billing::detail::memory {

class Session {
 public:
  explicit Session(Access access) noexcept : access_(access) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  [[nodiscard]] Access access() const noexcept { return access_; }
  [[nodiscard]] bool committed() const noexcept { return committed_; }

  /// Throws Misuse after commit.
  void require_open() const {
    if (committed_) throw Misuse("transaction", "is already committed");
  }
  /// Throws Misuse after commit and in a read transaction.
  void require_write() const {
    require_open();
    if (access_ != Access::write) throw Misuse("transaction", "is read-only");
  }

  /// Registers the inverse of a change just made; it runs if the transaction does not commit.
  template <class Undo>
  void on_rollback(Undo&& undo) {
    undo_.emplace_back(std::forward<Undo>(undo));
  }

  /// Keeps every change. Throws Misuse when already committed.
  void commit() {
    require_open();
    committed_ = true;
    undo_.clear();
  }

  /// Undoes every change, newest first, unless committed.
  void roll_back() noexcept {
    if (committed_) return;
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
    undo_.clear();
  }

 private:
  Access access_;
  bool committed_ = false;
  std::vector<std::function<void()>> undo_;
};

}  // namespace billing::detail::memory
