#include "billing/error.hpp"
#include "billing/storage/store.hpp"

namespace billing {

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
}

}  // namespace billing
