// Invoices' rules on every adapter, through Books: what a subscription's period bills (the flat fee, prorated
// for a stub; adjustments; usage priced with its tiers; tax, half to even), one invoice per (subscription,
// period), the gapless numbers, and the ledger entries of finalising, paying and voiding, which verify() checks.
// The repository's own refusals are in invoices_contract_test.cpp.
#include "billing/invoices.hpp"

#include <chrono>
#include <string>

#include "adapters.hpp"
#include "billing/storage/invoice_repository.hpp"

using namespace billing;
using namespace std::chrono_literals;
using billing::test::fixture;

namespace {

Timestamp at(const char* text) { return Timestamp::parse(text); }
Money usd(const char* amount) { return Money::parse(std::string(amount) + " USD"); }

struct Area {
  test::Fixture f;
  Invoices& invoices() { return f.books->invoices(); }
  Subscriptions& subs() { return f.books->subscriptions(); }

  explicit Area(test::Fixture fixture_in) : f(std::move(fixture_in)) {
    f.open("acme");
    (void)f.books->usage().define_meter({.code = "api_calls", .aggregation = Aggregation::count});
    const Price tiers = Price::graduated({Tier{.up_to = Decimal(1000), .unit_price = Decimal(0)},
                                          Tier{.unit_price = Decimal::parse("0.002")}},
                                         Currency("USD"));
    REQUIRE(f.books->plans().create({.code = "pro", .currency = Currency("USD"), .flat_fee = usd("29.00"),
                                     .charges = {{"api_calls", tiers}}}).ok());
    REQUIRE(f.books->plans().create({.code = "team", .currency = Currency("USD"), .flat_fee = usd("99.00")}).ok());
  }
  Subscription subscribe(const char* id, const char* start, std::optional<unsigned> anchor = std::nullopt) {
    const SubscriptionOutcome made = subs().create({.id = SubscriptionId(id), .account_id = AccountId("acme"),
                                                    .plan = "pro", .start = at(start), .anchor_day = anchor});
    REQUIRE(made.ok());
    return *made.subscription;
  }
  void calls(int n, const char* when) {
    if (f.clock->now() < at(when)) f.clock->set(at(when));  // usage refuses events from the future
    for (int i = 0; i < n; ++i) {
      REQUIRE(f.books->usage().record({.id = "e" + std::to_string(next_event++), .meter = "api_calls",
                                       .subject = "acme", .quantity = Decimal(1), .at = at(when)}) ==
              RecordResult::ok);
    }
  }
  int next_event = 0;
};

template <class Adapter>
Area area() {
  return Area(fixture<Adapter>());
}

}  // namespace

CONTRACT_TEST("preview prices the period: flat fee, usage through the tiers, and nothing is written") {
  Area a = area<Adapter>();
  a.f.clock->set(at("2026-03-01T00:00:00Z"));
  const Subscription s = a.subscribe("s1", "2026-03-01T00:00:00Z");
  a.calls(1500, "2026-03-10T00:00:00Z");
  a.calls(7, "2026-04-02T00:00:00Z");  // the next period: not billed in March
  const Invoice preview = a.invoices().preview(s.id);
  REQUIRE(preview.lines.size() == 2);
  CHECK(preview.lines[0].kind == InvoiceLineKind::flat_fee);
  CHECK(preview.lines[0].amount == usd("29.00"));
  CHECK(preview.lines[1].kind == InvoiceLineKind::usage);
  CHECK(preview.lines[1].quantity == Decimal(1500));
  CHECK(preview.lines[1].amount == usd("1.00"));  // 1,000 free, 500 x 0.002
  CHECK(preview.lines[1].tiers.size() == 2);
  CHECK(preview.subtotal == usd("30.00"));
  CHECK(preview.total == usd("30.00"));
  CHECK(preview.period_start == at("2026-03-01T00:00:00Z"));
  CHECK(preview.period_end == at("2026-04-01T00:00:00Z"));
  CHECK(a.invoices().list().items.empty());
  CHECK(a.f.entry_count() == 0);
}

CONTRACT_TEST("one invoice per subscription and period; finalising numbers it and posts one balanced entry") {
  Area a = area<Adapter>();
  const Subscription s = a.subscribe("s1", "2026-03-01T00:00:00Z");
  a.calls(1500, "2026-03-10T00:00:00Z");
  a.invoices().configure({.tax_rate = Decimal::parse("0.2")});
  const InvoiceOutcome made = a.invoices().create_for_period(s.id);
  REQUIRE(made.ok());
  CHECK(made.invoice->status == InvoiceStatus::draft);
  CHECK(!made.invoice->number);
  CHECK(made.invoice->tax == usd("6.00"));
  CHECK(made.invoice->total == usd("36.00"));
  CHECK(made.invoice->lines.back().kind == InvoiceLineKind::tax);
  const InvoiceOutcome again = a.invoices().create_for_period(s.id);
  CHECK(again.invoice->id == made.invoice->id);  // the period has its invoice
  CHECK(a.invoices().list().items.size() == 1);

  const InvoiceOutcome open = a.invoices().finalize(made.invoice->id);
  REQUIRE(open.ok());
  CHECK(open.invoice->number == 1u);
  CHECK(invoice_number(*open.invoice->number) == "INV-000001");
  CHECK(open.invoice->status == InvoiceStatus::open);
  REQUIRE(open.invoice->posted_entry);
  CHECK(a.f.totals(AccountId("acme")).debits_posted == 3600);  // 36.00
  CHECK(a.f.totals(AccountId("invoices:revenue:USD")).credits_posted == 3000);  // 30.00
  CHECK(a.f.totals(AccountId("invoices:tax:USD")).credits_posted == 600);  // 6.00
  CHECK(a.invoices().finalize(made.invoice->id).result == InvoiceResult::transition_forbidden);
  CHECK(a.f.entry_count() == 1);

  const InvoiceOutcome paid = a.invoices().mark_paid(made.invoice->id);
  REQUIRE(paid.ok());
  CHECK(paid.invoice->status == InvoiceStatus::paid);
  CHECK(a.f.totals(AccountId("acme")).credits_posted == 3600);  // 36.00
  CHECK(a.f.totals(AccountId("invoices:cash:USD")).debits_posted == 3600);  // 36.00
  CHECK(a.invoices().void_invoice(made.invoice->id).result == InvoiceResult::transition_forbidden);
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("numbers are gapless in the order invoices are finalised; voiding reverses the entry") {
  Area a = area<Adapter>();
  std::vector<InvoiceId> ids;
  for (const char* id : {"s1", "s2", "s3"}) {
    const Subscription s = a.subscribe(id, "2026-03-01T00:00:00Z");
    ids.push_back(a.invoices().create_for_period(s.id).invoice->id);
  }
  CHECK(a.invoices().void_invoice(ids[1]).ok());  // a draft voids without a number or an entry
  CHECK(a.invoices().finalize(ids[2]).invoice->number == 1u);
  CHECK(a.invoices().finalize(ids[0]).invoice->number == 2u);
  CHECK(a.invoices().finalize(ids[1]).result == InvoiceResult::transition_forbidden);
  const InvoiceOutcome voided = a.invoices().void_invoice(ids[2]);
  REQUIRE(voided.ok());
  REQUIRE(voided.invoice->voided_entry);
  CHECK(voided.invoice->number == 1u);  // a void keeps its number: the sequence has no gap
  CHECK(a.f.totals(AccountId("acme")).debits_posted == 5800);  // 58.00
  CHECK(a.f.totals(AccountId("acme")).credits_posted == 2900);  // 29.00
  CHECK(a.invoices().mark_uncollectible(ids[0]).ok());
  CHECK(a.invoices().mark_paid(ids[0]).ok());  // written off, then paid after all
  CHECK(a.f.ledger().verify().ok);
}

CONTRACT_TEST("a stub period's fee is prorated and a prorated plan change reaches the invoice") {
  Area a = area<Adapter>();
  const Subscription s = a.subscribe("s1", "2026-02-10T00:00:00Z", 1);  // stub: 19 of 28 days
  CHECK(a.invoices().preview(s.id).lines[0].amount == usd("19.68"));  // 29.00 x 19/28 = 19.678...
  a.f.clock->set(at("2026-02-24T00:00:00Z"));  // 5 days of the 28-day cycle period left
  const SubscriptionChange change = a.subs().change_plan(s.id, "team", Proration::by_seconds);
  REQUIRE(change.ok());
  const Invoice preview = a.invoices().preview(s.id);
  REQUIRE(preview.lines.size() == 3);  // team has no usage charges; pro's fee was the period's base
  CHECK(preview.lines[1].kind == InvoiceLineKind::adjustment);
  CHECK(preview.lines[1].amount == usd("-5.18"));  // 29.00 x 5/28 = 5.178...: over the cycle's full period
  CHECK(preview.lines[2].amount == usd("17.68"));  // 99.00 x 5/28 = 17.678...
  CHECK(preview.subtotal == usd("32.18"));
}

CONTRACT_TEST("a trial bills nothing, and finalising an empty invoice is refused") {
  Area a = area<Adapter>();
  const SubscriptionOutcome made = a.subs().create({.id = SubscriptionId("t"), .account_id = AccountId("acme"),
                                                    .plan = "pro", .start = at("2026-03-01T00:00:00Z"),
                                                    .trial_days = 14});
  REQUIRE(made.ok());
  const InvoiceOutcome draft = a.invoices().create_for_period(made.subscription->id);
  REQUIRE(draft.ok());
  CHECK(draft.invoice->lines.empty());
  CHECK(a.invoices().finalize(draft.invoice->id).result == InvoiceResult::empty);
  CHECK(a.invoices().finalize(InvoiceId("nope")).result == InvoiceResult::not_found);
  CHECK_THROWS_AS(static_cast<void>(a.invoices().preview(SubscriptionId("nope"))), InvalidArgument);
}
