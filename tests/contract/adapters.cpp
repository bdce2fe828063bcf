#include "adapters.hpp"

#include "support/postgres_server.hpp"
#include "support/scratch_dir.hpp"

namespace billing::test {

std::string SqliteAdapter::new_path() {
  static std::atomic<int> counter{0};
  return (scratch_dir("billing-contract-") / ("store-" + std::to_string(counter++) + ".db")).string();
}

std::shared_ptr<Store> PostgresAdapter::open() {
  PostgresServer& server = PostgresServer::shared();
  return open_postgres(server.conninfo(), {.durability = Durability::normal, .schema = server.unique_schema()});
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
