// What the SQLite adapter offers its own tests, beyond open_sqlite(); defined in store.cpp.
#pragma once

#include <string>
#include <string_view>

#include "billing/storage/store.hpp"

namespace billing::detail {

/// For tests: the value of `PRAGMA <name>` (one word, such as "synchronous" or "foreign_keys") as text,
/// read on the connection that `transaction` runs on; per-connection settings can only be seen there.
/// `transaction` must come from a store made by open_sqlite; throws Misuse otherwise.
[[nodiscard]] std::string sqlite_pragma_for_testing(Transaction& transaction, std::string_view name);

}  // namespace billing::detail
