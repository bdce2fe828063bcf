// A transaction that lost a race the engine could not order (PostgreSQL's serialization failures and
// deadlocks): it was rolled back, and running it again from the start will most likely succeed.
// Adapters throw it; Context::write() catches it and runs the unit of work again, up to the store's
// retry budget. A caller who holds the transaction (BooksTransaction) sees it as a StorageError.
#pragma once

#include <string>

#include "billing/error.hpp"

namespace billing::detail {

class Conflict : public StorageError {
 public:
  using StorageError::StorageError;
};

}  // namespace billing::detail
