// Two-phase holds and reversals, on every adapter.
#include "adapters.hpp"

using namespace billing;
using billing::test::fixture;
using billing::test::usd;

namespace {
struct Shop : test::CustomerAndMerchant {
  using CustomerAndMerchant::CustomerAndMerchant;

  PostOutcome hold(const char* id, const char* amount, std::optional<std::chrono::microseconds> timeout = {}) {
    return f.ledger().hold(
        {.id = EntryId(id), .postings = {{customer, Side::debit, usd(amount)}, {merchant, Side::credit, usd(amount)}}},
        timeout);
  }
};
}  // namespace

CONTRACT_TEST("a hold moves pending balances; posting it in full moves them to posted") {
  Shop s(fixture<Adapter>());
  REQUIRE(s.hold("h1", "50.00").result == PostResult::ok);
  CHECK(s.f.totals(s.customer) == Balances{0, 0, 5000, 0});
  CHECK(s.f.totals(s.merchant) == Balances{0, 0, 0, 5000});
  const auto posted = s.f.ledger().post_pending(EntryId("h1"), std::nullopt, EntryId("capture-1"));
  REQUIRE(posted.result == PostResult::ok);
  CHECK(posted.entry->kind == EntryKind::post_pending);
  CHECK(posted.entry->pending_id == EntryId("h1"));
  CHECK(s.f.totals(s.customer) == Balances{5000, 0, 0, 0});
  CHECK(s.f.totals(s.merchant) == Balances{0, 5000, 0, 0});
  CHECK(s.f.ledger().post_pending(EntryId("h1")).result == PostResult::pending_already_posted);
  CHECK(s.f.ledger().void_pending(EntryId("h1")).result == PostResult::pending_already_posted);
  // The same capture id again is a safe retry.
  CHECK(s.f.ledger().post_pending(EntryId("h1"), std::nullopt, EntryId("capture-1")).result == PostResult::exists);
}

CONTRACT_TEST("posting part of a hold posts that part and releases the rest") {
  Shop s(fixture<Adapter>());
  REQUIRE(s.hold("h1", "50.00").result == PostResult::ok);
  CHECK(s.f.ledger().post_pending(EntryId("h1"), usd("50.01")).result == PostResult::exceeds_pending_amount);
  CHECK(s.f.ledger().post_pending(EntryId("h1"), Money::parse("1.00 EUR")).result == PostResult::currency_mismatch);
  const auto partial = s.f.ledger().post_pending(EntryId("h1"), usd("30.00"));
  REQUIRE(partial.result == PostResult::ok);
  CHECK(s.f.totals(s.customer) == Balances{3000, 0, 0, 0});
  CHECK(s.f.totals(s.merchant) == Balances{0, 3000, 0, 0});
  CHECK_THROWS_AS((void)s.f.ledger().post_pending(EntryId("h1"), usd("0.00")), InvalidArgument);
}

CONTRACT_TEST("a voided hold releases everything and cannot be posted") {
  Shop s(fixture<Adapter>());
  REQUIRE(s.hold("h1", "50.00").result == PostResult::ok);
  const auto voided = s.f.ledger().void_pending(EntryId("h1"));
  REQUIRE(voided.result == PostResult::ok);
  CHECK(voided.entry->kind == EntryKind::void_pending);
  CHECK(s.f.totals(s.customer) == Balances{});
  CHECK(s.f.ledger().post_pending(EntryId("h1")).result == PostResult::pending_already_voided);
  CHECK(s.f.ledger().void_pending(EntryId("h1")).result == PostResult::pending_already_voided);
  CHECK(s.f.ledger().post_pending(EntryId("nope")).result == PostResult::pending_not_found);
  REQUIRE(s.f.ledger()
              .transfer({.id = EntryId("plain"), .debit = s.customer, .credit = s.merchant, .amount = usd("1.00")})
              .result == PostResult::ok);
  CHECK(s.f.ledger().void_pending(EntryId("plain")).result == PostResult::pending_not_found);
}

CONTRACT_TEST("an expired hold cannot be posted, but can be voided, and a sweep voids the rest") {
  Shop s(fixture<Adapter>());
  REQUIRE(s.hold("h1", "10.00", std::chrono::minutes(15)).result == PostResult::ok);
  REQUIRE(s.hold("h2", "20.00", std::chrono::minutes(15)).result == PostResult::ok);
  REQUIRE(s.hold("h3", "30.00", std::chrono::hours(2)).result == PostResult::ok);
  REQUIRE(s.hold("h4", "40.00").result == PostResult::ok);
  CHECK(s.f.ledger().entry(EntryId("h1"))->expires_at == s.f.clock->now() + std::chrono::minutes(15));
  s.f.clock->advance(std::chrono::minutes(15));
  CHECK(s.f.ledger().post_pending(EntryId("h1")).result == PostResult::pending_expired);
  CHECK(s.f.ledger().void_pending(EntryId("h1")).result == PostResult::ok);
  CHECK(s.f.ledger().void_expired_holds() == 1);  // h2; h3 has time left, h4 never expires
  CHECK(s.f.ledger().post_pending(EntryId("h2")).result == PostResult::pending_already_voided);
  CHECK(s.f.totals(s.customer).debits_pending == 7000);
  CHECK(s.f.ledger().post_pending(EntryId("h3")).result == PostResult::ok);
}

CONTRACT_TEST("a group of holds posts or voids in one call") {
  Shop s(fixture<Adapter>());
  for (const char* id : {"g1", "g2", "g3"}) REQUIRE(s.hold(id, "1.00").result == PostResult::ok);
  const auto atomic = s.f.ledger().post_pending_group({EntryId("g1"), EntryId("missing"), EntryId("g2")});
  CHECK(atomic[1].result == PostResult::pending_not_found);
  CHECK(atomic[0].result == PostResult::batch_failed);
  CHECK(s.f.totals(s.customer).debits_pending == 300);
  const auto posted = s.f.ledger().post_pending_group({EntryId("g1"), EntryId("g2")});
  CHECK(posted[0].result == PostResult::ok);
  CHECK(posted[1].result == PostResult::ok);
  const auto voided = s.f.ledger().void_pending_group({EntryId("g3"), EntryId("g1")}, BatchMode::independent);
  CHECK(voided[0].result == PostResult::ok);
  CHECK(voided[1].result == PostResult::pending_already_posted);
  CHECK(s.f.totals(s.customer) == Balances{200, 0, 0, 0});
}

CONTRACT_TEST("a hold of several legs posts in full only") {
  Shop s(fixture<Adapter>());
  const AccountId fee = s.f.open("fee", "USD", Side::credit);
  REQUIRE(s.f.ledger()
              .hold({.id = EntryId("split"),
                     .postings = {{s.customer, Side::debit, usd("10.00")},
                                  {s.merchant, Side::credit, usd("9.00")},
                                  {fee, Side::credit, usd("1.00")}}})
              .result == PostResult::ok);
  CHECK(s.f.ledger().post_pending(EntryId("split"), usd("5.00")).result == PostResult::partial_needs_two_legs);
  // The shape of the hold is checked before the currency of the partial amount.
  CHECK(s.f.ledger().post_pending(EntryId("split"), Money::parse("5.00 EUR")).result ==
        PostResult::partial_needs_two_legs);
  CHECK(s.f.ledger().post_pending(EntryId("split")).result == PostResult::ok);
  CHECK(s.f.totals(fee).credits_posted == 100);
}

CONTRACT_TEST("a reversal mirrors an entry once, and is the only correction") {
  Shop s(fixture<Adapter>());
  REQUIRE(s.f.ledger()
              .transfer({.id = EntryId("sale"), .debit = s.customer, .credit = s.merchant, .amount = usd("12.00")})
              .result == PostResult::ok);
  const auto undone = s.f.ledger().reverse(EntryId("sale"), EntryId("refund"));
  REQUIRE(undone.result == PostResult::ok);
  CHECK(undone.entry->kind == EntryKind::reversal);
  CHECK(undone.entry->reverses == EntryId("sale"));
  CHECK(undone.entry->description == "Reversal of sale");
  CHECK(undone.entry->postings[0].side == Side::credit);
  CHECK(s.f.ledger().balance(s.customer)->net == usd("0.00"));
  CHECK(s.f.totals(s.customer) == Balances{1200, 1200, 0, 0});
  CHECK(s.f.ledger().reverse(EntryId("sale")).result == PostResult::already_reversed);
  CHECK(s.f.ledger().reverse(EntryId("refund")).result == PostResult::not_reversible);
  CHECK(s.f.ledger().reverse(EntryId("ghost")).result == PostResult::entry_not_found);
  REQUIRE(s.hold("h", "1.00").result == PostResult::ok);
  CHECK(s.f.ledger().reverse(EntryId("h")).result == PostResult::not_reversible);
  CHECK(s.f.ledger().reverse(EntryId("sale"), EntryId("refund")).result == PostResult::exists);
}
