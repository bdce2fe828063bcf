// Posting entries: result codes in their documented order, balance constraints, batches, and that a
// rejected entry leaves nothing behind. On every adapter.
#include "billing/ledger.hpp"

#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

namespace {
EntryRequest two_legs(const char* id, const AccountId& debit, const AccountId& credit, Money amount) {
  return {.id = EntryId(id), .postings = {{debit, Side::debit, amount}, {credit, Side::credit, amount}}};
}
}  // namespace

CONTRACT_TEST("a transfer moves posted balances and is chained to the entry before it") {
  auto f = fixture<Adapter>();
  const AccountId cash = f.open("cash");
  const AccountId revenue = f.open("revenue", "USD", Side::credit);
  const auto first = f.ledger().transfer({.id = EntryId("t1"),
                                          .debit = cash,
                                          .credit = revenue,
                                          .amount = usd("9.99"),
                                          .description = "sale",
                                          .metadata = {{"order", "o-1"}}});
  REQUIRE(first.result == PostResult::ok);
  f.clock->advance(std::chrono::seconds(5));
  const auto second = f.ledger().transfer({.debit = cash, .credit = revenue, .amount = usd("0.01")});
  REQUIRE(second.result == PostResult::ok);

  const Entry& entry = *first.entry;
  CHECK(entry.sequence == 1);
  CHECK(entry.kind == EntryKind::posted);
  CHECK(entry.description == "sale");
  CHECK(entry.metadata.at("order") == "o-1");
  CHECK(entry.recorded_at == Timestamp::parse("2026-01-01T00:00:00Z"));
  CHECK(entry.effective_at == entry.recorded_at);
  CHECK(entry.previous_hash == Hash{});
  CHECK(entry.hash == detail::chain_hash(entry));
  CHECK(second.entry->previous_hash == entry.hash);
  CHECK(second.entry->id == EntryId("gen-000000000001"));
  CHECK(f.ledger().entry(EntryId("t1")) == entry);

  CHECK(f.totals(cash) == Balances{1000, 0, 0, 0});
  CHECK(f.totals(revenue) == Balances{0, 1000, 0, 0});
  CHECK(f.ledger().balance(cash)->net == usd("10.00"));
  CHECK(f.ledger().balance(revenue)->net == usd("10.00"));
  CHECK(f.ledger().balance(cash)->as_of_sequence == 2);
}

CONTRACT_TEST("posting the same id again is safe: the original is returned, nothing is added") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const auto request = two_legs("pay-1", a, b, usd("5.00"));
  const auto first = f.ledger().post(request);
  REQUIRE(first.result == PostResult::ok);
  f.clock->advance(std::chrono::hours(1));
  const auto retry = f.ledger().post(request);
  CHECK(retry.result == PostResult::exists);
  CHECK(retry.entry == first.entry);
  const auto changed = f.ledger().post(two_legs("pay-1", a, b, usd("6.00")));
  CHECK(changed.result == PostResult::exists_with_different_fields);
  CHECK(changed.entry == first.entry);
  CHECK(f.entry_count() == 1);
  CHECK(f.totals(a).debits_posted == 500);
}

CONTRACT_TEST("every rejection has its own code and leaves nothing behind") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const AccountId eur = f.open("eur", "EUR");
  (void)f.accounts().create(
      {.id = AccountId("pending"), .currency = Currency("USD"), .name = "p", .status = AccountStatus::pending});
  const AccountId inactive = f.open("inactive");
  REQUIRE(f.accounts().set_status(inactive, AccountStatus::inactive).result == StatusResult::ok);
  const AccountId closed = f.open("closed");
  REQUIRE(f.accounts().set_status(closed, AccountStatus::closed).result == StatusResult::ok);

  struct Case {
    EntryRequest request;
    PostResult expected;
    std::optional<std::string> at_fault;
  };
  const std::vector<Case> cases = {
      {{.postings = {{a, Side::debit, usd("1.00")}, {b, Side::credit, usd("0.99")}}}, PostResult::unbalanced, {}},
      {two_legs("x1", AccountId("ghost"), b, usd("1.00")), PostResult::account_not_found, "ghost"},
      {two_legs("x2", AccountId("pending"), b, usd("1.00")), PostResult::account_pending, "pending"},
      {two_legs("x3", a, inactive, usd("1.00")), PostResult::account_inactive, "inactive"},
      {two_legs("x4", closed, b, usd("1.00")), PostResult::account_closed, "closed"},
      {{.postings = {{eur, Side::debit, usd("1.00")}, {b, Side::credit, usd("1.00")}}},
       PostResult::currency_mismatch,
       "eur"},
  };
  for (const Case& c : cases) {
    CAPTURE(to_string(c.expected));
    const auto outcome = f.ledger().post(c.request);
    CHECK(outcome.result == c.expected);
    CHECK_FALSE(outcome.entry.has_value());
    if (c.at_fault) {
      REQUIRE(outcome.account.has_value());
      CHECK(outcome.account->str() == *c.at_fault);
    }
  }
  CHECK(f.entry_count() == 0);
  CHECK(f.totals(a) == Balances{});
  CHECK(f.totals(b) == Balances{});
}

CONTRACT_TEST("codes are checked in the documented order") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  REQUIRE(f.ledger().post(two_legs("taken", a, b, usd("1.00"))).result == PostResult::ok);
  // A taken id wins over everything else wrong with the request.
  EntryRequest unbalanced_retry{
      .id = EntryId("taken"),
      .postings = {{AccountId("ghost"), Side::debit, usd("1.00")}, {b, Side::credit, usd("2.00")}}};
  CHECK(f.ledger().post(unbalanced_retry).result == PostResult::exists_with_different_fields);
  // Unbalanced wins over a missing account.
  unbalanced_retry.id.reset();
  CHECK(f.ledger().post(unbalanced_retry).result == PostResult::unbalanced);
  // Accounts are checked in posting order.
  const auto outcome = f.ledger().post({.postings = {{AccountId("ghost-1"), Side::debit, usd("1.00")},
                                                     {AccountId("ghost-2"), Side::credit, usd("1.00")}}});
  CHECK(outcome.result == PostResult::account_not_found);
  CHECK(outcome.account == AccountId("ghost-1"));
}

CONTRACT_TEST("malformed entries are errors naming the field, before anything is posted") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const auto field_of = [&](const EntryRequest& request) {
    try {
      (void)f.ledger().post(request);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of({.postings = {{a, Side::debit, usd("1.00")}}}) == "postings");
  CHECK(field_of({.postings = {{a, Side::debit, usd("0.00")}, {b, Side::credit, usd("0.00")}}}) ==
        "postings[0].amount");
  CHECK(field_of({.postings = {{a, Side::debit, usd("1.00")}, {b, Side::credit, usd("-1.00")}}}) ==
        "postings[1].amount");
  CHECK(field_of({.postings = {{a, Side::debit, usd("1")}, {b, Side::credit, usd("1")}},
                  .description = std::string(1025, 'd')}) == "description");
  CHECK_THROWS_AS((void)f.ledger().transfer({.debit = a, .credit = a, .amount = usd("1.00")}), InvalidArgument);
  try {
    (void)f.ledger().post_batch({two_legs("ok", a, b, usd("1.00")), {.postings = {{a, Side::debit, usd("1.00")}}}});
    FAIL("accepted");
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == "[1].postings");
  }
  CHECK(f.entry_count() == 0);
}

CONTRACT_TEST("an entry of several legs and currencies balances per currency") {
  auto f = fixture<Adapter>();
  const AccountId usd_in = f.open("usd-in");
  const AccountId usd_out = f.open("usd-out");
  const AccountId fee = f.open("fee");
  const AccountId eur_in = f.open("eur-in", "EUR");
  const AccountId eur_out = f.open("eur-out", "EUR");
  const Money eur = Money::parse("9.00 EUR");
  const auto outcome = f.ledger().post({.postings = {{usd_in, Side::debit, usd("10.00")},
                                                     {usd_out, Side::credit, usd("9.50")},
                                                     {fee, Side::credit, usd("0.50")},
                                                     {eur_in, Side::debit, eur},
                                                     {eur_out, Side::credit, eur}}});
  CHECK(outcome.result == PostResult::ok);
  CHECK(f.totals(fee).credits_posted == 50);
  CHECK(f.ledger().post({.postings = {{usd_in, Side::debit, usd("9.00")}, {eur_out, Side::credit, eur}}}).result ==
        PostResult::unbalanced);
}

CONTRACT_TEST("balance flags and limits stop what they forbid, counting holds") {
  auto f = fixture<Adapter>();
  const AccountId funding = f.open("funding", "USD", Side::debit);
  const AccountId shop = f.open("shop", "USD", Side::credit);
  REQUIRE(f.accounts()
              .create({.id = AccountId("wallet"),
                       .currency = Currency("USD"),
                       .name = "Wallet",
                       .normal_side = Side::credit,
                       .debits_must_not_exceed_credits = true})
              .result == AccountResult::ok);
  REQUIRE(f.accounts()
              .create({.id = AccountId("line"),
                       .currency = Currency("USD"),
                       .name = "Credit line",
                       .normal_side = Side::credit,
                       .debits_must_not_exceed_credits = true,
                       .limit = usd("500.00")})
              .result == AccountResult::ok);
  REQUIRE(f.accounts()
              .create({.id = AccountId("capped"),
                       .currency = Currency("USD"),
                       .name = "Capped",
                       .normal_side = Side::debit,
                       .credits_must_not_exceed_debits = true})
              .result == AccountResult::ok);
  const AccountId wallet("wallet");
  const AccountId line("line");
  const AccountId capped("capped");

  REQUIRE(f.ledger().transfer({.debit = funding, .credit = wallet, .amount = usd("10.00")}).result == PostResult::ok);
  const auto overspend = f.ledger().transfer({.debit = wallet, .credit = shop, .amount = usd("10.01")});
  CHECK(overspend.result == PostResult::exceeds_credits);
  CHECK(overspend.account == wallet);
  CHECK(f.ledger().transfer({.debit = wallet, .credit = shop, .amount = usd("10.00")}).result == PostResult::ok);
  CHECK(f.ledger().balance(wallet)->available == usd("0.00"));

  // A credit line of 500.00: holds count against it.
  REQUIRE(f.ledger()
              .hold({.id = EntryId("h1"),
                     .postings = {{line, Side::debit, usd("300.00")}, {shop, Side::credit, usd("300.00")}}})
              .result == PostResult::ok);
  CHECK(f.ledger().balance(line)->available == usd("200.00"));
  CHECK(f.ledger().transfer({.debit = line, .credit = shop, .amount = usd("200.01")}).result ==
        PostResult::exceeds_limit);
  CHECK(f.ledger().transfer({.debit = line, .credit = shop, .amount = usd("200.00")}).result == PostResult::ok);
  CHECK(f.ledger().balance(line)->available == usd("0.00"));
  // Releasing the hold gives the room back.
  REQUIRE(f.ledger().void_pending(EntryId("h1")).result == PostResult::ok);
  CHECK(f.ledger().balance(line)->available == usd("300.00"));

  CHECK(f.ledger().transfer({.debit = funding, .credit = capped, .amount = usd("0.01")}).result ==
        PostResult::exceeds_debits);
  CHECK(f.ledger().transfer({.debit = capped, .credit = funding, .amount = usd("1.00")}).result == PostResult::ok);
  CHECK(f.ledger().transfer({.debit = funding, .credit = capped, .amount = usd("1.00")}).result == PostResult::ok);
}

CONTRACT_TEST("a running total that would overflow rejects the entry") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const Money most = Money::from_minor(Money::k_max_minor, Currency("USD"));
  REQUIRE(f.ledger().post(two_legs("big", a, b, most)).result == PostResult::ok);
  const auto outcome = f.ledger().post(two_legs("more", a, b, usd("0.01")));
  CHECK(outcome.result == PostResult::overflow);
  CHECK(outcome.account == a);
  CHECK(f.entry_count() == 1);
}

CONTRACT_TEST("an atomic batch posts all or nothing; an independent one posts what it can") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const std::vector<EntryRequest> batch = {two_legs("e1", a, b, usd("1.00")),
                                           two_legs("e2", a, AccountId("ghost"), usd("1.00")),
                                           two_legs("e3", a, b, usd("3.00"))};
  const auto atomic = f.ledger().post_batch(batch, BatchMode::atomic);
  REQUIRE(atomic.size() == 3);
  CHECK(atomic[0].result == PostResult::batch_failed);
  CHECK(atomic[1].result == PostResult::account_not_found);
  CHECK(atomic[2].result == PostResult::batch_failed);
  CHECK(f.entry_count() == 0);
  CHECK(f.totals(a) == Balances{});

  const auto independent = f.ledger().post_batch(batch, BatchMode::independent);
  CHECK(independent[0].result == PostResult::ok);
  CHECK(independent[1].result == PostResult::account_not_found);
  CHECK(independent[2].result == PostResult::ok);
  CHECK(f.entry_count() == 2);
  CHECK(f.totals(a).debits_posted == 400);
  CHECK(independent[2].entry->sequence == 2);

  // A batch retried after it landed is all `exists`, and posts nothing new.
  const auto retry = f.ledger().post_batch({batch[0], batch[2]}, BatchMode::atomic);
  CHECK(retry[0].result == PostResult::exists);
  CHECK(retry[1].result == PostResult::exists);
  CHECK(f.entry_count() == 2);
  // Within one batch, a repeated id is seen as the earlier entry of the batch.
  const auto twice = f.ledger().post_batch({two_legs("e9", a, b, usd("1.00")), two_legs("e9", a, b, usd("1.00"))});
  CHECK(twice[0].result == PostResult::ok);
  CHECK(twice[1].result == PostResult::exists);
  CHECK(f.entry_count() == 3);
}

CONTRACT_TEST("a books transaction commits several calls together, or none of them") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  {
    auto work = f.books->transaction();
    REQUIRE(f.ledger().post(two_legs("t1", a, b, usd("1.00"))).result == PostResult::ok);
    REQUIRE(f.ledger().post(two_legs("t2", a, b, usd("2.00"))).result == PostResult::ok);
    CHECK(f.totals(a).debits_posted == 300);  // the thread sees its own uncommitted work
    CHECK_THROWS_AS((void)f.books->transaction(), Misuse);
  }  // dropped
  CHECK(f.entry_count() == 0);
  CHECK(f.totals(a) == Balances{});
  {
    auto work = f.books->transaction();
    REQUIRE(f.ledger().post(two_legs("t1", a, b, usd("1.00"))).result == PostResult::ok);
    REQUIRE(f.ledger().post(two_legs("t2", a, b, usd("2.00"))).result == PostResult::ok);
    work->commit();
    CHECK_THROWS_AS(work->commit(), Misuse);
  }
  CHECK(f.entry_count() == 2);
  CHECK(f.totals(b).credits_posted == 300);
}
