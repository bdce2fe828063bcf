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

CONTRACT_TEST("no entry debits and credits one account, whichever door it comes through") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const AccountId c = f.open("c");
  const auto field_of = [&](auto&& call) {
    try {
      call();
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  const EntryRequest same = two_legs("same", a, a, usd("1.00"));
  // Several legs: the posting that meets an earlier one on the other side is named.
  const EntryRequest netting = {
      .id = EntryId("netting"),
      .postings = {{a, Side::debit, usd("3.00")}, {b, Side::credit, usd("1.00")}, {a, Side::credit, usd("2.00")}}};
  CHECK(field_of([&] { (void)f.ledger().post(same); }) == "postings[1].account");
  CHECK(field_of([&] { (void)f.ledger().post(netting); }) == "postings[2].account");
  CHECK(field_of([&] { (void)f.ledger().hold(same); }) == "postings[1].account");
  CHECK(field_of([&] {
          (void)f.ledger().post_batch({two_legs("ok", a, b, usd("1.00")), same});
        }) == "[1].postings[1].account");
  CHECK(field_of([&] { (void)f.ledger().transfer({.debit = a, .credit = a, .amount = usd("1.00")}); }) == "credit");
  CHECK(f.entry_count() == 0);
  // One account twice on the same side is a split, not a netting: it is fine.
  CHECK(f.ledger()
            .post({.postings = {{a, Side::debit, usd("1.00")},
                                {a, Side::debit, usd("2.00")},
                                {c, Side::credit, usd("3.00")}}})
            .result == PostResult::ok);
}

CONTRACT_TEST("an effective time outside 1970 to 2200 is refused, and the bounds are as documented") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const auto at = [&](const char* id, Timestamp when) {
    EntryRequest request = two_legs(id, a, b, usd("1.00"));
    request.effective_at = when;
    return request;
  };
  const Timestamp epoch = Timestamp::parse("1970-01-01T00:00:00Z");
  const Timestamp end = Timestamp::parse("2200-01-01T00:00:00Z");
  CHECK(k_effective_at_min == epoch);
  CHECK(k_effective_at_end == end);
  for (const Timestamp refused : {epoch - std::chrono::microseconds(1), end, Timestamp::parse("0001-01-01T00:00:00Z"),
                                  Timestamp::parse("9999-12-31T23:59:59.999999Z")}) {
    CAPTURE(refused.unix_micros());
    try {
      (void)f.ledger().post(at("refused", refused));
      FAIL("accepted");
    } catch (const InvalidArgument& e) {
      CHECK(e.field() == "effective_at");
    }
  }
  CHECK(f.entry_count() == 0);
  CHECK(f.ledger().post(at("first", epoch)).result == PostResult::ok);
  CHECK(f.ledger().post(at("last", end - std::chrono::microseconds(1))).result == PostResult::ok);
}

CONTRACT_TEST("text in an entry is UTF-8 without control characters, and metadata keys are names") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const auto field_of = [&](std::string description, Metadata metadata) {
    EntryRequest request = two_legs("t", a, b, usd("1.00"));
    request.description = std::move(description);
    request.metadata = std::move(metadata);
    try {
      (void)f.ledger().post(request);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  CHECK(field_of("line one\nline two", {}) == "description");
  CHECK(field_of(std::string("nul\0inside", 10), {}) == "description");
  CHECK(field_of("\xff\xfe not UTF-8", {}) == "description");
  CHECK(field_of("bell \x07", {}) == "description");
  CHECK(field_of("", {{" ", "blank key"}}) == "metadata");
  CHECK(field_of("", {{"tab\tkey", "v"}}) == "metadata");
  CHECK(field_of("", {{"k", "\xc3"}}) == "metadata");  // a truncated sequence
  CHECK(f.entry_count() == 0);
  CHECK(field_of("Café, 3 × 2 €", {{"note", "free text\nwith lines"}}) == "accepted");
}

CONTRACT_TEST("batches, groups and hold timeouts beyond their limits are refused before any work") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const std::vector<EntryRequest> too_many(k_max_batch + 1, two_legs("same-id", a, b, usd("1.00")));
  try {
    (void)f.ledger().post_batch(too_many);
    FAIL("accepted");
  } catch (const InvalidArgument& e) {
    CHECK(e.field() == "entries");
  }
  const std::vector<EntryId> holds(k_max_batch + 1, EntryId("h"));
  CHECK_THROWS_AS((void)f.ledger().post_pending_group(holds), InvalidArgument);
  CHECK_THROWS_AS((void)f.ledger().void_pending_group(holds), InvalidArgument);
  const EntryRequest hold = two_legs("h", a, b, usd("1.00"));
  for (const auto timeout : {std::chrono::microseconds(0), std::chrono::microseconds(-1),
                             k_max_hold_timeout + std::chrono::microseconds(1)}) {
    try {
      (void)f.ledger().hold(hold, timeout);
      FAIL("accepted");
    } catch (const InvalidArgument& e) {
      CHECK(e.field() == "timeout");
    }
  }
  CHECK(f.entry_count() == 0);
  CHECK(f.ledger().hold(hold, k_max_hold_timeout).result == PostResult::ok);
}

CONTRACT_TEST("after commit, the transaction refuses the thread's writes until it ends; reads go on") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  {
    auto work = f.books->transaction();
    REQUIRE(f.ledger().post(two_legs("t1", a, b, usd("1.00"))).result == PostResult::ok);
    work->commit();
    // A write here would otherwise commit on its own, outside the block it was written in.
    CHECK_THROWS_AS((void)f.ledger().post(two_legs("t2", a, b, usd("2.00"))), Misuse);
    CHECK_THROWS_AS((void)f.accounts().set_status(a, AccountStatus::inactive), Misuse);
    CHECK_THROWS_AS((void)f.books->idempotency().run({.key = "k"}, "r", [] { return std::string(); }), Misuse);
    CHECK_THROWS_AS((void)f.books->transaction(), Misuse);
    CHECK_THROWS_AS(work->commit(), Misuse);
    CHECK(f.totals(a).debits_posted == 100);  // reads run on their own and see the commit
    CHECK(f.ledger().entry(EntryId("t1")).has_value());
  }
  CHECK(f.entry_count() == 1);
  CHECK(f.ledger().post(two_legs("t2", a, b, usd("2.00"))).result == PostResult::ok);  // ended: writes work again
  auto again = f.books->transaction();
  again->commit();
}
