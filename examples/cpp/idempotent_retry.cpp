// A retry that cannot charge twice: the same request under the same idempotency key runs once, and
// every retry gets the first run's outcome back. Run: build/examples/cpp/idempotent_retry
#include <billing/billing.hpp>

#include <fmt/format.h>

using namespace billing;

int main() {
  Books books(open_memory());
  (void)books.accounts().create({.id = AccountId("card:alice"), .currency = Currency("EUR"), .name = "Alice"});
  (void)books.accounts().create({.id = AccountId("sales"), .currency = Currency("EUR"), .name = "Sales",
                                 .normal_side = Side::credit});

  const auto charge = [&](const char* amount) {
    const Money price = Money::parse(fmt::format("{} EUR", amount));
    // The request's canonical bytes (billing/canonical.hpp): equal requests give equal bytes, whatever the
    // order of the map's keys, and 25.0 EUR is the same amount as 25.00 EUR.
    const std::string request = canonical_encoding(RequestValue::map({
        {"customer", RequestValue::string("alice")},
        {"amount", RequestValue::money(price)},
    }));
    return books.idempotency().run({.scope = "shop-7", .key = "order-1001"}, request, [&] {
      const auto posted = books.ledger().transfer(
          {.debit = AccountId("card:alice"), .credit = AccountId("sales"), .amount = price});
      return fmt::format("{} {}", to_string(posted.result), posted.entry->id);
    });
  };

  for (int attempt = 1; attempt <= 3; ++attempt) {
    const IdempotentOutcome outcome = charge("25.00");
    fmt::print("attempt {}: {:<8} outcome '{}'\n", attempt, to_string(outcome.result), outcome.outcome);
  }
  fmt::print("same key, another amount: {}\n", to_string(charge("30.00").result));
  const auto entries = books.ledger().entries(AccountId("card:alice")).items.size();
  fmt::print("entries on alice's card: {}, balance {}\n", entries, books.ledger().balance(AccountId("card:alice"))->net);
  return entries == 1 ? 0 : 1;
}
