// The listing that subscriptions and invoices share in memory: rows by id, with an index by account and one by
// status, filtered by either or both, a page after an id. Internal to the memory adapter.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace billing::detail::memory {

/// Up to `limit` rows of `table` (rows, by_account, by_status) that match `filter` (account_id, status), with
/// an id after `after`, in id order: through the account index when an account is given, else the status index.
template <class Row, class Table, class Filter>
std::vector<Row> list_by_account_or_status(const Table& table, const Filter& filter, const std::string& after,
                                           std::size_t limit) {
  std::vector<Row> out;
  const auto keep = [&](const std::string& id) {
    const Row& row = table.rows.find(id)->second;
    if (!filter.status || row.status == *filter.status) out.push_back(row);
  };
  if (filter.account_id) {
    const std::string& account = filter.account_id->str();
    for (auto it = table.by_account.upper_bound({account, after});
         it != table.by_account.end() && it->first == account && out.size() < limit; ++it) {
      keep(it->second);
    }
  } else if (filter.status) {
    for (auto it = table.by_status.upper_bound({*filter.status, after});
         it != table.by_status.end() && it->first == *filter.status && out.size() < limit; ++it) {
      keep(it->second);
    }
  } else {
    for (auto it = table.rows.upper_bound(after); it != table.rows.end() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
  }
  return out;
}

}  // namespace billing::detail::memory
