// FaultStore: a Store that wraps another and calls a hook before every call that reaches storage, so
// that a test can fail or crash at any chosen point, the way leveldb's FaultInjectionTestEnv wraps its
// EnvWrapper. The domain code under test is unchanged: it only sees a Store.
//
// The hook gets the name of the operation about to run: "begin", "commit", and "<area>.<method>" for
// every repository call ("accounts.insert", "ledger.append", "idempotency.find", "idempotency.put",
// "idempotency.remove", ...). It may return (the call goes on to the wrapped store), throw (the call
// fails as a storage failure would, and the wrapped store never sees it), or end the process (a crash).
// A FaultStore is as thread-safe as the store it wraps; the hook is called on the thread making the call.
//
//   auto store = std::make_shared<test::FaultStore>(open_memory());
//   Books books(store);
//   store->set_hook(test::FaultAt("commit", 1, [] { throw StorageError("", "disk gone"); }));
//   ... // the next commit throws; every other call passes
//   store->set_hook(nullptr);
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "billing/storage/store.hpp"

namespace billing::test {

class FaultHookSlot;  // fault_store.cpp: the hook, shared by a FaultStore and its open transactions

class FaultStore final : public Store {
 public:
  using Hook = std::function<void(std::string_view operation)>;

  /// Wraps `inner` (not null), calling `before` (when set) ahead of each of its operations.
  explicit FaultStore(std::shared_ptr<Store> inner, Hook before = nullptr);

  /// Replaces the hook; nullptr removes it. Transactions already open use the new hook from their
  /// next call on.
  void set_hook(Hook before);

  /// Calls the hook with "begin", then begins a transaction on the wrapped store whose every
  /// repository call and commit() calls the hook first. Rollback (the destructor) never calls it.
  [[nodiscard]] std::unique_ptr<Transaction> begin(Access access) override;

 private:
  std::shared_ptr<Store> inner_;
  std::shared_ptr<FaultHookSlot> slot_;  // shared: a transaction may outlive its store's handle
};

/// A hook that counts the calls of one operation and runs `action` at the `occurrence`-th of them
/// (1 = the first), once; every other call passes. Copies share one count, so a FaultAt handed to
/// FaultStore by value can still be asked whether it fired.
///
///   store->set_hook(FaultAt("idempotency.put", 2, [] { ::_exit(9); }));   // dies before the 2nd put
class FaultAt {
 public:
  FaultAt(std::string operation, int occurrence, std::function<void()> action);

  void operator()(std::string_view operation) const;
  /// Whether the action has run.
  [[nodiscard]] bool fired() const noexcept;

 private:
  struct State {
    std::string operation;
    int occurrence = 1;
    std::function<void()> action;
    std::atomic<int> seen{0};
  };
  std::shared_ptr<State> state_;
};

/// A hook that counts every call, whatever its operation, and runs `action` at the `call`-th of them
/// (1 = the first), once; every other call passes. It remembers how many calls it saw and which
/// operation it fired at, so that a test can first count a write's calls and then fail each in turn:
///
///   FaultAtCall count(0, nullptr);           // 0: never fires, only counts
///   store->set_hook(count);  ...;  const int calls = count.calls();
///   for (int call = 1; call <= calls; ++call) { store->set_hook(FaultAtCall(call, fail)); ... }
class FaultAtCall {
 public:
  FaultAtCall(int call, std::function<void()> action);

  void operator()(std::string_view operation) const;
  [[nodiscard]] bool fired() const noexcept;
  /// The calls seen so far.
  [[nodiscard]] int calls() const noexcept;
  /// The operation the action ran at ("ledger.append"), or "" before it has.
  [[nodiscard]] std::string operation() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace billing::test
