#include "billing/error.hpp"
#include "billing/storage/store.hpp"

#include <utility>

namespace billing {
namespace {

// The actions promise not to throw; noexcept makes a broken promise end the program here, where it is
// found, rather than leave a committed unit reporting a failure.
void run_after_commit(const std::vector<std::function<void()>>& actions) noexcept {
  for (const auto& action : actions) action();
}

}  // namespace

UnitOfWork::UnitOfWork(Store& store, Access access) : transaction_(store.begin(access)) {
  BILLING_ASSERT(transaction_ != nullptr);
}

UnitOfWork::~UnitOfWork() = default;  // the Transaction's destructor rolls back unless committed

Transaction& UnitOfWork::open() const {
  if (transaction_ == nullptr) throw Misuse("unit_of_work", "is already committed");
  return *transaction_;
}

void UnitOfWork::commit() {
  open().commit();
  transaction_.reset();
  run_after_commit(std::exchange(after_commit_, {}));
}

void UnitOfWork::after_commit(std::function<void()> action) {
  BILLING_ASSERT(action != nullptr);
  (void)open();  // Misuse after commit: the action would never run
  after_commit_.push_back(std::move(action));
}

}  // namespace billing
