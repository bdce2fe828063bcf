#include "adapters.hpp"

#include <unistd.h>

namespace billing::test {

std::filesystem::path SqliteAdapter::scratch_dir() {
  static const auto dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("billing-contract-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup;
  return dir;
}

std::string SqliteAdapter::new_path() {
  static std::atomic<int> counter{0};
  return (scratch_dir() / ("store-" + std::to_string(counter++) + ".db")).string();
}

AccountId Fixture::open(const std::string& id, const char* currency, Side normal) {
  const auto outcome =
      accounts().create({.id = AccountId(id), .currency = Currency(currency), .name = id, .normal_side = normal});
  REQUIRE(outcome.result == AccountResult::ok);
  return outcome.account->id;
}

Balances Fixture::totals(const AccountId& id) {
  const auto balance = ledger().balance(id);
  REQUIRE(balance.has_value());
  return balance->totals;
}

std::uint64_t Fixture::entry_count() {
  UnitOfWork work(*store, Access::read);
  return work->ledger().head().sequence;
}

}  // namespace billing::test
