// detail::Context: what every area of one Books shares (storage, clock, ids) and each thread's open unit
// of work, which the calls of that thread join. Internal: areas take it through their constructors, and
// no public header needs more than its name. Safe to share between threads; ambient() is per thread.
#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "billing/id.hpp"
#include "billing/storage/store.hpp"
#include "billing/time.hpp"
#include "metrics.hpp"
#include "storage/conflict.hpp"

namespace billing::detail {

class Context {
 public:
  /// Throws InvalidArgument when `store` is null; a null clock is the system clock, null ids are UUIDv7.
  Context(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, std::shared_ptr<IdSource> ids);

  [[nodiscard]] Store& store() noexcept { return *store_; }
  [[nodiscard]] const Clock& clock() const noexcept { return *clock_; }
  [[nodiscard]] IdSource& ids() noexcept { return *ids_; }
  /// The counters of these books since they were opened (metrics.hpp).
  [[nodiscard]] Metrics& metrics() noexcept { return metrics_; }

  /// This thread's unit of work (open, or committed by BooksTransaction::commit() but not yet ended), or
  /// null.
  [[nodiscard]] UnitOfWork* ambient();
  void set_ambient(UnitOfWork* work);

  /// This thread's open unit of work for a write to join, or null when there is none. Throws Misuse when
  /// this thread's transaction was committed and has not ended yet: a write there would otherwise commit
  /// on its own, outside the block its caller wrote it in.
  [[nodiscard]] UnitOfWork* write_ambient();

  /// Runs `work(UnitOfWork&)` in this thread's open unit of work, or in a new one that commits when
  /// `work` returns (and rolls back when it throws). Throws Misuse as write_ambient() does.
  template <class F>
  auto write(F&& work) {
    if (UnitOfWork* open = write_ambient()) return work(*open);
    return retrying([&] {
      UnitOfWork unit(*store_, Access::write);
      auto result = work(unit);
      unit.commit();
      return result;
    });
  }

  /// Runs `attempt()`, which begins a unit of work of its own and commits it, again when the store rolled
  /// it back for a race it could not order (detail::Conflict: a deadlock, a serialization failure), after
  /// a jittered back-off that doubles from 1 ms up to 64 ms, at most Store::conflict_retries() times; then
  /// the conflict goes on to the caller as the StorageError it is. `attempt` must hold no state of its
  /// own across runs.
  template <class F>
  auto retrying(F&& attempt) {
    for (int retry = 0;; ++retry) {
      try {
        return attempt();
      } catch (const Conflict&) {
        if (retry >= store_->conflict_retries()) throw;
      }
      back_off(retry);
    }
  }

  /// As write(), but a new unit of work becomes this thread's ambient one while `work` runs, so that the other
  /// areas' calls it makes (an account's read, a ledger post, an enqueue) join it.
  template <class F>
  auto write_joined(F&& work);

  /// Runs `work(UnitOfWork&)` in this thread's open unit of work, or in a new read-only one (also after
  /// this thread's transaction committed: what it wrote is visible by then).
  template <class F>
  auto read(F&& work) {
    if (UnitOfWork* open = ambient(); open != nullptr && !open->committed()) return work(*open);
    UnitOfWork unit(*store_, Access::read);
    return work(unit);
  }

 private:
  /// Sleeps before retry `retry` (0-based) of retrying().
  static void back_off(int retry);

  std::shared_ptr<Store> store_;
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<IdSource> ids_;
  Metrics metrics_;
  std::mutex mutex_;
  std::unordered_map<std::thread::id, UnitOfWork*> ambient_;
};

/// Makes a unit of work this thread's ambient one for as long as it lives.
class AmbientScope {
 public:
  AmbientScope(Context& context, UnitOfWork& work) : context_(context) { context_.set_ambient(&work); }
  ~AmbientScope() { context_.set_ambient(nullptr); }
  AmbientScope(const AmbientScope&) = delete;
  AmbientScope& operator=(const AmbientScope&) = delete;

 private:
  Context& context_;
};

template <class F>
auto Context::write_joined(F&& work) {
  if (UnitOfWork* open = write_ambient()) return work(*open);
  return retrying([&] {
    UnitOfWork unit(*store_, Access::write);
    const AmbientScope scope(*this, unit);
    auto result = work(unit);
    unit.commit();
    return result;
  });
}

}  // namespace billing::detail
