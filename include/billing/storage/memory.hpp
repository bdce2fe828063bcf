// The in-memory storage adapter: for tests, simulations and hot caches. Nothing survives the process.
//
// It keeps the whole storage contract, rollback included: a unit of work that does not commit leaves
// no trace. Safe to share between threads: one writer at a time, readers alongside other readers.
#pragma once

#include <memory>

#include "billing/storage/store.hpp"

namespace billing {

/// A new, empty in-memory store.
[[nodiscard]] std::unique_ptr<Store> open_memory();

}  // namespace billing
