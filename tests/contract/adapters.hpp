// The adapters the contract suite runs against. CONTRACT_TEST(name) defines one test case per adapter;
// a new adapter is one more entry in BILLING_ADAPTERS.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "billing/billing.hpp"
#include "billing/storage/memory.hpp"
#include "billing/storage/postgres.hpp"
#include "billing/storage/sqlite.hpp"

namespace billing::test {

struct MemoryAdapter {
  static constexpr const char* k_name = "memory";
  static std::shared_ptr<Store> open() { return open_memory(); }
};

/// A fresh SQLite file per store, removed when the test binary exits.
struct SqliteAdapter {
  static constexpr const char* k_name = "sqlite";
  static std::string new_path();
  static std::shared_ptr<Store> open() { return open_sqlite(new_path(), {.durability = Durability::normal}); }
};

/// A fresh schema per store on the process's throwaway server (support/postgres_server.hpp).
struct PostgresAdapter {
  static constexpr const char* k_name = "postgres";
  static std::shared_ptr<Store> open();
};

#define BILLING_ADAPTERS billing::test::MemoryAdapter, billing::test::SqliteAdapter, billing::test::PostgresAdapter
#define CONTRACT_TEST(name) TEST_CASE_TEMPLATE(name, Adapter, BILLING_ADAPTERS)

/// Books on a fresh store of one adapter, with a manual clock and sequential ids.
struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z"));
  std::shared_ptr<SequentialIds> ids = std::make_shared<SequentialIds>("gen-");
  std::shared_ptr<Store> store;
  std::unique_ptr<Books> books;

  explicit Fixture(std::shared_ptr<Store> opened)
      : store(std::move(opened)), books(std::make_unique<Books>(store, clock, ids)) {}

  Accounts& accounts() { return books->accounts(); }
  Ledger& ledger() { return books->ledger(); }

  /// Opens an active account in `currency` and checks that it opened.
  AccountId open(const std::string& id, const char* currency = "USD", Side normal = Side::debit);
  /// The account's totals now.
  Balances totals(const AccountId& id);
  /// How many entries the ledger holds.
  std::uint64_t entry_count();
};

/// A fixture with two USD accounts: a debit-normal "customer" and a credit-normal "merchant".
struct CustomerAndMerchant {
  Fixture f;
  AccountId customer;
  AccountId merchant;
  explicit CustomerAndMerchant(Fixture fixture_in)
      : f(std::move(fixture_in)), customer(f.open("customer")), merchant(f.open("merchant", "USD", Side::credit)) {}
};

template <class Adapter>
Fixture fixture() {
  return Fixture(Adapter::open());
}

inline Money usd(const char* amount) { return Money(Decimal::parse(amount), Currency("USD")); }

}  // namespace billing::test
