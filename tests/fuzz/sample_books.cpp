#include "sample_books.hpp"

#include <chrono>
#include <string>

#include "billing/error.hpp"

namespace billing::fuzz {

const std::vector<AccountId>& sample_accounts() {
  static const std::vector<AccountId> accounts{AccountId("cash"), AccountId("eur:cash"), AccountId("eur:revenue"),
                                               AccountId("revenue"), AccountId("wallet")};
  return accounts;
}

SampleBooks sample_books(std::shared_ptr<Store> store) {
  SampleBooks sample{.clock = std::make_shared<ManualClock>(Timestamp::parse("2026-01-01T00:00:00Z")), .books = {}};
  sample.books = std::make_unique<Books>(std::move(store), sample.clock, std::make_shared<SequentialIds>("e-"));
  return sample;
}

namespace {

void require(bool condition, const char* what) {
  if (!condition) throw InvariantViolation("", std::string("the sample books could not be built: ") + what);
}

Money usd(std::int64_t minor) { return Money::from_minor(minor, Currency("USD")); }

}  // namespace

void fill_sample_books(SampleBooks& sample, int transfers) {
  Books& books = *sample.books;
  ManualClock& clock = *sample.clock;
  const Currency usd_currency("USD");
  const auto open = [&](const char* id, Currency currency, Side side, bool no_overdraft) {
    const auto outcome = books.accounts().create({.id = AccountId(id),
                                                  .currency = currency,
                                                  .name = std::string("Account ") + id,
                                                  .normal_side = side,
                                                  .debits_must_not_exceed_credits = no_overdraft,
                                                  .metadata = {{"kind", "sample"}}});
    require(outcome.result == AccountResult::ok, id);
  };
  open("cash", usd_currency, Side::debit, false);
  open("eur:cash", Currency("EUR"), Side::debit, false);
  open("eur:revenue", Currency("EUR"), Side::credit, false);
  open("revenue", usd_currency, Side::credit, false);
  open("wallet", usd_currency, Side::credit, true);

  Ledger& ledger = books.ledger();
  const AccountId cash("cash");
  const AccountId revenue("revenue");
  const AccountId wallet("wallet");
  for (int i = 0; i < transfers; ++i) {
    clock.advance(std::chrono::hours(1));
    const bool to_wallet = i % 3 == 1;
    require(ledger.transfer({.debit = cash,
                             .credit = to_wallet ? wallet : revenue,
                             .amount = usd(100 + i),
                             .description = "transfer " + std::to_string(i),
                             .metadata = {{"n", std::to_string(i)}}})
                    .result == PostResult::ok,
            "a transfer");
  }
  clock.advance(std::chrono::hours(1));
  require(ledger.transfer({.debit = AccountId("eur:cash"),
                           .credit = AccountId("eur:revenue"),
                           .amount = Money::parse("12.50 EUR")})
                  .result == PostResult::ok,
          "a transfer in EUR");
  require(ledger.post({.id = EntryId("three-legs"),
                       .postings = {{cash, Side::debit, usd(300)},
                                    {revenue, Side::credit, usd(200)},
                                    {wallet, Side::credit, usd(100)}}})
                  .result == PostResult::ok,
          "a three-leg entry");
  require(ledger.hold({.id = EntryId("hold-1"),
                       .postings = {{wallet, Side::debit, usd(50)}, {revenue, Side::credit, usd(50)}}})
                  .result == PostResult::ok,
          "a hold");
  require(ledger.post_pending(EntryId("hold-1"), usd(30), EntryId("hold-1-posted")).result == PostResult::ok,
          "a partial post");
  require(ledger.hold({.id = EntryId("hold-2"),
                       .postings = {{cash, Side::debit, usd(70)}, {revenue, Side::credit, usd(70)}}},
                      std::chrono::hours(2))
                  .result == PostResult::ok,
          "a hold with a timeout");
  require(ledger.void_pending(EntryId("hold-2"), EntryId("hold-2-voided")).result == PostResult::ok, "a void");
  require(ledger.reverse(EntryId("three-legs"), EntryId("three-legs-reversed"), "a mistake").result == PostResult::ok,
          "a reversal");
  const auto keyed = books.idempotency().run({.scope = "tenant", .key = "k-1"}, "request", [&] {
    return std::string(to_string(
        ledger.transfer({.id = EntryId("keyed"), .debit = cash, .credit = revenue, .amount = usd(1)}).result));
  });
  require(keyed.result == IdempotencyResult::executed, "an idempotent run");
}

}  // namespace billing::fuzz
