// Opening accounts and their life cycle, on every adapter.
#include "billing/accounts.hpp"

#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

CONTRACT_TEST("opening an account stores every field, and a retry returns it") {
  auto f = fixture<Adapter>();
  const AccountRequest request{.id = AccountId("wallet"),
                               .currency = Currency("USD"),
                               .name = "Wallet",
                               .normal_side = Side::credit,
                               .status = AccountStatus::pending,
                               .debits_must_not_exceed_credits = true,
                               .limit = usd("500.00"),
                               .metadata = {{"customer", "c-42"}}};
  const auto opened = f.accounts().create(request);
  REQUIRE(opened.result == AccountResult::ok);
  CHECK(opened.account->created_at == f.clock->now());
  CHECK(f.accounts().get(AccountId("wallet")) == opened.account);

  const auto again = f.accounts().create(request);
  CHECK(again.result == AccountResult::exists);
  CHECK(again.account == opened.account);

  AccountRequest other = request;
  other.name = "Another name";
  const auto clash = f.accounts().create(other);
  CHECK(clash.result == AccountResult::exists_with_different_fields);
  CHECK(f.accounts().get(AccountId("wallet"))->name == "Wallet");
}

CONTRACT_TEST("an account without an id gets one from the id source") {
  auto f = fixture<Adapter>();
  const auto opened = f.accounts().create({.currency = Currency("EUR"), .name = "Generated"});
  REQUIRE(opened.result == AccountResult::ok);
  CHECK(opened.account->id == AccountId("gen-000000000001"));
}

CONTRACT_TEST("bad account requests are errors naming the field, and store nothing") {
  auto f = fixture<Adapter>();
  const auto field_of = [&](AccountRequest request) {
    request.id = AccountId("bad");
    try {
      (void)f.accounts().create(request);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  const Currency usd_currency("USD");
  CHECK(field_of({.currency = usd_currency, .name = ""}) == "name");
  CHECK(field_of({.currency = usd_currency, .name = std::string(257, 'n')}) == "name");
  CHECK(field_of({.currency = usd_currency, .name = "n", .status = AccountStatus::closed}) == "status");
  CHECK(field_of({.currency = usd_currency,
                  .name = "n",
                  .debits_must_not_exceed_credits = true,
                  .credits_must_not_exceed_debits = true}) == "flags");
  CHECK(field_of({.currency = usd_currency, .name = "n", .limit = usd("5.00")}) == "limit");
  CHECK(field_of(
            {.currency = usd_currency, .name = "n", .debits_must_not_exceed_credits = true, .limit = usd("-5.00")}) ==
        "limit");
  CHECK(field_of({.currency = usd_currency,
                  .name = "n",
                  .debits_must_not_exceed_credits = true,
                  .limit = Money::parse("5.00 EUR")}) == "limit");
  CHECK(field_of({.currency = usd_currency, .name = "n", .metadata = {{"", "empty key"}}}) == "metadata");
  CHECK(field_of({.currency = usd_currency, .name = "n", .metadata = {{"k", std::string(1025, 'v')}}}) == "metadata");
  CHECK_FALSE(f.accounts().get(AccountId("bad")).has_value());
}

CONTRACT_TEST("every status change is checked against the table") {
  auto f = fixture<Adapter>();
  int n = 0;
  for (AccountStatus from : k_account_statuses) {
    for (AccountStatus to : k_account_statuses) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      const AccountId id(fmt::format("acct-{}", n++));
      // Reach `from` through allowed steps: pending is born, the rest go through active.
      const bool born_pending = from == AccountStatus::pending;
      REQUIRE(f.accounts()
                  .create({.id = id,
                           .currency = Currency("USD"),
                           .name = "n",
                           .status = born_pending ? AccountStatus::pending : AccountStatus::active})
                  .result == AccountResult::ok);
      if (from == AccountStatus::inactive || from == AccountStatus::closed) {
        REQUIRE(f.accounts().set_status(id, from).result == StatusResult::ok);
      }
      const auto outcome = f.accounts().set_status(id, to);
      if (from == to) {
        CHECK(outcome.result == StatusResult::ok);
      } else if (account_transition_allowed(from, to)) {
        CHECK(outcome.result == StatusResult::ok);
        CHECK(f.accounts().get(id)->status == to);
      } else {
        CHECK(outcome.result == StatusResult::transition_forbidden);
        CHECK(f.accounts().get(id)->status == from);
      }
    }
  }
  CHECK(f.accounts().set_status(AccountId("nobody"), AccountStatus::active).result == StatusResult::account_not_found);
}

CONTRACT_TEST("an account with a balance or a hold cannot close") {
  auto f = fixture<Adapter>();
  const AccountId cash = f.open("cash");
  const AccountId revenue = f.open("revenue", "USD", Side::credit);
  REQUIRE(f.ledger().transfer({.id = EntryId("t1"), .debit = cash, .credit = revenue, .amount = usd("5.00")}).result ==
          PostResult::ok);
  CHECK(f.accounts().set_status(cash, AccountStatus::closed).result == StatusResult::balance_not_zero);
  REQUIRE(f.ledger().reverse(EntryId("t1")).result == PostResult::ok);
  CHECK(f.accounts().set_status(cash, AccountStatus::closed).result == StatusResult::ok);
  const auto held =
      f.ledger().hold({.postings = {{revenue, Side::debit, usd("1.00")}, {f.open("x"), Side::credit, usd("1.00")}}});
  REQUIRE(held.result == PostResult::ok);
  CHECK(f.accounts().set_status(revenue, AccountStatus::closed).result == StatusResult::balance_not_zero);
}

CONTRACT_TEST("accounts list by status, a page at a time") {
  auto f = fixture<Adapter>();
  for (int i = 0; i < 7; ++i) (void)f.open(fmt::format("acct-{}", i));
  REQUIRE(f.accounts().set_status(AccountId("acct-3"), AccountStatus::inactive).result == StatusResult::ok);
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = f.accounts().list(AccountStatus::active, cursor, 2);
    for (const auto& a : page.items) seen.push_back(a.id.str());
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  CHECK(seen == std::vector<std::string>{"acct-0", "acct-1", "acct-2", "acct-4", "acct-5", "acct-6"});
  CHECK_THROWS_AS((void)f.accounts().list(std::nullopt, "", 0), InvalidArgument);
}

CONTRACT_TEST("an account name is visible UTF-8 without control characters") {
  auto f = fixture<Adapter>();
  const auto field_of = [&](std::string name) {
    try {
      (void)f.accounts().create({.id = AccountId("named"), .currency = Currency("USD"), .name = std::move(name)});
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  for (const std::string& refused :
       {std::string(" "), std::string(" \u00a0\u3000 "), std::string("\u200b"), std::string("tab\there"),
        std::string("new\nline"), std::string("nul\0x", 5), std::string("del\x7f"), std::string("c1 \xc2\x85"),
        std::string("\xe2\x80\xa8"), std::string("\xc0\xaf overlong"), std::string("\xed\xa0\x80 surrogate")}) {
    CAPTURE(refused);
    CHECK(field_of(refused) == "name");
  }
  CHECK_FALSE(f.accounts().get(AccountId("named")).has_value());
  CHECK(field_of(" Zürich café ") == "accepted");
  CHECK(field_of(std::string(256, 'n')) == "accepted");  // the longest name (the id exists by now: a value)
}

CONTRACT_TEST("a listing cursor is an account id") {
  auto f = fixture<Adapter>();
  (void)f.open("a");
  CHECK_THROWS_AS((void)f.accounts().list(std::nullopt, std::string(129, 'x')), InvalidArgument);
  CHECK_THROWS_AS((void)f.accounts().list(std::nullopt, "has space"), InvalidArgument);
  CHECK(f.accounts().list(std::nullopt, "a").items.empty());
}
