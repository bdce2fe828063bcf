// Reading the books back: balances as of the past, entries a page at a time, verify and export.
#include "billing/books.hpp"

#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

CONTRACT_TEST("a balance as of a past sequence or time shows the totals then") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b", "USD", Side::credit);
  const Timestamp t0 = f.clock->now();
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(f.ledger().transfer({.debit = a, .credit = b, .amount = usd("1.00")}).result == PostResult::ok);
    f.clock->advance(std::chrono::hours(1));
  }
  CHECK(f.ledger().balance_at_sequence(a, 0)->totals == Balances{});
  CHECK(f.ledger().balance_at_sequence(a, 3)->totals.debits_posted == 300);
  CHECK(f.ledger().balance_at_sequence(b, 3)->net == usd("3.00"));
  CHECK(f.ledger().balance_at_sequence(a, 99)->as_of_sequence == 5);
  CHECK(f.ledger().balance_at(a, t0 + std::chrono::minutes(90))->totals.debits_posted == 200);
  CHECK(f.ledger().balance_at(a, t0 - std::chrono::seconds(1))->totals == Balances{});
  CHECK_FALSE(f.ledger().balance_at_sequence(a, 3)->available.has_value());
  CHECK_FALSE(f.ledger().balance(AccountId("ghost")).has_value());
}

CONTRACT_TEST("an account's entries come a page at a time, filtered by time") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const AccountId c = f.open("c");
  const Timestamp t0 = f.clock->now();
  for (int i = 0; i < 7; ++i) {
    REQUIRE(f.ledger()
                .transfer({.id = EntryId(fmt::format("ab-{}", i)), .debit = a, .credit = b, .amount = usd("1.00")})
                .result == PostResult::ok);
    REQUIRE(f.ledger().transfer({.debit = b, .credit = c, .amount = usd("1.00")}).result == PostResult::ok);
    f.clock->advance(std::chrono::minutes(1));
  }
  std::vector<std::string> seen;
  EntryQuery query{.limit = 3};
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = f.ledger().entries(a, query);
    for (const Entry& e : page.items) seen.push_back(e.id.str());
    if (!page.next_cursor) break;
    query.cursor = *page.next_cursor;
  }
  CHECK(seen == std::vector<std::string>{"ab-0", "ab-1", "ab-2", "ab-3", "ab-4", "ab-5", "ab-6"});
  const auto window =
      f.ledger().entries(a, {.start = t0 + std::chrono::minutes(2), .end = t0 + std::chrono::minutes(4)});
  REQUIRE(window.items.size() == 2);
  CHECK(window.items[0].id == EntryId("ab-2"));
  CHECK_FALSE(window.next_cursor.has_value());
  CHECK_THROWS_AS((void)f.ledger().entries(a, {.cursor = "x12"}), InvalidArgument);
  CHECK_THROWS_AS((void)f.ledger().entries(a, {.limit = 1001}), InvalidArgument);
}

CONTRACT_TEST("verify walks the chain and re-derives every total") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b", "USD", Side::credit);
  (void)f.open("idle");
  CHECK(f.ledger().verify().ok);
  for (int i = 0; i < 30; ++i) {
    REQUIRE(f.ledger()
                .transfer({.id = EntryId(fmt::format("t{}", i)), .debit = a, .credit = b, .amount = usd("2.50")})
                .result == PostResult::ok);
  }
  REQUIRE(f.ledger()
              .hold({.id = EntryId("h"), .postings = {{a, Side::debit, usd("5.00")}, {b, Side::credit, usd("5.00")}}})
              .result == PostResult::ok);
  REQUIRE(f.ledger().post_pending(EntryId("h"), usd("4.00")).result == PostResult::ok);
  const auto last = f.ledger().reverse(EntryId("t3"));
  REQUIRE(last.result == PostResult::ok);
  const VerifyReport report = f.ledger().verify();
  CHECK(report.ok);
  CHECK(report.problem == "");
  CHECK(report.entries_checked == 33);
  CHECK(report.postings_checked == 66);
  CHECK(report.accounts_checked == 3);
  CHECK(report.head_hash == last.entry->hash);
}

CONTRACT_TEST("the ledger-cli export holds posted movements, and holds as comments") {
  auto f = fixture<Adapter>();
  const AccountId cash = f.open("assets:cash");
  const AccountId sales = f.open("income:sales", "USD", Side::credit);
  REQUIRE(f.ledger()
              .transfer({.id = EntryId("s1"),
                         .debit = cash,
                         .credit = sales,
                         .amount = usd("12.34"),
                         .description = "First sale"})
              .result == PostResult::ok);
  REQUIRE(f.ledger()
              .hold({.id = EntryId("h1"),
                     .postings = {{cash, Side::debit, usd("1.00")}, {sales, Side::credit, usd("1.00")}}})
              .result == PostResult::ok);
  const std::string journal = f.ledger().export_journal(ExportFormat::ledger);
  CHECK(journal.find("2026-01-01 * First sale\n") != std::string::npos);
  CHECK(journal.find("    assets:cash  12.34 USD\n") != std::string::npos);
  CHECK(journal.find("    income:sales  -12.34 USD\n") != std::string::npos);
  CHECK(journal.find("; 2026-01-01 PENDING h1") != std::string::npos);
  const std::string bean = f.ledger().export_journal(ExportFormat::beancount);
  CHECK(bean.find("1970-01-01 open Assets:Assets:Cash USD") != std::string::npos);
  CHECK(bean.find("  Liabilities:Income:Sales  -12.34 USD") != std::string::npos);
  const std::string only_cash = f.ledger().export_journal(ExportFormat::ledger, cash);
  CHECK(only_cash.find("First sale") != std::string::npos);
}

CONTRACT_TEST("a cursor belongs to the account it was made for, and a window must not end before it starts") {
  auto f = fixture<Adapter>();
  const AccountId a = f.open("a");
  const AccountId b = f.open("b");
  const AccountId c = f.open("c");
  for (int i = 0; i < 4; ++i) {
    REQUIRE(f.ledger().transfer({.debit = a, .credit = b, .amount = usd("1.00")}).result == PostResult::ok);
    REQUIRE(f.ledger().transfer({.debit = c, .credit = b, .amount = usd("1.00")}).result == PostResult::ok);
  }
  const auto field_of = [&](const AccountId& account, const EntryQuery& query) {
    try {
      (void)f.ledger().entries(account, query);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  const auto first = f.ledger().entries(a, {.limit = 2});
  REQUIRE(first.next_cursor.has_value());
  const std::string cursor = *first.next_cursor;
  CHECK(field_of(a, {.cursor = cursor}) == "accepted");
  CHECK(field_of(b, {.cursor = cursor}) == "cursor");  // b has entries at those sequences too
  CHECK(field_of(c, {.cursor = cursor}) == "cursor");
  std::string edited = cursor;
  edited[0] = edited[0] == '9' ? '8' : static_cast<char>(edited[0] + 1);
  CHECK(field_of(a, {.cursor = edited}) == "cursor");
  CHECK(field_of(a, {.cursor = std::to_string(first.items.back().sequence)}) == "cursor");  // the old, bare form
  CHECK(field_of(a, {.cursor = std::string(100, '1')}) == "cursor");
  const Timestamp t0 = f.clock->now();
  CHECK(field_of(a, {.start = t0, .end = t0 - std::chrono::microseconds(1)}) == "end");
  CHECK(f.ledger().entries(a, {.start = t0, .end = t0}).items.empty());  // an empty window is a fine question
}
