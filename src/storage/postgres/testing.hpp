// What the PostgreSQL adapter offers its own tests, beyond open_postgres(); defined in store.cpp.
#pragma once

#include <string>
#include <string_view>

#include "billing/storage/store.hpp"

namespace billing::detail {

/// For tests: the value of `SHOW <name>` (one word, such as "synchronous_commit" or "search_path") as
/// text, read on the connection that `transaction` runs on. `transaction` must come from a store made by
/// open_postgres; throws Misuse otherwise.
[[nodiscard]] std::string postgres_setting_for_testing(Transaction& transaction, std::string_view name);

}  // namespace billing::detail
