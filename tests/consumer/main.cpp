// A host that found billing with find_package: if this builds, posts to a SQLite file and prints, the
// installed package (both libraries and their dependencies) works.
#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

#include <fmt/format.h>

#include <filesystem>

int main() {
  using namespace billing;
  const Money total = Money::parse("19.99 USD").multiply(3);
  const auto path = std::filesystem::temp_directory_path() / "billing-consumer.db";
  std::filesystem::remove(path);
  Books books(open_sqlite(path.string()));
  (void)books.accounts().create({.id = AccountId("cash"), .currency = Currency("USD"), .name = "Cash"});
  (void)books.accounts().create({.id = AccountId("sales"), .currency = Currency("USD"), .name = "Sales"});
  const auto posted = books.ledger().transfer({.debit = AccountId("cash"), .credit = AccountId("sales"), .amount = total});
  fmt::print("billing {}: {} posted as entry {}\n", k_version, total, posted.entry->sequence);
  std::filesystem::remove(path);
  return posted.result == PostResult::ok && books.ledger().verify().ok ? 0 : 1;
}
